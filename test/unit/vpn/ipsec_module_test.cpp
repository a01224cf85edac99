// The IPsec module with a fake spawner (no process is started) and a fake
// charon on the VICI socket in its run directory: when charon runs, what it
// is given, and that a change touches only the connection it is about.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "support/support.hpp"
#include "vpn/fake_charon.hpp"
#include "vpn/ipsec/ipsec_module.hpp"

using namespace bulwark;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// Starts nothing; every socket accepts at once; a signalled "process" ends.
class FakeSpawner final : public init::Spawner {
 public:
  explicit FakeSpawner(asio::io_context& io) : io_(io) {}
  Result<pid_t> spawn(const init::ServiceSpec& spec, Output) override {
    specs.push_back(spec);
    return nextPid_++;
  }
  void signal(pid_t pid, int sig) override {
    signals.emplace_back(pid, sig);
    asio::post(io_, [this, pid, sig] { supervisor->childExited(pid, sig); });
  }
  bool fileExists(const std::string&) override { return true; }
  bool socketAccepts(const std::string&) override { return true; }

  init::Supervisor* supervisor = nullptr;
  std::vector<init::ServiceSpec> specs;
  std::vector<std::pair<pid_t, int>> signals;

 private:
  asio::io_context& io_;
  pid_t nextPid_ = 100;
};

const config::Schema& schema() { return config::Schema::builtin(); }

void addConnection(config::Config& c, const std::string& id, const std::string& name, const std::string& peer) {
  const config::Variable* table = schema().find("VPN_CONNECTION");
  config::Row row = config::defaultRow(*table, id);
  row.fields["TUNNEL"].rows.push_back(
      config::defaultRow(*config::Schema::findColumn(*table, "TUNNEL"), "MAIv4" + id.substr(5)));
  row.fields["VPN_NAME"].text = name;
  row.fields["AUTH_METHOD"].text = "psk";
  row.fields["PSK"].text = "key of " + name;
  row.fields["REMOTE_GATEWAY"].text = peer;
  c.values["VPN_CONNECTION"].rows.push_back(row);
}

struct Fixture : test::LoopWithLog {
  runtime::EventBus bus{io};
  FakeSpawner spawner{io};
  init::Supervisor supervisor{timers, clock, log, spawner, &bus};
  test::FakeCharon charon{io, dir / "charon.vici"};
  bool ownsNetwork = true;
  ipsec::IpsecModule module{io, timers, bus, log, supervisor, {dir.path(), false, ownsNetwork, 2000ms}};
  config::Config config = config::factoryDefault(schema());

  Fixture() {
    spawner.supervisor = &supervisor;
    supervisor.start();
  }
  // The module starts charon: the fake's socket is made anew, as charon's
  // would be (the module removes a stale one first).
  void start() {
    REQUIRE(module.start(std::make_shared<const config::Config>(config)));
    charon.listen();
  }
  void change(const std::function<void(config::Config&)>& edit) {
    config::Config next = config;
    edit(next);
    REQUIRE(config::validate(schema(), next));
    auto d = config::diff(schema(), config, next);
    config = next;
    REQUIRE(module.reconfigure(std::make_shared<const config::Config>(config), d));
  }
  // The names of the commands charon was sent from `from` on, with the
  // connection each is about.
  std::vector<std::string> commandsFrom(std::size_t from) const {
    std::vector<std::string> out;
    for (std::size_t i = from; i < charon.commands.size(); ++i) {
      const auto& p = charon.commands[i];
      std::string about = p.message.entries().empty() ? "" : p.message.entries()[0].kind ==
                                                                     ipsec::vici::Message::Kind::Section
                                                                 ? p.message.entries()[0].name
                                                                 : p.message.entries()[0].value;
      out.push_back(p.name + " " + about);
    }
    return out;
  }
  void until(const std::function<bool()>& done) { test::runUntil(io, done, 5s); }
};

}  // namespace

TEST_CASE("without an enabled connection charon does not run", "[ipsec]") {
  Fixture f;
  REQUIRE(f.module.start(std::make_shared<const config::Config>(f.config)));
  addConnection(f.config, "MAIv300000001", "plant", "10.0.2.2");
  f.config.values["VPN_CONNECTION"].rows[0].fields["ENABLED"].text = "no";
  REQUIRE(f.module.start(std::make_shared<const config::Config>(f.config)));
  f.io.poll();
  CHECK(f.spawner.specs.empty());
  CHECK_FALSE(f.supervisor.status("charon"));
}

TEST_CASE("on the host's own network charon is not started", "[ipsec]") {
  test::LoopWithLog loop;
  runtime::EventBus bus{loop.io};
  FakeSpawner spawner{loop.io};
  init::Supervisor supervisor{loop.timers, loop.clock, loop.log, spawner, &bus};
  ipsec::IpsecModule module{loop.io, loop.timers, bus, loop.log, supervisor, {loop.dir.path(), false, false}};
  config::Config config = config::factoryDefault(schema());
  addConnection(config, "MAIv300000001", "plant", "10.0.2.2");
  supervisor.start();
  REQUIRE(module.start(std::make_shared<const config::Config>(config)));
  loop.io.poll();
  CHECK(spawner.specs.empty());
  CHECK(loop.sink.messages("ipsec") ==
        std::vector<std::string>{"connection plant not started: the core shares the host's network (it is neither "
                                 "PID 1 nor in a network namespace of its own)"});
}

