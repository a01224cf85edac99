// The web module: the HTTPS server and the management site as one module of
// the core. It listens where the configuration says (HTTPS_PORT on the first
// address of the internal interface) unless `bulwark init --listen` names an
// address, serves the device certificate made at first start (or the machine
// certificate HTTPS_SERVER_CERT_REF names) with TLS_MIN_VERSION, ends web
// sessions after WWW_TIMEOUT, and follows changes of all of these without a
// restart. A listener that cannot be opened from the configuration (the
// internal address is not up) is logged and the core runs on; one named by
// --listen is an error.
#pragma once

#include <filesystem>
#include <functional>
#include <memory>
#include <string>

#include "api/led_feed.hpp"
#include "auth/authenticator.hpp"
#include "board.hpp"
#include "config/service.hpp"
#include "log/log.hpp"
#include "log/log_store.hpp"
#include "net/time_status.hpp"
#include "runtime/module.hpp"
#include "runtime/timers.hpp"
#include "runtime/worker_pool.hpp"
#include "vpn/ipsec/ipsec_service.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::web {

class HttpsServer;
class ManagementSite;

struct WebOptions {
  std::string listen;  // --listen; empty: from the configuration
  std::filesystem::path dataDir;
  std::filesystem::path runDir;
  platform::Board board;
  std::string serial;
  log::LogStore* logStore = nullptr;  // flushed before the log is read for an answer
  std::function<net::TimeStatus()> timeStatus;  // the NTP client's (net/ntp_client.hpp)
  // The packet filter's rule records (cgi::CgiServices); unset: not available.
  std::function<Status(const std::string& name, const std::string& rowid, bool active)> setRuleRecord;
  std::function<std::string(const std::string& name)> ruleRecordStatus;
  std::function<Result<std::int64_t>(const std::string& user, const std::string& address)> userFirewallLogin;
  std::function<Status(const std::string& user, const std::string& address)> userFirewallLogout;
  // The IPsec connections (cgi::CgiServices); null: none is known.
  ipsec::IpsecService* ipsec = nullptr;
};

class WebModule final : public runtime::Module {
 public:
  WebModule(boost::asio::io_context& io, runtime::Timers& timers, runtime::WorkerPool& workers, log::Log& log,
            const runtime::Clock& clock, auth::Authenticator& authenticator, config::ConfigService& config,
            WebOptions options);
  ~WebModule() override;

  std::string_view name() const override { return "web"; }
  Status start(const config::Snapshot& snapshot) override;
  Status reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) override;
  void stop() override;

  // Where the server listens, "" when it does not.
  std::string listeningOn() const;
  // What the LEDs and outputs show now (led::LedsChanged), for /api/v1/leds.
  void showLeds(std::vector<api::LedFeed::Shown> leds, std::vector<api::LedFeed::Shown> outputs,
                std::optional<std::string> display);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::web
