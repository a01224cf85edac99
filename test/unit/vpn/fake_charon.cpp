#include "vpn/fake_charon.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>

namespace bulwark::test {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;
using ipsec::vici::Message;
using ipsec::vici::Packet;
using ipsec::vici::PacketType;
namespace vici = ipsec::vici;

struct FakeCharon::Conn {
  explicit Conn(asio::io_context& io) : socket(io) {}
  local::socket socket;
  std::array<char, 4> header{};
  std::string body;
  std::set<std::string> registered;
};

FakeCharon::FakeCharon(asio::io_context& io, std::filesystem::path path)
    : answer([](const Packet&) { return Packet{PacketType::CmdResponse, "", Message{}.add("success", "yes")}; }),
      io_(io), acceptor_(io), path_(std::move(path)) {
  listen();
}

void FakeCharon::listen() {
  std::filesystem::remove(path_);
  acceptor_ = local::acceptor(io_, local::endpoint(path_.string()));
  accept();
}

void FakeCharon::close() {
  acceptor_.close();
  std::filesystem::remove(path_);
  for (auto& c : conns_) c->socket.close();
  conns_.clear();
  lastCommand_ = nullptr;
}

void FakeCharon::emit(const std::string& name, const Message& message) {
  for (auto& c : conns_) {
    if (c->registered.contains(name)) write(*c, {PacketType::Event, name, message});
  }
}

void FakeCharon::writeRaw(const std::string& bytes) {
  for (auto& c : conns_) asio::write(c->socket, asio::buffer(bytes));
}

void FakeCharon::respond(const Packet& p) { write(*lastCommand_, p); }

void FakeCharon::accept() {
  auto conn = std::make_shared<Conn>(io_);
  acceptor_.async_accept(conn->socket, [this, conn](const boost::system::error_code& ec) {
    if (ec) return;
    ++accepted;
    conns_.push_back(conn);
    read(conn);
    accept();
  });
}

void FakeCharon::read(std::shared_ptr<Conn> conn) {
  asio::async_read(conn->socket, asio::buffer(conn->header), [this, conn](const boost::system::error_code& ec,
                                                                          std::size_t) {
    if (ec) return;
    auto length = vici::decodeLength(std::string_view(conn->header.data(), 4));
    REQUIRE(length);
    conn->body.resize(*length);
    asio::async_read(conn->socket, asio::buffer(conn->body), [this, conn](const boost::system::error_code& e,
                                                                          std::size_t) {
      if (e) return;
      auto packet = vici::decodePacket(conn->body);
      REQUIRE(packet);
      handle(*conn, *packet);
      read(conn);
    });
  });
}

void FakeCharon::handle(Conn& conn, const Packet& p) {
  if (p.type == PacketType::EventRegister) {
    received.push_back("REG " + p.name);
    bool known = knownEvents.contains(p.name);
    if (known) conn.registered.insert(p.name);
    write(conn, {known ? PacketType::EventConfirm : PacketType::EventUnknown, "", {}});
    return;
  }
  REQUIRE(p.type == PacketType::CmdRequest);
  received.push_back("CMD " + p.name);
  commands.push_back(p);
  lastCommand_ = &conn;
  if (auto s = streamed.find(p.name); s != streamed.end()) {
    for (const Message& m : s->second.second) {
      if (conn.registered.contains(s->second.first)) write(conn, {PacketType::Event, s->second.first, m});
    }
  }
  if (auto reply = answer(p)) write(conn, *reply);
}

void FakeCharon::write(Conn& conn, const Packet& p) {
  auto frame = vici::encodeFrame(p);
  REQUIRE(frame);
  asio::write(conn.socket, asio::buffer(*frame));
}

}  // namespace bulwark::test