TEST_CASE("enabled PSK connections start charon and are loaded once it is ready", "[ipsec]") {
  Fixture f;
  addConnection(f.config, "MAIv300000001", "plant", "10.0.2.2");
  addConnection(f.config, "MAIv300000002", "office", "%any");
  f.start();
  f.until([&] { return f.charon.commands.size() == 4; });
  REQUIRE(f.spawner.specs.size() == 1);
  CHECK(f.spawner.specs[0].argv == std::vector<std::string>{"/usr/sbin/charon-systemd"});
  CHECK(f.spawner.specs[0].env.at(0) == "STRONGSWAN_CONF=" + (f.dir / "strongswan.conf").string());
  std::ifstream conf(f.dir / "strongswan.conf");
  std::string text((std::istreambuf_iterator<char>(conf)), {});
  CHECK(text == ipsec::strongswanConf({f.dir / "charon.vici", false}));
  CHECK(f.commandsFrom(0) == std::vector<std::string>{"load-shared MAIv300000001", "load-conn MAIv300000001",
                                                      "load-shared MAIv300000002", "load-conn MAIv300000002"});
  f.until([&] { return f.sink.messages("ipsec").size() == 4; });
  CHECK(f.sink.messages("ipsec") ==
        std::vector<std::string>{"starting charon (ESP in user space: kernel-libipsec)",
                                 "connected to charon (" + (f.dir / "charon.vici").string() + ")",
                                 "connection plant loaded", "connection office loaded"});
}

TEST_CASE("an edit reloads that connection only, a disabled one is unloaded, the last stops charon", "[ipsec]") {
  Fixture f;
  addConnection(f.config, "MAIv300000001", "plant", "10.0.2.2");
  addConnection(f.config, "MAIv300000002", "office", "10.0.3.2");
  f.start();
  f.until([&] { return f.charon.commands.size() == 4; });

  f.change([](config::Config& c) { c.values["VPN_CONNECTION"].rows[1].fields["SA_LIFETIME"].text = "02:00:00"; });
  f.until([&] { return f.charon.commands.size() == 6; });
  CHECK(f.commandsFrom(4) == std::vector<std::string>{"load-shared MAIv300000002", "load-conn MAIv300000002"});
  // Another variable: nothing is sent.
  f.change([](config::Config& c) { c.values["WWW_TIMEOUT"].text = "900"; });
  f.change([](config::Config& c) { c.values["VPN_CONNECTION"].rows[0].fields["ENABLED"].text = "no"; });
  f.until([&] { return f.charon.commands.size() == 8; });
  CHECK(f.commandsFrom(6) == std::vector<std::string>{"unload-conn MAIv300000001", "unload-shared MAIv300000001"});
  CHECK(f.spawner.signals.empty());

  f.change([](config::Config& c) { c.values["VPN_CONNECTION"].rows.pop_back(); });
  f.until([&] { return !f.spawner.signals.empty(); });
  CHECK(f.spawner.signals[0].second == SIGTERM);
  f.until([&] { return !f.supervisor.status("charon"); });
  CHECK(f.sink.messages("ipsec").back() == "no IPsec connection is enabled: charon stopped");
}

TEST_CASE("charon coming back is given everything again", "[ipsec]") {
  Fixture f;
  addConnection(f.config, "MAIv300000001", "plant", "10.0.2.2");
  f.start();
  f.until([&] { return f.charon.commands.size() == 2; });
  f.charon.close();
  test::runUntil(f.io, [&] { return !f.module.charonConnected(); }, 5s);
  f.charon.listen();
  f.until([&] { return f.charon.commands.size() == 4; });
  CHECK(f.commandsFrom(2) == std::vector<std::string>{"load-shared MAIv300000001", "load-conn MAIv300000001"});
}

TEST_CASE("what charon refuses is logged with its reason", "[ipsec]") {
  Fixture f;
  f.charon.answer = [](const ipsec::vici::Packet& p) -> std::optional<ipsec::vici::Packet> {
    ipsec::vici::Message m;
    if (p.name == "load-conn") {
      m.add("success", "no").add("errmsg", "invalid value for: remote_addrs");
    } else {
      m.add("success", "yes");
    }
    return ipsec::vici::Packet{ipsec::vici::PacketType::CmdResponse, "", m};
  };
  addConnection(f.config, "MAIv300000001", "plant", "10.0.2.2");
  addConnection(f.config, "MAIv300000002", "lab", "10.0.2.3");
  f.config.values["VPN_CONNECTION"].rows[1].fields["AUTH_METHOD"].text = "x509";
  f.start();
  f.until([&] { return f.sink.messages("ipsec").size() == 4; });
  auto lines = f.sink.messages("ipsec");
  CHECK(lines[0] == "connection lab not loaded: X.509 authentication is not supported yet");
  CHECK(lines[3] == "connection plant: charon refused it: invalid value for: remote_addrs");
}
