#include "web_module.hpp"
#include "common/number.hpp"

#include <sqlite3.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <openssl/opensslv.h>

#include <boost/version.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "build_config.hpp"
#include "config/atv.hpp"
#include "net/net_module.hpp"
#include "pki/store.hpp"
#include "server/server.hpp"
#include "site.hpp"
#include "support/snapshot.hpp"

namespace bulwark::web {

namespace {

constexpr std::chrono::seconds kSessionSweep{15};

// The password variables and the account each belongs to.
constexpr std::pair<std::string_view, std::string_view> kPasswordAccounts[] = {
    {"ROOT_PASSWORD", "root"},        {"WWW_PASSWORD_RAW", "admin"}, {"NETADMIN_PASSWORD", "netadmin"},
    {"AUDIT_PASSWORD", "audit"},      {"USER_PASSWORD", "user"},     {"MOBILE_PASSWORD", "mobile"},
};

std::string kernelRelease() {
  utsname u{};
  if (uname(&u) != 0) return "unknown";
  return fmt::format("{} {} {}", u.sysname, u.release, u.machine);
}

// "192.168.1.1:443": HTTPS_PORT on the internal address; every address with
// HTTPS_REMOTE_ACCESS or an access row for the DMZ (the packet filter
// decides who gets through, logged as fw-https-access).
std::string configuredListen(const config::Config& config) {
  if (net::listensEverywhere(config, "HTTPS_REMOTE_ACCESS", "HTTPS_REMOTE_ACCESS_RULES")) {
    return fmt::format("0.0.0.0:{}", config.get("HTTPS_PORT"));
  }
  std::string cidr = net::internalAddress(config);
  if (cidr.empty()) return {};
  return fmt::format("{}:{}", cidr.substr(0, cidr.find('/')), config.get("HTTPS_PORT"));
}

}  // namespace

// How long an answer has to go out before a changed listening address
// closes the connection that carried the change.
constexpr std::chrono::milliseconds kRelistenDelay{500};

struct WebModule::Impl {
  boost::asio::io_context& io;
  runtime::Timers& timers;
  runtime::WorkerPool& workers;
  log::Log& log;
  const runtime::Clock& clock;
  auth::Authenticator& authenticator;
  config::ConfigService& config;
  WebOptions options;
  std::filesystem::path spoolDir;
  api::LedFeed leds;  // before the server: its streams end before it goes
  std::unique_ptr<ManagementSite> site;
  std::unique_ptr<HttpsServer> server;
  std::string listen;  // where the server listens now
  runtime::Timers::Id sweep = 0;
  runtime::Timers::Id relisten = 0;  // a new listening address, taken a moment after the change
  bool running = false;

  Impl(boost::asio::io_context& io, runtime::Timers& timers, runtime::WorkerPool& workers, log::Log& log,
       const runtime::Clock& clock, auth::Authenticator& authenticator, config::ConfigService& config,
       WebOptions options)
      : io(io),
        timers(timers),
        workers(workers),
        log(log),
        clock(clock),
        authenticator(authenticator),
        config(config),
        options(std::move(options)),
        spoolDir(this->options.runDir / "web") {}

  Result<TlsSettings> tlsFor(const config::Config& cfg) {
    // Small files, and a P-256 key when one is made (about a millisecond):
    // done on the loop, at start and when the certificate settings change.
    std::string ref = cfg.get("HTTPS_SERVER_CERT_REF");
    Result<pki::TlsIdentity> identity = Error{""};
    if (ref.empty()) {
      auto device = pki::ensureDeviceCertificate(options.dataDir, options.serial, clock);
      if (device && device->created) {
        log.write("web", fmt::format("made a new device certificate for {} ({})", options.serial, device->note));
      }
      identity = device ? Result<pki::TlsIdentity>(device->identity) : Result<pki::TlsIdentity>(Error{device.error()});
    } else {
      identity = pki::loadMachineIdentity(options.dataDir, ref);
    }
    if (!identity) {
      return Error{ref.empty() ? fmt::format("The device certificate is not usable: {}", identity.error())
                               : fmt::format("The machine certificate of HTTPS_SERVER_CERT_REF is not usable: {}",
                                             identity.error())};
    }
    TlsSettings tls{identity->certificateChainPem, identity->privateKeyPem, cfg.get("TLS_MIN_VERSION")};
    if (Status s = checkTlsSettings(tls); !s) return Error{s.message()};
    if (tls.minVersion == "1.0" || tls.minVersion == "1.1") {
      log.write("web", fmt::format("TLS_MIN_VERSION is {}: TLS 1.0 and 1.1 clients find no AEAD cipher suite, so "
                                   "in effect TLS 1.2 is the lowest version",
                                   tls.minVersion));
    }
    return tls;
  }

