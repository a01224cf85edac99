// Link supervision: rtnetlink link messages (RTMGRP_LINK) read on the loop.
// A port whose carrier changes is reported once it has stayed changed for
// the debounce time (a flapping cable gives one report, not a storm): a
// LinkChanged event on the bus and the reference's line (4.3.10)
//   service-mauman: [011] Running service loop because an interface changed
// The kernel's own "Link is Down/Up" line reaches the log through the kmsg
// reader (kmsg.hpp).
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "common/status.hpp"
#include "log/log.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/timers.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::net {

struct LinkChanged {
  std::string interface;
  bool up = false;  // carrier
};

class LinkMonitor {
 public:
  // Watches `interfaces` (all when empty).
  static Result<std::unique_ptr<LinkMonitor>> open(boost::asio::io_context& io, runtime::Timers& timers,
                                                   log::Log& log, runtime::EventBus& bus,
                                                   std::set<std::string> interfaces,
                                                   std::chrono::milliseconds debounce = std::chrono::milliseconds(500));
  ~LinkMonitor();
  // The carrier state last reported for `interface` (nullopt: not seen yet).
  std::optional<bool> carrier(const std::string& interface) const;

 private:
  struct Impl;
  explicit LinkMonitor(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace bulwark::net
