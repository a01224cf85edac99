// The logging module: applies the logging variables (retention, remote
// syslog servers) and writes the uptime-audit line every 30 minutes
// (reference 4.3.14), so a remote collector can see that logging works.
#pragma once

#include <chrono>
#include <memory>

#include "log/log.hpp"
#include "log/log_store.hpp"
#include "log/remote_syslog.hpp"
#include "runtime/module.hpp"
#include "runtime/timers.hpp"

namespace bulwark::log {

class LogModule final : public runtime::Module {
 public:
  static constexpr std::chrono::minutes kUptimePeriod{30};

  LogModule(runtime::Timers& timers, Log& log, LogStore* store, RemoteSyslog& remote);
  ~LogModule() override;

  std::string_view name() const override { return "log"; }
  Status start(const config::Snapshot& snapshot) override;
  Status reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) override;
  void stop() override;

  // One uptime-audit line, now.
  void writeUptime();

 private:
  void apply(const config::Config& config, const config::Diff* diff);
  void armTimer();

  runtime::Timers& timers_;
  Log& log_;
  LogStore* store_;
  RemoteSyslog& remote_;
  runtime::Timers::Id uptimeTimer_ = 0;
};

}  // namespace bulwark::log