  cgi::CgiServices cgiServices() {
    cgi::CgiServices s;
    s.device = {options.board.productName, options.board.hardware, options.board.hardwareVersion,
                fmt::format("{}.default", build::version)};
    auto time = options.timeStatus ? options.timeStatus : [] { return net::TimeStatus{}; };
    s.ntpState = [time] { return net::ntpStateText(time()); };
    s.timeSync = [time] { return net::timeSyncText(time()); };
    bool hasEcs = options.board.hasEcs;
    s.ecsStatus = [hasEcs] { return std::string(hasEcs ? "8" : "1"); };
    s.snapshot = [this](std::function<void(Result<std::filesystem::path>)> done) { makeSnapshot(std::move(done)); };
    s.setRuleRecord = options.setRuleRecord;
    s.ruleRecordStatus = options.ruleRecordStatus;
    s.userFirewallLogout = options.userFirewallLogout;
    s.ipsec = options.ipsec;
    s.uptime = [this] { return clock.uptime(); };
    return s;
  }

  std::function<void()> flushLog() {
    log::LogStore* store = options.logStore;
    return [store] {
      if (store) store->flush();
    };
  }

  nlohmann::json runtimeStatus() {
    auto uptime = clock.uptime();
    return {{"serial", options.serial},
            {"uptime", uptime.count()},
            {"uptime_text", log::uptimeText(uptime)},
            {"factory_passwords", authenticator.factoryPasswordsInUse()},
            {"time", log::formatTimestamp(clock.now(), log::Zone::Utc)}};
  }

  void makeSnapshot(std::function<void(Result<std::filesystem::path>)> done) {
    config::Snapshot snapshot = config.snapshot();
    support::SnapshotInput input;
    std::string stamp = log::formatTimestamp(clock.now(), log::Zone::Utc).substr(0, 19);
    for (char& c : stamp) {
      if (c == ':' || c == '_') c = c == ':' ? '-' : 'T';
    }
    input.directory = fmt::format("snapshot-{}-{}", options.serial, stamp);
    input.runtimeText = fmt::format(
        "hostname={}\nboard={}\nserial={}\nuptime={}\ntime={}\npid={}\nweb_listen={}\nweb_sessions={}\n"
        "web_connections={}\nfactory_passwords={}\nconfig_generation={}\n",
        snapshot->get("HOSTNAME"), options.board.name, options.serial, clock.uptime().count(),
        log::formatTimestamp(clock.now(), log::Zone::Utc), getpid(), listen, site ? site->sessionCount() : 0,
        server ? server->stats().open : 0, authenticator.factoryPasswordsInUse() ? "yes" : "no", config.generation());
    input.versionsText = fmt::format(
        "mGuardProductName={}\nmGuardHardware={}\nmGuardHardwareVersion={}\nmGuardVersion={}.default\n"
        "bulwark={}\nstatic={}\nkernel={}\nopenssl={}\nboost={}.{}.{}\nsqlite={}\n",
        options.board.productName, options.board.hardware, options.board.hardwareVersion, build::version,
        build::version, build::staticBinary ? "yes" : "no", kernelRelease(), OPENSSL_VERSION_TEXT,
        BOOST_VERSION / 100000, BOOST_VERSION / 100 % 1000, BOOST_VERSION % 100, sqlite3_libversion());
    input.logDatabase = options.dataDir / "logs.db";
    if (options.ipsec) input.vpnDiagnostics = options.ipsec->synupDiagnostics();
    const config::Schema& schema = config.schema();
    std::filesystem::path dir = spoolDir;
    bool queued = workers.submit<Result<std::filesystem::path>>(
        [input = std::move(input), snapshot, &schema, dir, flush = flushLog()]() mutable -> Result<std::filesystem::path> {
          flush();
          input.configAtv = config::writeAtv(schema, config::withoutSecrets(schema, *snapshot));
          return support::writeSnapshot(input, dir);
        },
        std::move(done));
    if (!queued) done(Error{"The device is busy; try again."});
  }

  void applySiteSettings(const config::Config& cfg) {
    // Validated by the schema; the defaults are its own.
    site->setIdleTimeout(std::chrono::seconds(toNumber<long long>(cfg.get("WWW_TIMEOUT")).value_or(1800)));
    site->setUploadLimit(toNumber<std::size_t>(cfg.get("HTTPS_UPLOAD_LIMIT")).value_or(16448) * 1024);
  }

  void scheduleSweep() {
    sweep = timers.after(kSessionSweep, [this] {
      if (!running) return;
      site->expireSessions();
      scheduleSweep();
    });
  }

