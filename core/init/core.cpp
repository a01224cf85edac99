#include "init/core.hpp"

#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <sstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "auth/authenticator.hpp"
#include "board.hpp"
#include "build_config.hpp"
#include "common/file_lock.hpp"
#include "config/commands.hpp"
#include "config/service.hpp"
#include "firewall/firewall_module.hpp"
#include "init/console.hpp"
#include "init/power_button.hpp"
#include "init/ctl.hpp"
#include "init/services_file.hpp"
#include "init/shell_server.hpp"
#include "init/spawn.hpp"
#include "init/ssh.hpp"
#include "init/supervisor.hpp"
#include "init/watchdog.hpp"
#include "init/system_state.hpp"
#include "led/led_module.hpp"
#include "log/kmsg.hpp"
#include "log/log_module.hpp"
#include "net/net_module.hpp"
#include "net/rtnl.hpp"
#include "net/time_status.hpp"
#include "runtime/control_socket.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/module_set.hpp"
#include "runtime/timers.hpp"
#include "runtime/worker_pool.hpp"
#include "vpn/ipsec/ipsec_module.hpp"
#include "web_module.hpp"

namespace bulwark::init {

namespace {

Status makeDir(const std::filesystem::path& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Error{fmt::format("cannot create {}: {}", dir.string(), ec.message())};
  chmod(dir.c_str(), 0700);
  return {};
}

config::Actor actorFor(const runtime::Peer& peer) {
  if (peer.uid == 0) return {"root", "root", "gaiconfig"};
  return {fmt::format("uid {}", peer.uid), "admin", "gaiconfig"};
}

// The reference's name of an interface (11.4.3.3: ext1, ext2, int, dmz0) for
// the board's ports; the kernel's name for any other.
std::string viaName(const platform::Board& board, const std::string& interface) {
  int external = 0;
  for (const platform::Port& p : board.ports) {
    if (p.role == platform::Port::Role::External) ++external;
    if (p.interface != interface) continue;
    switch (p.role) {
      case platform::Port::Role::External: return fmt::format("ext{}", external);
      case platform::Port::Role::Internal: return "int";
      case platform::Port::Role::Dmz: return "dmz0";
    }
  }
  return interface;
}

ipsec::SynupEnvironment synupEnvironment(const platform::Board& board, const std::string& serial,
                                         const runtime::Clock& clock, config::ConfigService& service,
                                         net::NetModule& net) {
  ipsec::SynupEnvironment env;
  env.uptime = [] {
    timespec ts{};
    clock_gettime(CLOCK_BOOTTIME, &ts);
    return std::chrono::milliseconds(std::int64_t{ts.tv_sec} * 1000 + ts.tv_nsec / 1000000);
  };
  env.now = [&clock] { return clock.now(); };
  env.timeLetter = [&net] { return net::tstampLetter(net.timeStatus()); };
  env.serial = serial;
  env.hostname = [&service] { return service.snapshot()->get("HOSTNAME"); };
  env.resolve = [&net](const std::string& name, std::function<void(Result<std::vector<std::string>>)> done) {
    net.resolve(name, std::move(done));
  };
  env.route = [&board](const std::string& address) -> Result<ipsec::RouteInfo> {
    auto route = net::routeTo(address);
    if (!route) return Error{route.error()};
    return ipsec::RouteInfo{viaName(board, route->interface), route->source,
                            net::linkState(route->interface) == net::LinkState::Up};
  };
  return env;
}

int fail(const std::string& message) {
  std::fprintf(stderr, "bulwark: %s\n", message.c_str());
  return 1;
}

}  // namespace

int runCore(const CoreOptions& options, int* stopSignal) {
  boost::asio::io_context io;
  // From here on SIGTERM and SIGINT are caught (and held until the loop runs):
  // a signal during start-up must not kill the core without its cleanup.
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  if (getpid() == 1) signals.add(SIGUSR2);  // power off, as busybox' poweroff asks init
  auto board = platform::findBoard(options.board);
  if (!board) return fail(board.error());
  for (const auto& dir : {options.dataDir, options.runDir}) {
    if (Status s = makeDir(dir); !s) return fail(s.message());
  }
  FileLock::Busy busy;
  // A gaiconfig working on the store (a rollout script, reference 2.19) is waited for.
  auto storeLock = FileLock::acquire(options.dataDir / "config.lock", "core", &busy, "gaiconfig", std::chrono::seconds(60));
  if (!storeLock) {
    return fail(busy.holder ? fmt::format("The configuration store in {} is in use (pid {}).", options.dataDir.string(),
                                          busy.holder)
                            : storeLock.error());
  }
  auto runLock = FileLock::acquire(options.runDir / "bulwark.lock", "core", &busy);
  if (!runLock) {
    return fail(busy.holder ? fmt::format("The run directory {} is in use by another core (pid {}).",
                                          options.runDir.string(), busy.holder)
                            : runLock.error());
  }

  runtime::SystemClock clock;
  log::Log log(clock);
  auto logStore = log::LogStore::open({.path = options.dataDir / "logs.db"}, clock);
  if (!logStore) return fail(logStore.error());
  log.addSink(**logStore);
  log::StreamSink console(stdout);
  if (options.consoleLog) log.addSink(console);

  auto store = config::Store::open(options.dataDir / "config.db");
  if (!store) return fail(store.error());
  auto initial = config::ConfigService::loadInitial(**store, config::Schema::builtin());
  if (!initial) return fail(initial.error());

  runtime::WorkerPool workers(io, 2, 1024);
  runtime::EventBus bus(io);
  runtime::ModuleSet modules;

  runtime::AsioTimers timers(io);

  // The hardware watchdog: armed before anything that could hang.
  std::unique_ptr<init::WatchdogKeeper> watchdog;
  if (options.watchdog) {
    watchdog = std::make_unique<init::WatchdogKeeper>(timers, log, *options.watchdog);
    if (Status s = watchdog->start(); !s) log.write("init", s.message());
  }

  // The supervisor and the reaper. As an ordinary process the core is the
  // reaper of its descendants' orphans, as PID 1 is anyway.
  if (getpid() != 1) {
    if (Status s = init::becomeSubreaper(); !s) log.write("init", s.message());
  }
  init::ProcessSpawner spawner(io);
  init::Supervisor supervisor(timers, clock, log, spawner, &bus);
  init::Reaper reaper(io, [&supervisor](pid_t pid, int status) { return supervisor.childExited(pid, status); });
  if (!options.servicesFile.empty()) {
    std::ifstream in(options.servicesFile);
    std::stringstream text;
    text << in.rdbuf();
    if (!in) return fail(fmt::format("cannot read {}", options.servicesFile.string()));
    auto specs = init::parseServices(text.str());
    if (!specs) return fail(fmt::format("{}: {}", options.servicesFile.string(), specs.error()));
    for (auto& spec : *specs) {
      if (Status s = supervisor.add(std::move(spec)); !s) return fail(s.message());
    }
  }

  // The modules, in start order.
  log::RemoteSyslog remote(io);
  log.addSink(remote);
  log::LogModule logModule(timers, log, logStore->get(), remote);
  modules.add(logModule);
  auth::AuthModule authModule(workers, log, clock);
  modules.add(authModule);
  net::KernelTime systemTime(options.ownsClock);
  net::NetModule netModule(io, timers, bus, *board, log, supervisor, options.runDir, systemTime);
  modules.add(netModule);
  firewall::FirewallModule firewallModule(io, *board, log, &bus);
  modules.add(firewallModule);
  ipsec::IpsecModule ipsecModule(io, timers, clock, bus, log, supervisor,
                                 {.runDir = options.runDir,
                                  .kernelEsp = ipsec::kernelHasEsp(),
                                  .ownsNetwork = ipsec::networkIsOurs(),
                                  .dataDir = options.dataDir});
  modules.add(ipsecModule);
  init::SshModule sshModule(log, supervisor, options.runDir, options.dataDir, options.ownsAccounts);
  modules.add(sshModule);

  config::ConfigService service(workers, **store, log, config::Schema::builtin(), modules, std::move(*initial), &bus);

  auto serial = platform::deviceSerial(*board, options.dataDir);
  if (!serial) return fail(serial.error());
  web::WebOptions webOptions{options.listen, options.dataDir, options.runDir, *board, *serial, logStore->get(),
                             [&netModule] { return netModule.timeStatus(); }};
  if (firewallModule.enabled()) {
    webOptions.setRuleRecord = [&firewallModule](const std::string& name, const std::string& rowid, bool active) {
      return firewallModule.setRecord(name, rowid, active);
    };
    webOptions.ruleRecordStatus = [&firewallModule](const std::string& name) {
      return firewall::recordStatusText(firewallModule.records(name));
    };
    webOptions.userFirewallLogin = [&firewallModule](const std::string& user, const std::string& address) {
      return firewallModule.login(user, address);
    };
    webOptions.userFirewallLogout = [&firewallModule](const std::string& user, const std::string& address) {
      return firewallModule.logout(user, address);
    };
  }
  webOptions.ipsec = &ipsecModule;
  ipsecModule.setSynupEnvironment(synupEnvironment(*board, *serial, clock, service, netModule));
  web::WebModule webModule(io, timers, workers, log, clock, authModule.authenticator(), service,
                           std::move(webOptions));
  modules.add(webModule);
  led::LedModule ledModule(io, bus, log, *board,
                           {[&authModule] { return authModule.authenticator().factoryPasswordsInUse(); },
                            [&netModule](const std::string& interface) { return netModule.carrier(interface); },
                            [&firewallModule](const std::string& rowid, bool active) {
                              return firewallModule.setRecord("", rowid, active);
                            },
                            [&ipsecModule](const std::string& rowid, bool active) {
                              return active ? ipsecModule.activate(rowid) : ipsecModule.deactivate(rowid);
                            }});
  modules.add(ledModule);
  bus.subscribe<led::LedsChanged>([&webModule](const led::LedsChanged& event) {
    auto shown = [](const std::vector<led::LedState>& states) {
      std::vector<web::api::LedFeed::Shown> out;
      for (const led::LedState& s : states) out.push_back({s.led, s.pattern});
      return out;
    };
    webModule.showLeds(shown(event.leds), shown(event.outputs), event.display);
  });

  auto control = runtime::ControlServer::listen(
      io, options.runDir / "bulwark.sock",
      [&service, &options, &workers, &supervisor, &netModule, &ledModule](std::string request, const runtime::Peer& peer,
                                                  runtime::ControlServer::Reply reply) {
        if (request.rfind("{\"ctl\":\"dhcp-event\"", 0) == 0) return reply(netModule.handleDhcpEvent(request));
        if (request == "{\"ctl\":\"leds\"}") return reply(ledModule.handleCtlRequest());
        if (request.rfind("{\"ctl\":\"input\",", 0) == 0) return reply(ledModule.handleInputRequest(request));
        if (init::isCtlRequest(request)) return reply(init::handleCtlRequest(supervisor, request));
        config::handleConfigRequest(service, std::move(request), {actorFor(peer), options.dataDir, &workers},
                                    std::move(reply));
      });
  if (!control) return fail(control.error());

  bus.publish(init::SystemStateChanged{init::SystemStateChanged::State::Booting});
  if (Status s = modules.startAll(service.snapshot()); !s) return fail(s.message());
  supervisor.start();
  bus.publish(init::SystemStateChanged{init::SystemStateChanged::State::Running});

  std::unique_ptr<log::KmsgReader> kernelLog;
  if (options.kernelLog) {
    auto reader = log::KmsgReader::open(io, log);
    if (reader) {
      kernelLog = std::move(*reader);
    } else {
      log.write("init", reader.error());
    }
  }

  // The power button powers off the way SIGUSR2 does.
  std::unique_ptr<init::PowerButton> powerButton;
  if (options.powerButton) {
    std::vector<std::string> watched;
    auto button = init::PowerButton::open(
        io,
        [&log](const std::string& device) {
          log.write("init", fmt::format("power button {} pressed: powering off", device));
          kill(getpid(), SIGUSR2);
        },
        &watched);
    if (!button) {
      log.write("init", button.error());
    } else {
      powerButton = std::move(*button);
      log.write("init", watched.empty() ? "power button: no input device reports the power key"
                                        : fmt::format("power button: {}", fmt::join(watched, ", ")));
    }
  }

  log::LogStore* logStorePtr = logStore->get();
  auto consoleServices = [&](std::function<void()> ended) {
    return init::ConsoleServices{authModule.authenticator(),
                                 service,
                                 supervisor,
                                 workers,
                                 clock,
                                 *board,
                                 options.dataDir,
                                 options.dataDir / "logs.db",
                                 [logStorePtr] { logStorePtr->flush(); },
                                 [](int signal) { kill(getpid(), signal); },
                                 std::move(ended)};
  };
  std::unique_ptr<init::Console> serialConsole;
  if (options.console) serialConsole = std::make_unique<init::Console>(io, 0, 1, consoleServices({}));

  // SSH sessions of admin, netadmin and audit (ssh.hpp, shell_server.hpp).
  std::unique_ptr<init::ShellServer> shells;
  if (options.ownsAccounts) {
    auto server = init::ShellServer::listen(
        io, timers, log, options.runDir / "shell.sock",
        {[](uid_t uid) -> std::optional<auth::Identity> {
           auto role = init::roleOfUid(uid);
           if (!role) return std::nullopt;
           return auth::Identity{std::string(auth::roleName(*role)), *role};
         },
         [&service](auth::Role role) { return init::sessionLimit(*service.snapshot(), role); },
         [&](int in, int out, std::function<void()> ended) {
           return std::make_unique<init::Console>(io, in, out, consoleServices(std::move(ended)));
         }});
    if (server) {
      shells = std::move(*server);
    } else {
      log.write("init", server.error());
    }
  }

  signals.async_wait([&](const boost::system::error_code& ec, int signal) {
    if (ec) return;
    if (stopSignal) *stopSignal = signal;
    bus.publish(init::SystemStateChanged{init::SystemStateChanged::State::Stopping, signal == SIGINT});
    log.write("bulwark", fmt::format("stopping on signal {}", signal));
    // No new requests; a change in flight is finished (committed, applied,
    // logged and answered) before the modules stop.
    control->reset();
    if (serialConsole) serialConsole->stop();
    shells.reset();
    service.whenIdle([&] {
      supervisor.stopAll([&] {
        modules.stopAll();
        io.stop();
      });
    });
  });

  log.write("bulwark", fmt::format("bulwark {} started on board {} (data {}, control socket {})", build::version,
                                   board->name, options.dataDir.string(), (options.runDir / "bulwark.sock").string()));
  if (serialConsole) serialConsole->start();
  io.run();
  workers.drain();
  log.removeSink(remote);
  (*logStore)->flush();
  return 0;
}

}  // namespace bulwark::init
