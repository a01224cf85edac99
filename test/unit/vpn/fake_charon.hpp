// A fake charon for the VICI client's and the IPsec module's tests: a VICI
// server on a unix socket, on the test's loop. It answers each command with
// what `answer` returns (nullopt: no answer at all), knows the events in
// `knownEvents`, streams `streamed` events before the response of a command
// that has them, and records every request.
#pragma once

#include <array>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include "log/log.hpp"
#include "runtime/clock.hpp"
#include "runtime/timers.hpp"
#include "support/support.hpp"
#include "vpn/ipsec/vici.hpp"

namespace bulwark::test {

// What the IPsec room's tests share: a directory, a loop with real timers,
// and a log they can read back.
struct LoopWithLog {
  LoopWithLog() { log.addSink(sink); }
  TempDir dir;
  boost::asio::io_context io;
  runtime::AsioTimers timers{io};
  runtime::SystemClock clock;
  log::Log log{clock};
  MemorySink sink;
};

class FakeCharon {
 public:
  FakeCharon(boost::asio::io_context& io, std::filesystem::path path);

  void listen();
  // charon dying: the socket and every connection go.
  void close();
  // An event to every connection registered for it.
  void emit(const std::string& name, const ipsec::vici::Message& message);
  void writeRaw(const std::string& bytes);
  // A response, later, on the connection of the last command.
  void respond(const ipsec::vici::Packet& p);

  std::function<std::optional<ipsec::vici::Packet>(const ipsec::vici::Packet& request)> answer;
  std::set<std::string> knownEvents{"ike-updown", "child-updown", "ike-rekey", "child-rekey",
                                    "log",        "list-sa",      "control-log"};
  // command -> the event and the messages streamed before its response
  std::map<std::string, std::pair<std::string, std::vector<ipsec::vici::Message>>> streamed;
  std::vector<std::string> received;              // "CMD name" / "REG name", in order
  std::vector<ipsec::vici::Packet> commands;      // the CMD_REQUESTs, in order
  std::size_t accepted = 0;

 private:
  struct Conn;
  void accept();
  void read(std::shared_ptr<Conn> conn);
  void handle(Conn& conn, const ipsec::vici::Packet& p);
  void write(Conn& conn, const ipsec::vici::Packet& p);

  boost::asio::io_context& io_;
  boost::asio::local::stream_protocol::acceptor acceptor_;
  std::filesystem::path path_;
  std::vector<std::shared_ptr<Conn>> conns_;
  Conn* lastCommand_ = nullptr;
};

}  // namespace bulwark::test
