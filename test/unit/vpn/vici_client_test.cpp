// The VICI client against a fake charon on a unix socket in a temporary
// directory, both on the test's loop: queueing, streamed commands, events,
// deadlines, and reconnecting when charon goes away and comes back.
#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "support/support.hpp"
#include "vpn/fake_charon.hpp"
#include "vpn/ipsec/vici_client.hpp"

using namespace bulwark;
using namespace bulwark::ipsec;
using namespace std::chrono_literals;
namespace asio = boost::asio;
using vici::Message;
using vici::Packet;
using vici::PacketType;
using test::FakeCharon;

namespace {

struct Fixture : test::LoopWithLog {
  std::filesystem::path socket = dir / "charon.vici";
  int connects = 0;
  std::vector<std::string> disconnects;
  std::vector<std::pair<std::string, Message>> events;


  std::unique_ptr<ViciClient> client(std::chrono::milliseconds timeout = 2000ms) {
    ViciClient::Options options{socket, {"ike-updown", "child-updown"}, timeout, 20ms, 100ms};
    auto c = std::make_unique<ViciClient>(
        io, timers, log, options,
        ViciClient::Callbacks{[this] { ++connects; },
                              [this](const std::string& why) { disconnects.push_back(why); },
                              [this](const std::string& name, const Message& m) { events.emplace_back(name, m); }});
    c->start();
    return c;
  }
  void until(const std::function<bool()>& done) { test::runUntil(io, done, 5s); }
  void runFor(std::chrono::milliseconds d) {
    io.restart();
    io.run_for(d);
  }
};

}  // namespace

TEST_CASE("the client connects, registers its events and gets answers", "[vici]") {
  Fixture f;
  FakeCharon charon(f.io, f.socket);
  charon.answer = [](const Packet& p) {
    return Packet{PacketType::CmdResponse, "", Message{}.add("daemon", "charon-systemd").add("asked", p.name)};
  };
  auto client = f.client();
  f.until([&] { return f.connects == 1; });
  CHECK(client->connected());
  CHECK(charon.accepted == 2);
  CHECK(charon.received == std::vector<std::string>{"REG ike-updown", "REG child-updown"});
  CHECK(f.sink.messages("ipsec") == std::vector<std::string>{"connected to charon (" + f.socket.string() + ")"});

  std::optional<Result<Message>> reply;
  client->request("version", {}, [&](Result<Message> r) { reply = std::move(r); });
  f.until([&] { return reply.has_value(); });
  REQUIRE(*reply);
  CHECK(*(*reply)->value("daemon") == "charon-systemd");
  CHECK(*(*reply)->value("asked") == "version");
}

TEST_CASE("requests wait their turn and are answered in order", "[vici]") {
  Fixture f;
  FakeCharon charon(f.io, f.socket);
  // Answers only on the loop's next turn, so that the client has every
  // request queued by then; a second request before an answer would show.
  int outstanding = 0, most = 0;
  charon.answer = [&](const Packet& p) -> std::optional<Packet> {
    most = std::max(most, ++outstanding);
    asio::post(f.io, [&, name = p.name] {
      --outstanding;
      charon.respond({PacketType::CmdResponse, "", Message{}.add("for", name)});
    });
    return std::nullopt;
  };
  auto client = f.client();
  f.until([&] { return f.connects == 1; });
  std::vector<std::string> order;
  for (std::string name : {"load-conn", "load-shared", "initiate"}) {
    client->request(name, Message{}.add("x", name), [&order](Result<Message> r) {
      REQUIRE(r);
      order.push_back(*r->value("for"));
    });
  }
  f.until([&] { return order.size() == 3; });
  CHECK(order == std::vector<std::string>{"load-conn", "load-shared", "initiate"});
  CHECK(most == 1);
}

