// The client side of charon's VICI socket, on the core's loop.
//
// Two connections, as the protocol wants: one for commands, which VICI
// answers strictly one at a time (there are no sequence numbers), so requests
// wait in a queue; and one for the events the owner registers once (e.g.
// ike-updown, child-updown), delivered as they come. A streamed command
// (list-sas answers with list-sa events before its response) registers its
// event on the command connection the first time it is used there.
//
// Every request has a deadline. A connection that breaks, a frame that does
// not decode, or a command that charon leaves unanswered past its deadline
// ends both connections: the queued requests fail, `disconnected` is told,
// and the client connects again with a growing delay (charon restarted by
// the supervisor comes back with nothing loaded). Once both connections are
// up and the events are registered, `connected` is told, which is the owner's
// cue to load everything. While not connected, requests fail at once (their
// reply runs on a later turn of the loop, never inside request()).
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "log/log.hpp"
#include "runtime/timers.hpp"
#include "vpn/ipsec/vici.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::ipsec {

class ViciClient {
 public:
  struct Options {
    std::filesystem::path socket;
    std::vector<std::string> events;  // registered on the event connection
    std::chrono::milliseconds timeout{10000};
    std::chrono::milliseconds reconnectDelay{100};  // after the first failure; doubles
    std::chrono::milliseconds maxReconnectDelay{2000};
    std::string logTag = "ipsec";
  };
  struct Callbacks {
    std::function<void()> connected;
    std::function<void(const std::string& reason)> disconnected;  // only after `connected`
    std::function<void(const std::string& name, const vici::Message& message)> event;
  };
  // The response message, or why there is none.
  using Reply = std::function<void(Result<vici::Message>)>;
  using StreamEvent = std::function<void(const vici::Message& message)>;

  ViciClient(boost::asio::io_context& io, runtime::Timers& timers, log::Log& log, Options options,
             Callbacks callbacks);
  // Closes the connections; replies still pending are dropped, not called.
  ~ViciClient();
  ViciClient(const ViciClient&) = delete;
  ViciClient& operator=(const ViciClient&) = delete;

  // Connects, and keeps connecting until the destructor.
  void start();
  bool connected() const;

  // Queues the command `name` with `args`.
  void request(std::string name, vici::Message args, Reply reply);
  // The same for a command that streams `event` packets before its
  // response; each goes to `onEvent` (list-sas with list-sa).
  void streamRequest(std::string name, vici::Message args, std::string event, StreamEvent onEvent, Reply reply);

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

// The errmsg of a response with `success = no`, or "" when it succeeded:
// load-conn, load-shared, initiate and friends answer that way.
std::string responseError(const vici::Message& response);

}  // namespace bulwark::ipsec