  Status listenOn(const std::string& address, const TlsSettings& tls) {
    ServerOptions o;
    o.listen = address;
    o.tls = tls;
    o.uploadDir = spoolDir;
    auto started = HttpsServer::start(io, o, *site);
    if (!started && server) {
      // The new address may overlap the old one (192.168.1.1:443 and
      // 0.0.0.0:443): the old listener goes first, and comes back if the
      // new one still fails.
      ServerOptions previous = o;
      previous.listen = listen;
      server->stop();
      server.reset();
      started = HttpsServer::start(io, o, *site);
      if (!started) {
        auto back = HttpsServer::start(io, previous, *site);
        if (back) server = std::move(*back);
        return Error{started.error()};
      }
    }
    if (!started) return Error{started.error()};
    if (server) server->stop();
    server = std::move(*started);
    listen = server->localAddress();
    log.write("web", fmt::format("HTTPS management listening on {}", listen));
    return {};
  }
};

WebModule::WebModule(boost::asio::io_context& io, runtime::Timers& timers, runtime::WorkerPool& workers,
                     log::Log& log, const runtime::Clock& clock, auth::Authenticator& authenticator,
                     config::ConfigService& config, WebOptions options)
    : impl_(std::make_unique<Impl>(io, timers, workers, log, clock, authenticator, config, std::move(options))) {}

WebModule::~WebModule() { stop(); }

std::string WebModule::listeningOn() const { return impl_->listen; }

void WebModule::showLeds(std::vector<api::LedFeed::Shown> leds, std::vector<api::LedFeed::Shown> outputs,
                         std::optional<std::string> display) {
  impl_->leds.update(std::move(leds), std::move(outputs), std::move(display));
}

Status WebModule::start(const config::Snapshot& snapshot) {
  Impl& m = *impl_;
  std::error_code ec;
  std::filesystem::create_directories(m.spoolDir, ec);
  if (ec) return Error{fmt::format("cannot create {}: {}", m.spoolDir.string(), ec.message())};
  std::filesystem::permissions(m.spoolDir, std::filesystem::perms::owner_all, ec);
  // Left-overs of a previous run (uploads, snapshots) are removed.
  for (const auto& entry : std::filesystem::directory_iterator(m.spoolDir, ec)) {
    std::filesystem::remove(entry.path(), ec);
  }
  m.site = std::make_unique<ManagementSite>(SiteServices{m.workers, m.log, m.clock, m.authenticator, m.config,
                                                         m.options.dataDir / "logs.db", m.options.dataDir,
                                                         m.cgiServices(),
                                                         [&m] { return m.runtimeStatus(); }, m.flushLog(),
                                                         m.options.userFirewallLogin, m.options.userFirewallLogout,
                                                         &m.leds});
  m.applySiteSettings(*snapshot);
  m.running = true;
  m.scheduleSweep();
  auto tls = m.tlsFor(*snapshot);
  if (!tls) {
    if (!m.options.listen.empty()) return Error{tls.error()};
    m.log.write("web", tls.error() + "; HTTPS management is off");
    return {};
  }
  std::string address = m.options.listen.empty() ? configuredListen(*snapshot) : m.options.listen;
  if (Status s = m.listenOn(address, *tls); !s) {
    if (!m.options.listen.empty()) return s;
    // The internal address may not be up (development machine, or the
    // network room has not configured it yet): run on without HTTPS.
    m.log.write("web", s.message() + "; HTTPS management is off until the address is available");
  }
  return {};
}

Status WebModule::reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) {
  Impl& m = *impl_;
  if (diff.touches("WWW_TIMEOUT") || diff.touches("HTTPS_UPLOAD_LIMIT")) m.applySiteSettings(*snapshot);
  for (const auto& [variable, user] : kPasswordAccounts) {
    if (diff.touches(variable)) m.site->endSessionsOf(std::string(user));
  }
  bool tlsChanged = diff.touches("TLS_MIN_VERSION") || diff.touches("HTTPS_SERVER_CERT_REF") ||
                    diff.touches("MACHINE_CERTIFICATES");
  bool addressChanged = m.options.listen.empty() && (diff.touches("HTTPS_PORT") || diff.touches("INT_ADDRESSES") ||
                                                     diff.touches("HTTPS_REMOTE_ACCESS") ||
                                                     diff.touches("HTTPS_REMOTE_ACCESS_RULES"));
  if (!tlsChanged && !addressChanged) return {};
  auto tls = m.tlsFor(*snapshot);
  if (!tls) return Error{tls.error()};
  if (addressChanged || !m.server) {
    std::string address = m.options.listen.empty() ? configuredListen(*snapshot) : m.options.listen;
    if (!m.options.listen.empty() || !m.server) {
      if (Status s = m.listenOn(address, *tls); !s) {
        if (!m.options.listen.empty()) return s;
        m.log.write("web", s.message() + "; HTTPS management is off until the address is available");
      }
      return {};
    }
    // The change may have come through this server (the JSON API, a CGI):
    // its answer is written first, then the old listener and its
    // connections go.
    m.timers.cancel(m.relisten);
    m.relisten = m.timers.after(kRelistenDelay, [&m, address, tls = *tls] {
      m.relisten = 0;
      if (!m.running) return;
      if (Status s = m.listenOn(address, tls); !s) {
        m.log.write("web", s.message() + "; HTTPS management is off until the address is available");
      }
    });
    return {};
  }
  return m.server->updateTls(*tls);
}

void WebModule::stop() {
  Impl& m = *impl_;
  if (!m.running) return;
  m.running = false;
  m.timers.cancel(m.sweep);
  m.timers.cancel(m.relisten);
  if (m.server) m.server->stop();
}

}  // namespace bulwark::web