TEST_CASE("a streamed command hands over its events before its response", "[vici]") {
  Fixture f;
  FakeCharon charon(f.io, f.socket);
  charon.streamed["list-sas"] = {"list-sa", {Message{}.addSection("gw", Message{}.add("state", "ESTABLISHED")),
                                             Message{}.addSection("gw2", Message{}.add("state", "CONNECTING"))}};
  auto client = f.client();
  f.until([&] { return f.connects == 1; });
  for (int round = 0; round < 2; ++round) {
    std::vector<std::string> seen;
    bool done = false;
    client->streamRequest(
        "list-sas", {}, "list-sa", [&](const Message& m) { seen.push_back(m.entries().at(0).name); },
        [&](Result<Message> r) {
          REQUIRE(r);
          seen.push_back("response");
          done = true;
        });
    f.until([&] { return done; });
    CHECK(seen == std::vector<std::string>{"gw", "gw2", "response"});
  }
  // The event is registered on the command connection once.
  CHECK(charon.received == std::vector<std::string>{"REG ike-updown", "REG child-updown", "REG list-sa",
                                                    "CMD list-sas", "CMD list-sas"});
}

TEST_CASE("events go to the owner as they come", "[vici]") {
  Fixture f;
  FakeCharon charon(f.io, f.socket);
  auto client = f.client();
  f.until([&] { return f.connects == 1; });
  charon.emit("ike-updown", Message{}.add("up", "yes").addSection("gw", Message{}.add("state", "ESTABLISHED")));
  charon.emit("list-sa", Message{}.add("not", "registered"));
  f.until([&] { return !f.events.empty(); });
  f.io.poll();
  REQUIRE(f.events.size() == 1);
  CHECK(f.events[0].first == "ike-updown");
  CHECK(*f.events[0].second.section("gw")->value("state") == "ESTABLISHED");
}

TEST_CASE("an event charon does not offer is logged and the client still connects", "[vici]") {
  Fixture f;
  FakeCharon charon(f.io, f.socket);
  charon.knownEvents = {"ike-updown"};
  auto client = f.client();
  f.until([&] { return f.connects == 1; });
  CHECK(f.sink.messages("ipsec").at(0) == "charon has no event child-updown");
}

TEST_CASE("an unknown command fails that request only", "[vici]") {
  Fixture f;
  FakeCharon charon(f.io, f.socket);
  charon.answer = [](const Packet& p) -> std::optional<Packet> {
    if (p.name == "frobnicate") return Packet{PacketType::CmdUnknown, "", {}};
    return Packet{PacketType::CmdResponse, "", Message{}.add("success", "no").add("errmsg", "no such IKE_SA")};
  };
  auto client = f.client();
  f.until([&] { return f.connects == 1; });
  std::vector<std::string> results;
  client->request("frobnicate", {}, [&](Result<Message> r) { results.push_back(r ? "ok" : r.error()); });
  client->request("terminate", {}, [&](Result<Message> r) { results.push_back(r ? responseError(*r) : r.error()); });
  f.until([&] { return results.size() == 2; });
  CHECK(results == std::vector<std::string>{"charon does not know the command 'frobnicate'", "no such IKE_SA"});
  CHECK(f.disconnects.empty());
  CHECK(responseError(Message{}.add("success", "yes")).empty());
  CHECK(responseError(Message{}) == "failed without a reason");
}

TEST_CASE("a request that cannot be encoded (a value over 64 KiB) fails alone, later", "[vici]") {
  Fixture f;
  FakeCharon charon(f.io, f.socket);
  charon.answer = [](const Packet&) -> std::optional<Packet> {
    return Packet{PacketType::CmdResponse, "", Message{}.add("success", "yes")};
  };
  auto client = f.client();
  f.until([&] { return f.connects == 1; });
  std::vector<std::string> results;
  client->request("load-cert", Message{}.add("data", std::string(70000, 'x')),
                  [&](Result<Message> r) { results.push_back(r ? "ok" : r.error()); });
  CHECK(results.empty());  // answered later, on the loop, never from inside request()
  client->request("version", {}, [&](Result<Message> r) { results.push_back(r ? "ok" : r.error()); });
  f.until([&] { return results.size() == 2; });
  REQUIRE(results.size() == 2);
  CHECK(results[0].starts_with("'load-cert' cannot be sent to charon: "));
  CHECK(results[1] == "ok");
  CHECK(f.disconnects.empty());
  CHECK(f.connects == 1);
}

