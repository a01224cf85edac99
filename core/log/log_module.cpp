#include "log/log_module.hpp"

#include <charconv>

namespace bulwark::log {

LogModule::LogModule(runtime::Timers& timers, Log& log, LogStore* store, RemoteSyslog& remote)
    : timers_(timers), log_(log), store_(store), remote_(remote) {}

LogModule::~LogModule() = default;

Status LogModule::start(const config::Snapshot& snapshot) {
  apply(*snapshot, nullptr);
  armTimer();
  return {};
}

Status LogModule::reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) {
  apply(*snapshot, &diff);
  return {};
}

void LogModule::stop() { timers_.cancel(uptimeTimer_); }

void LogModule::writeUptime() { log_.write("uptime-audit", "UPTIME: " + uptimeText(log_.clock().uptime())); }

void LogModule::apply(const config::Config& config, const config::Diff* diff) {
  if (store_ && (!diff || diff->touches("LOGGING_MAX_DAYS"))) {
    const std::string& days = config.get("LOGGING_MAX_DAYS");
    int n = 0;
    std::from_chars(days.data(), days.data() + days.size(), n);
    store_->setMaxDays(n);
  }
  if (!diff || diff->touches("LOGGING_REMOTE_ENABLE") || diff->touches("LOGGING_REMOTE_SERVERS")) {
    std::vector<SyslogServer> servers;
    const config::Value* rows = config.find("LOGGING_REMOTE_SERVERS");
    if (config.get("LOGGING_REMOTE_ENABLE") == "yes" && rows) {
      for (const config::Row& row : rows->rows) {
        const std::string& port = row.fields.at("SERVER_PORT").text;
        std::uint16_t p = 514;
        std::from_chars(port.data(), port.data() + port.size(), p);
        servers.push_back({row.fields.at("SERVER_IP").text, p});
      }
    }
    remote_.setServers(std::move(servers));
  }
}

void LogModule::armTimer() {
  uptimeTimer_ = timers_.after(kUptimePeriod, [this] {
    writeUptime();
    armTimer();
  });
}

}  // namespace bulwark::log