TEST_CASE("a command left unanswered past its deadline ends the connection, which comes back", "[vici]") {
  Fixture f;
  FakeCharon charon(f.io, f.socket);
  bool hang = true;
  charon.answer = [&](const Packet&) -> std::optional<Packet> {
    if (hang) return std::nullopt;
    return Packet{PacketType::CmdResponse, "", Message{}.add("success", "yes")};
  };
  auto client = f.client(150ms);
  f.until([&] { return f.connects == 1; });
  std::vector<std::string> results;
  client->request("initiate", {}, [&](Result<Message> r) { results.push_back(r ? "ok" : r.error()); });
  client->request("list-conns", {}, [&](Result<Message> r) { results.push_back(r ? "ok" : r.error()); });
  f.until([&] { return results.size() == 2; });
  CHECK(results[0] == "charon did not answer 'initiate' within 150 ms");
  CHECK(results[1] == "no connection to charon: charon did not answer 'initiate' within 150 ms");
  CHECK(f.disconnects == std::vector<std::string>{"charon did not answer 'initiate' within 150 ms"});
  hang = false;
  f.until([&] { return f.connects == 2; });
  bool ok = false;
  client->request("version", {}, [&](Result<Message> r) { ok = r.isOk(); });
  f.until([&] { return ok; });
}

TEST_CASE("charon restarting is noticed and the client connects again", "[vici]") {
  Fixture f;
  FakeCharon charon(f.io, f.socket);
  auto client = f.client();
  f.until([&] { return f.connects == 1; });
  charon.close();
  f.until([&] { return f.disconnects.size() == 1; });
  CHECK_FALSE(client->connected());
  CHECK_THAT(f.disconnects[0], Catch::StartsWith("charon closed the "));
  // While it is away, requests fail, on a later turn of the loop.
  bool called = false;
  std::string error;
  client->request("version", {}, [&](Result<Message> r) {
    called = true;
    error = r ? "" : r.error();
  });
  CHECK_FALSE(called);
  f.until([&] { return called; });
  CHECK(error == "not connected to charon");
  // A few attempts fail (not logged each), then it is back.
  f.runFor(150ms);
  charon.listen();
  f.until([&] { return f.connects == 2; });
  CHECK(client->connected());
  auto lines = f.sink.messages("ipsec");
  REQUIRE(lines.size() == 4);
  CHECK_THAT(lines[1], Catch::StartsWith("connection to charon lost: charon closed the "));
  CHECK_THAT(lines[2], Catch::StartsWith("charon not reachable yet: cannot connect to " + f.socket.string()));
  CHECK(lines[3] == lines[0]);
}

TEST_CASE("a frame that does not decode ends the connection", "[vici]") {
  Fixture f;
  FakeCharon charon(f.io, f.socket);
  auto client = f.client();
  f.until([&] { return f.connects == 1; });
  charon.writeRaw(std::string("\xff\xff\xff\xff", 4));
  f.until([&] { return !f.disconnects.empty(); });
  CHECK(f.disconnects[0] == "VICI: a frame of 4294967295 bytes, more than 524288");
  f.until([&] { return f.connects == 2; });
}

TEST_CASE("without charon, the client keeps trying quietly", "[vici]") {
  Fixture f;
  auto client = f.client();
  f.runFor(300ms);
  CHECK(f.connects == 0);
  CHECK(f.sink.messages("ipsec").size() == 1);
  FakeCharon charon(f.io, f.socket);
  f.until([&] { return f.connects == 1; });
}
