// The IPsec module with a fake spawner (no process is started) and a fake
// charon on the VICI socket in its run directory: when charon runs, what it
// is given, and that a change touches only the connection it is about.
#include <catch2/catch.hpp>

#include <csignal>
#include <fstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "pki/certificate.hpp"
#include "pki/reference_ca.hpp"
#include "pki/store.hpp"
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
  // A known peer is started by us; %any can only be waited for.
  row.fields["CONNECTION_STARTUP"].text = peer == "%any" ? "wait" : "initiate";
  c.values["VPN_CONNECTION"].rows.push_back(row);
}

struct Fixture : test::LoopWithLog {
  runtime::EventBus bus{io};
  FakeSpawner spawner{io};
  init::Supervisor supervisor{timers, clock, log, spawner, &bus};
  test::FakeCharon charon{io, dir / "charon.vici"};
  bool ownsNetwork = true;
  ipsec::IpsecModule module{io, timers, clock, bus, log, supervisor, {dir.path(), false, ownsNetwork, 2000ms, dir.path()}};
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
  ipsec::IpsecModule module{loop.io, loop.timers, loop.clock, bus, loop.log, supervisor, {loop.dir.path(), false, false}};
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
  f.until([&] { return f.charon.commands.size() == 5; });
  REQUIRE(f.spawner.specs.size() == 1);
  CHECK(f.spawner.specs[0].argv == std::vector<std::string>{"/usr/sbin/charon-systemd"});
  CHECK(f.spawner.specs[0].env.at(0) == "STRONGSWAN_CONF=" + (f.dir / "strongswan.conf").string());
  std::ifstream conf(f.dir / "strongswan.conf");
  std::string text((std::istreambuf_iterator<char>(conf)), {});
  CHECK(text == ipsec::strongswanConf({f.dir / "charon.vici", false}));
  CHECK(f.commandsFrom(0) == std::vector<std::string>{"load-shared MAIv300000001", "load-conn MAIv300000001",
                                                      "load-shared MAIv300000002", "load-conn MAIv300000002",
                                                      "list-sas "});
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
  f.until([&] { return f.charon.commands.size() == 5; });

  f.change([](config::Config& c) { c.values["VPN_CONNECTION"].rows[1].fields["SA_LIFETIME"].text = "02:00:00"; });
  f.until([&] { return f.charon.commands.size() == 7; });
  CHECK(f.commandsFrom(5) == std::vector<std::string>{"load-shared MAIv300000002", "load-conn MAIv300000002"});
  // Another variable: nothing is sent.
  f.change([](config::Config& c) { c.values["WWW_TIMEOUT"].text = "900"; });
  f.change([](config::Config& c) { c.values["VPN_CONNECTION"].rows[0].fields["ENABLED"].text = "no"; });
  f.until([&] { return f.charon.commands.size() == 10; });
  CHECK(f.commandsFrom(7) == std::vector<std::string>{"terminate MAIv300000001", "unload-conn MAIv300000001",
                                                      "unload-shared MAIv300000001"});
  CHECK(f.spawner.signals.empty());

  // The last one: its SAs are deleted and it is unloaded before charon stops.
  f.change([](config::Config& c) { c.values["VPN_CONNECTION"].rows.pop_back(); });
  f.until([&] { return !f.spawner.signals.empty(); });
  CHECK(f.commandsFrom(10) == std::vector<std::string>{"terminate MAIv300000002", "unload-conn MAIv300000002",
                                                       "unload-shared MAIv300000002", "version "});
  CHECK(f.spawner.signals[0].second == SIGTERM);
  f.until([&] { return !f.supervisor.status("charon"); });
  CHECK(f.sink.messages("ipsec").back() == "no IPsec connection is enabled: charon stopped");
}

TEST_CASE("a CRL no wanted connection has any more is cleared from charon, also when its connection was unloaded",
          "[ipsec][pki]") {
  Fixture f;
  // An X.509 connection: a machine certificate in the data directory, the
  // same certificate as its CA, and a CRL.
  auto machine = pki::makeSelfSignedCertificate("BW0000001", std::chrono::system_clock::now());
  REQUIRE(machine);
  REQUIRE(pki::storeMachineIdentity(f.dir.path(), "MAIv500000001", *machine));
  test::ReferenceCa ca;
  std::string crl = ca.crl();
  f.config.values["MACHINE_CERTIFICATES"].rows.push_back(
      config::defaultRow(*schema().find("MACHINE_CERTIFICATES"), "MAIv500000001"));
  f.config.values["MACHINE_CERTIFICATES"].rows[0].fields["SHORT_NAME"].text = "gw";
  config::Row caRow = config::defaultRow(*schema().find("CA_CERTIFICATES"), "MAIv500000002");
  caRow.fields["SHORT_NAME"].text = "plant CA";
  caRow.fields["CERTIFICATE"].text = test::readFile(ca.ca());
  f.config.values["CA_CERTIFICATES"].rows.push_back(caRow);
  config::Row crlRow = config::defaultRow(*schema().find("CRLS"), "MAIv500000003");
  crlRow.fields["SHORT_NAME"].text = "plant CRL";
  crlRow.fields["CRL"].text = crl;
  f.config.values["CRLS"].rows.push_back(crlRow);
  addConnection(f.config, "MAIv300000001", "plant", "10.0.2.2");
  auto& row = f.config.values["VPN_CONNECTION"].rows[0];
  row.fields["AUTH_METHOD"].text = "x509";
  row.fields["LOCAL_CERT_REF"].text = "MAIv500000001";
  row.fields["REMOTE_CA_REF"].text = "MAIv500000002";
  REQUIRE(config::validate(schema(), f.config));
  f.start();
  auto sent = [&](const std::string& command, std::size_t from = 0) {
    auto all = f.commandsFrom(from);
    return std::find(all.begin(), all.end(), command) != all.end();
  };
  f.until([&] { return sent("load-conn MAIv300000001"); });
  auto loaded = f.commandsFrom(0);
  INFO(fmt::format("{}", fmt::join(loaded, ", ")));
  CHECK(std::count(loaded.begin(), loaded.end(), "load-cert X509_CRL") == 1);

  // Once no wanted connection has the CRL (plant disabled; office, a PSK
  // connection, keeps charon up), charon's credentials are cleared and the
  // others' given again; plant enabled without the CRL gets none.
  f.change([](config::Config& c) { addConnection(c, "MAIv300000002", "office", "10.0.3.2"); });
  f.until([&] { return sent("load-conn MAIv300000002"); });
  std::size_t before = f.charon.commands.size();
  f.change([](config::Config& c) { c.values["VPN_CONNECTION"].rows[0].fields["ENABLED"].text = "no"; });
  f.until([&] { return sent("load-conn MAIv300000002", before); });
  auto disabled = f.commandsFrom(before);
  INFO(fmt::format("{}", fmt::join(disabled, ", ")));
  CHECK(disabled == std::vector<std::string>{"terminate MAIv300000001", "unload-conn MAIv300000001",
                                             "unload-shared MAIv300000001", "clear-creds ",
                                             "load-shared MAIv300000002", "load-conn MAIv300000002"});
  before = f.charon.commands.size();
  f.change([](config::Config& c) {
    c.values["CRLS"].rows.clear();
    c.values["VPN_CONNECTION"].rows[0].fields["ENABLED"].text = "yes";
  });
  f.until([&] { return sent("load-conn MAIv300000001", before); });
  auto enabled = f.commandsFrom(before);
  INFO(fmt::format("{}", fmt::join(enabled, ", ")));
  CHECK(enabled == std::vector<std::string>{"load-cert X509", "load-cert X509", "load-key any",
                                            "load-conn MAIv300000001"});
}

TEST_CASE("a mode configuration server's pool is loaded before it and unloaded after it", "[ipsec]") {
  Fixture f;
  addConnection(f.config, "MAIv300000001", "mobile", "%any");
  addConnection(f.config, "MAIv300000002", "office", "10.0.3.2");
  f.config.values["VPN_CONNECTION"].rows[0].fields["MODECFG"].text = "server";
  f.start();
  f.until([&] { return f.charon.commands.size() == 6; });
  CHECK(f.commandsFrom(0) == std::vector<std::string>{"load-pool MAIv300000001", "load-shared MAIv300000001",
                                                      "load-conn MAIv300000001", "load-shared MAIv300000002",
                                                      "load-conn MAIv300000002", "list-sas "});
  CHECK(ipsec::vici::toText(f.charon.commands[0].message) == "{MAIv300000001 {addrs=172.16.101.0/24}}");
  // An edit that keeps the pool does not load it again; a new pool is loaded.
  f.change([](config::Config& c) { c.values["VPN_CONNECTION"].rows[0].fields["SA_LIFETIME"].text = "02:00:00"; });
  f.until([&] { return f.charon.commands.size() == 8; });
  CHECK(f.commandsFrom(6) == std::vector<std::string>{"load-shared MAIv300000001", "load-conn MAIv300000001"});
  f.change([](config::Config& c) {
    c.values["VPN_CONNECTION"].rows[0].fields["MODECFG_REMOTE_POOL"].text = "172.16.102.0/24";
  });
  // charon changes no pool with online leases: the peers are ended first.
  f.until([&] { return f.charon.commands.size() == 12; });
  CHECK(f.commandsFrom(8) == std::vector<std::string>{"terminate MAIv300000001", "load-pool MAIv300000001",
                                                      "load-shared MAIv300000001", "load-conn MAIv300000001"});
  CHECK(f.charon.commands[8].message.valueOr("force", "") == "yes");
  // Disabled: the pool goes after the connection.
  f.change([](config::Config& c) { c.values["VPN_CONNECTION"].rows[0].fields["ENABLED"].text = "no"; });
  f.until([&] { return f.charon.commands.size() == 16; });
  CHECK(f.commandsFrom(12) == std::vector<std::string>{"terminate MAIv300000001", "unload-conn MAIv300000001",
                                                       "unload-shared MAIv300000001", "unload-pool MAIv300000001"});
}

TEST_CASE("charon coming back is given everything again", "[ipsec]") {
  Fixture f;
  addConnection(f.config, "MAIv300000001", "plant", "10.0.2.2");
  f.start();
  f.until([&] { return f.charon.commands.size() == 3; });
  f.charon.close();
  test::runUntil(f.io, [&] { return !f.module.charonConnected(); }, 5s);
  f.charon.listen();
  f.until([&] { return f.charon.commands.size() == 6; });
  CHECK(f.commandsFrom(3) ==
        std::vector<std::string>{"load-shared MAIv300000001", "load-conn MAIv300000001", "list-sas "});
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
  CHECK(lines[0] == "connection lab not loaded: AUTH_METHOD is x509 but LOCAL_CERT_REF names no machine certificate");
  CHECK(lines[3] == "connection plant: charon refused it: invalid value for: remote_addrs");
}

namespace {

ipsec::vici::Message ikeSa(const std::string& uid, const std::string& state, ipsec::vici::Message children = {}) {
  return ipsec::vici::Message{}
      .add("uniqueid", uid)
      .add("state", state)
      .add("remote-host", "10.0.2.2")
      .addSection("child-sas", std::move(children));
}

ipsec::vici::Message childSa(const std::string& name, const std::string& uid, const std::string& state) {
  return ipsec::vici::Message{}
      .add("name", name)
      .add("uniqueid", uid)
      .add("state", state)
      .addList("local-ts", {"192.168.1.0/24"})
      .addList("remote-ts", {"10.0.0.0/24"});
}

ipsec::vici::Message updown(const std::string& conn, ipsec::vici::Message sa, bool up) {
  ipsec::vici::Message m;
  if (up) m.add("up", "yes");
  return m.addSection(conn, std::move(sa));
}

}  // namespace

TEST_CASE("charon's events make a connection's state, and each change is published", "[ipsec]") {
  Fixture f;
  std::vector<ipsec::VpnStateChanged> published;
  f.bus.subscribe<ipsec::VpnStateChanged>([&published](const ipsec::VpnStateChanged& e) { published.push_back(e); });
  addConnection(f.config, "MAIv300000001", "plant", "10.0.2.2");
  f.start();
  f.until([&] { return f.charon.commands.size() == 3; });  // loaded, list-sas
  f.until([&] { return f.module.connections().at(0).armed; });
  auto s = f.module.connections();
  REQUIRE(s.size() == 1);
  CHECK(s[0].state() == ipsec::VpnState::Ready);
  CHECK_FALSE(s[0].ike);

  f.charon.emit("ike-updown", updown("MAIv300000001", ikeSa("1", "ESTABLISHED"), true));
  f.charon.emit("child-updown",
                updown("MAIv300000001",
                       ikeSa("1", "ESTABLISHED",
                             ipsec::vici::Message{}.addSection("MAIv400000001-1",
                                                               childSa("MAIv400000001", "1", "INSTALLED"))),
                       true));
  f.until([&] { return f.module.connections().at(0).state() == ipsec::VpnState::Active; });
  s = f.module.connections();
  REQUIRE(s[0].ike);
  CHECK(s[0].ike->remoteHost == "10.0.2.2");
  REQUIRE(s[0].tunnels.size() == 1);
  CHECK(s[0].tunnels[0].sa->uniqueId == 1);
  f.until([&] { return !published.empty() && published.back().state == ipsec::VpnState::Active; });
  CHECK(published.back().name == "plant");
  CHECK(published.back().tunnelsUp == 1);
  CHECK(published.back().tunnels == 1);

  f.charon.emit("child-updown",
                updown("MAIv300000001",
                       ikeSa("1", "ESTABLISHED",
                             ipsec::vici::Message{}.addSection("MAIv400000001-1",
                                                               childSa("MAIv400000001", "1", "DELETING"))),
                       false));
  f.until([&] { return f.module.connections().at(0).state() == ipsec::VpnState::Ready; });
  f.until([&] { return published.back().state == ipsec::VpnState::Ready; });
  auto lines = f.sink.messages("ipsec");
  CHECK(std::count(lines.begin(), lines.end(), "connection plant: IKE SA established with 10.0.2.2") == 1);
  CHECK(std::count(lines.begin(), lines.end(), "connection plant: tunnel 192.168.1.0/24 === 10.0.0.0/24 up") == 1);
  CHECK(std::count(lines.begin(), lines.end(), "connection plant: tunnel 192.168.1.0/24 === 10.0.0.0/24 down") == 1);
}

TEST_CASE("list-sas on connecting finds the SAs charon already has", "[ipsec]") {
  Fixture f;
  f.charon.streamed["list-sas"] = {
      "list-sa",
      {updown("MAIv300000001",
              ikeSa("7", "ESTABLISHED",
                    ipsec::vici::Message{}.addSection("MAIv400000001-9", childSa("MAIv400000001", "9", "INSTALLED"))),
              false)}};
  addConnection(f.config, "MAIv300000001", "plant", "10.0.2.2");
  f.start();
  f.until([&] { return f.module.connections().at(0).state() == ipsec::VpnState::Active; });
  CHECK(f.module.connections().at(0).ike->uniqueId == 7);
}

TEST_CASE("an SA that comes up while charon lists its SAs is not lost to the older list", "[ipsec]") {
  Fixture f;
  addConnection(f.config, "MAIv300000001", "plant", "10.0.2.2");
  f.start();
  f.until([&] { return f.module.connections().at(0).armed; });
  // charon lists (nothing yet), the SA comes up, then the list's answer arrives.
  auto plain = f.charon.answer;
  f.charon.answer = [plain](const ipsec::vici::Packet& p) -> std::optional<ipsec::vici::Packet> {
    if (p.name == "list-sas") return std::nullopt;
    return plain(p);
  };
  std::size_t from = f.charon.commands.size();
  bool listed = false;
  f.module.refresh([&] { listed = true; });
  f.until([&] { return f.commandsFrom(from) == std::vector<std::string>{"list-sas "}; });
  f.charon.emit("ike-updown", updown("MAIv300000001", ikeSa("7", "ESTABLISHED"), true));
  f.until([&] { return f.module.connections().at(0).ike.has_value(); });
  f.charon.respond({ipsec::vici::PacketType::CmdResponse, "", {}});
  f.until([&] { return listed; });
  REQUIRE(f.module.connections().at(0).ike);
  CHECK(f.module.connections().at(0).ike->uniqueId == 7);
}

TEST_CASE("terminateIke deletes one IKE SA by its unique id and lists the SAs again", "[ipsec]") {
  Fixture f;
  addConnection(f.config, "MAIv300000001", "group", "%any");
  f.start();
  f.until([&] { return f.module.connections().at(0).armed; });
  for (std::string uid : {"7", "8"}) f.charon.emit("ike-updown", updown("MAIv300000001", ikeSa(uid, "ESTABLISHED"), true));
  f.until([&] { return f.module.connections().at(0).sas.size() == 2; });
  // charon has only the other one left.
  f.charon.streamed["list-sas"] = {"list-sa", {updown("MAIv300000001", ikeSa("8", "ESTABLISHED"), false)}};
  std::size_t from = f.charon.commands.size();
  std::optional<Status> result;
  f.module.terminateIke(7, [&result](Status s) { result = s; });
  f.until([&] { return result.has_value(); });
  CHECK(*result);
  CHECK(f.commandsFrom(from) == std::vector<std::string>{"terminate 7", "list-sas "});
  CHECK(f.charon.commands[from].message.valueOr("ike-id", "") == "7");
  CHECK(f.charon.commands[from].message.valueOr("force", "") == "yes");  // a silent peer is cleared too
  REQUIRE(f.module.connections().at(0).sas.size() == 1);
  CHECK(f.module.connections().at(0).sas[0].uniqueId == 8);
}

TEST_CASE("a failure charon reports for a connection's IKE SA is logged once", "[ipsec]") {
  Fixture f;
  addConnection(f.config, "MAIv300000001", "plant", "10.0.2.2");
  f.start();
  f.until([&] { return f.charon.commands.size() == 3; });
  auto log = [&](const std::string& name, const std::string& uid, const std::string& msg) {
    f.charon.emit("log", ipsec::vici::Message{}
                             .add("group", "IKE")
                             .add("level", "1")
                             .add("ikesa-name", name)
                             .add("ikesa-uniqueid", uid)
                             .add("msg", msg));
  };
  log("MAIv300000001", "3", "initiating IKE_SA MAIv300000001[3] to 10.0.2.2");
  log("MAIv300000001", "3", "received AUTHENTICATION_FAILED notify error");
  log("MAIv300000001", "3", "establishing IKE_SA failed");
  log("someone-else", "4", "received AUTHENTICATION_FAILED notify error");
  log("MAIv300000001", "5", "giving up after 5 retransmissions");
  f.until([&] { return f.sink.messages("ipsec").back().find("giving up") != std::string::npos; });
  auto lines = f.sink.messages("ipsec");
  std::vector<std::string> failed;
  std::copy_if(lines.begin(), lines.end(), std::back_inserter(failed),
               [](const std::string& l) { return l.find("failed:") != std::string::npos; });
  CHECK(failed == std::vector<std::string>{"connection plant failed: received AUTHENTICATION_FAILED notify error",
                                           "connection plant failed: giving up after 5 retransmissions"});
}

TEST_CASE("a change that would initiate a connection to %any is refused before anything is loaded", "[ipsec]") {
  Fixture f;
  addConnection(f.config, "MAIv300000001", "plant", "10.0.2.2");
  f.start();
  f.until([&] { return f.charon.commands.size() == 3; });
  config::Config next = f.config;
  next.values["VPN_CONNECTION"].rows[0].fields["REMOTE_GATEWAY"].text = "%any";
  REQUIRE(config::validate(schema(), next));
  Status s = f.module.reconfigure(std::make_shared<const config::Config>(next), config::diff(schema(), f.config, next));
  REQUIRE_FALSE(s);
  CHECK(s.message() == "The VPN connection plant: CONNECTION_STARTUP is initiate but REMOTE_GATEWAY is %any: a "
                       "connection is initiated only to a known peer (use wait, or name the peer).");
  f.io.poll();
  CHECK(f.charon.commands.size() == 3);  // nothing unloaded or reloaded
  // Waiting for any peer is fine.
  f.change([](config::Config& c) {
    c.values["VPN_CONNECTION"].rows[0].fields["REMOTE_GATEWAY"].text = "%any";
    c.values["VPN_CONNECTION"].rows[0].fields["CONNECTION_STARTUP"].text = "wait";
  });
  f.until([&] { return f.charon.commands.size() == 5; });
  CHECK(f.commandsFrom(3) == std::vector<std::string>{"load-shared MAIv300000001", "load-conn MAIv300000001"});
}

TEST_CASE("initiate-on-traffic is initiated at once where ESP is in user space, and the log says so", "[ipsec]") {
  Fixture f;  // kernel-libipsec
  addConnection(f.config, "MAIv300000001", "plant", "10.0.2.2");
  f.config.values["VPN_CONNECTION"].rows[0].fields["CONNECTION_STARTUP"].text = "initiate-on-traffic";
  f.start();
  f.until([&] { return f.charon.commands.size() == 3; });
  std::string conn = ipsec::vici::toText(f.charon.commands[1].message);
  CHECK_THAT(conn, Catch::Contains("start_action=start dpd_action=restart"));
  CHECK_THAT(conn, Catch::Contains("keyingtries=0"));
  auto lines = f.sink.messages("ipsec");
  CHECK(std::find(lines.begin(), lines.end(),
                  "connection plant: initiate-on-traffic needs kernel ESP; with ESP in user space (kernel-libipsec) "
                  "traffic does not start a connection, so it is initiated at once") != lines.end());
}

TEST_CASE("only a disabled connection with a peer address and a tunnel is activated (reference 11.3)", "[ipsec]") {
  Fixture f;
  addConnection(f.config, "MAIv300000001", "plant", "10.0.2.2");
  addConnection(f.config, "MAIv300000002", "office", "%any");
  addConnection(f.config, "MAIv300000003", "lab", "10.0.3.2");
  f.config.values["VPN_CONNECTION"].rows[1].fields["ENABLED"].text = "no";
  f.config.values["VPN_CONNECTION"].rows[2].fields["ENABLED"].text = "no";
  f.start();
  f.until([&] { return f.charon.commands.size() == 3; });

  auto enabled = f.module.activate("MAIv300000001");
  REQUIRE_FALSE(enabled);
  CHECK(enabled.message() == "The VPN connection plant is enabled in the configuration; only a disabled connection is "
                             "switched on and off this way (reference 11.3.1).");
  auto waits = f.module.deactivate("MAIv300000002");
  REQUIRE_FALSE(waits);
  CHECK(waits.message() == "The VPN connection office waits for its peer (CONNECTION_STARTUP wait), which cannot be "
                           "switched this way (reference 11.3.2).");
  CHECK_FALSE(f.module.activate("MAIv399999999"));
  CHECK(f.module.connections().at(2).state() == ipsec::VpnState::Void);
  f.io.poll();
  CHECK(f.charon.commands.size() == 3);  // nothing was sent

  REQUIRE(f.module.activate("MAIv300000003"));
  CHECK(f.module.connections().at(2).activated);
  CHECK(f.module.connections().at(2).state() == ipsec::VpnState::Ready);
  f.until([&] { return f.charon.commands.size() == 5; });
  CHECK(f.commandsFrom(3) == std::vector<std::string>{"load-shared MAIv300000003", "load-conn MAIv300000003"});
  f.until([&] { return f.module.connections().at(2).armed; });

  // Activated again while charon has it and it has no CHILD_SA: initiated.
  REQUIRE(f.module.activate("MAIv300000003"));
  f.until([&] { return f.charon.commands.size() == 6; });
  CHECK(f.charon.commands[5].name == "initiate");
  CHECK(ipsec::vici::toText(f.charon.commands[5].message) == "{child=MAIv400000003 ike=MAIv300000003 timeout=-1}");

  REQUIRE(f.module.deactivate("MAIv300000003"));
  CHECK_FALSE(f.module.connections().at(2).activated);
  f.until([&] { return f.charon.commands.size() == 9; });
  CHECK(f.commandsFrom(6) == std::vector<std::string>{"terminate MAIv300000003", "unload-conn MAIv300000003",
                                                      "unload-shared MAIv300000003"});
  // Deactivating it again changes nothing.
  REQUIRE(f.module.deactivate("MAIv300000003"));
  f.io.poll();
  CHECK(f.charon.commands.size() == 9);
  auto lines = f.sink.messages("ipsec");
  CHECK(std::count(lines.begin(), lines.end(), "connection lab activated") == 1);
  CHECK(std::count(lines.begin(), lines.end(), "connection lab deactivated") == 1);
}

TEST_CASE("whenGone answers once the connection has no IKE SA, or at its deadline", "[ipsec]") {
  Fixture f;
  addConnection(f.config, "MAIv300000001", "plant", "10.0.2.2");
  f.start();
  f.until([&] { return f.charon.commands.size() == 3; });
  std::optional<bool> first;
  f.module.whenGone("MAIv300000001", 2000ms, [&first](bool gone) { first = gone; });
  REQUIRE(first == true);  // there is none

  f.charon.emit("ike-updown", updown("MAIv300000001", ikeSa("1", "ESTABLISHED"), true));
  f.until([&] { return f.module.connections().at(0).ike.has_value(); });
  std::optional<bool> second, third;
  f.module.whenGone("MAIv300000001", 2000ms, [&second](bool gone) { second = gone; });
  f.module.whenGone("MAIv300000001", 50ms, [&third](bool gone) { third = gone; });
  f.until([&] { return third.has_value(); });
  CHECK(third == false);
  CHECK_FALSE(second);
  f.charon.emit("ike-updown", updown("MAIv300000001", ikeSa("1", "DELETING"), false));
  f.until([&] { return second.has_value(); });
  CHECK(second == true);
}

namespace {

using ipsec::vici::Message;

// The world as a synup sees it: a fixed uptime and time, names that resolve
// only when they are addresses, every route through ext1.
ipsec::SynupEnvironment synupWorld() {
  ipsec::SynupEnvironment env;
  env.uptime = [] { return 1234567ms; };
  env.now = [] { return std::chrono::system_clock::from_time_t(1347011578); };
  env.timeLetter = [] { return 'a'; };
  env.serial = "20 04";
  env.hostname = [] { return std::string("mguard"); };
  env.resolve = [](const std::string& name, std::function<void(Result<std::vector<std::string>>)> done) {
    if (name.find_first_not_of("0123456789.") == std::string::npos) return done(std::vector<std::string>{name});
    done(Error{"no name server knows " + name});
  };
  env.route = [](const std::string&) -> Result<ipsec::RouteInfo> { return ipsec::RouteInfo{"ext1", "10.0.2.1", true}; };
  return env;
}

Message controlLog(const std::string& text) {
  return Message{}.add("group", "IKE").add("level", "1").add("ikesa-name", "MAIv300000001").add("msg", text);
}

// plant (disabled, the one synup is about) and office (enabled: charon runs).
struct SynupFixture : Fixture {
  std::string out;
  bool ended = false;
  SynupFixture() {
    addConnection(config, "MAIv300000001", "plant", "10.0.2.2");
    addConnection(config, "MAIv300000002", "office", "10.0.3.2");
    config.values["VPN_CONNECTION"].rows[0].fields["ENABLED"].text = "no";
    start();
    until([&] { return charon.commands.size() == 3; });
    module.setSynupEnvironment(synupWorld());
  }
  std::function<void()> synup(const std::string& id) {
    return module.synup(id, [this](std::string line, bool last) {
      CHECK_FALSE(ended);
      out += line;
      ended = last;
    });
  }
  const ipsec::vici::Packet* command(const std::string& name) const {
    for (const auto& p : charon.commands) {
      if (p.name == name) return &p;
    }
    return nullptr;
  }
};

const std::string kSynupHead =
    "P synup name=plant\n"
    "P deviceinfo uptime=1234.56 tstamp=20120907095258a serial=20_04 hostname=mguard\n"
    "P vpnconn uptime=1234.56 id=MAIv300000001 gw=10.0.2.2\n"
    "P dnslookup uptime=1234.56 ip=10.0.2.2\n"
    "P routeinfo uptime=1234.56 via=ext1(10.0.2.1) ifstate=up\n";

}  // namespace

TEST_CASE("synup loads the connection without charon's start, initiates it and streams its log to OKVUP",
          "[ipsec][synup]") {
  SynupFixture f;
  f.charon.streamed["initiate"] = {
      "control-log",
      {controlLog("initiating IKE_SA MAIv300000001[3] to 10.0.2.2"),
       controlLog("IKE_SA MAIv300000001[3] established between 10.0.2.1[10.0.2.1]...10.0.2.2[10.0.2.2]"),
       controlLog("CHILD_SA MAIv400000001{5} established with SPIs c1_i c2_o and TS 192.168.1.0/24 === "
                  "10.0.0.0/24")}};
  f.synup("MAIv300000001");
  f.until([&] { return f.ended; });
  CHECK(f.out == kSynupHead +
                     "P IKEv2 uptime=1234.56 newstate=connecting id=#3 to=10.0.2.2\n"
                     "P IKEv2 uptime=1234.56 isakmp-sa=established id=#3\n"
                     "P IKEv2 uptime=1234.56 ipsec-sa=established id=#5 msg=IPsec SA 1 out of 1 is established on "
                     "this side.\n"
                     "R OKVUP uptime=1234.56 msg=The connection is established on this side.\n");
  REQUIRE(f.command("initiate"));
  CHECK(ipsec::vici::toText(f.command("initiate")->message) ==
        "{child=MAIv400000001 ike=MAIv300000001 timeout=8000 loglevel=1}");
  // charon was given plant (after office) with start_action none.
  std::string loaded = ipsec::vici::toText(f.charon.commands.at(4).message);
  CHECK(f.charon.commands.at(4).name == "load-conn");
  CHECK(loaded.find("MAIv300000001") != std::string::npos);
  CHECK(loaded.find("start_action=none") != std::string::npos);
  CHECK(loaded.find("start_action=start") == std::string::npos);
  CHECK(f.module.connections().at(0).activated);
  CHECK(f.module.synupDiagnostics() == "\n" + f.out);
}

TEST_CASE("a synup that fails says why in its final code and withdraws its activation", "[ipsec][synup]") {
  SynupFixture f;
  f.charon.streamed["initiate"] = {"control-log",
                                   {controlLog("initiating IKE_SA MAIv300000001[3] to 10.0.2.2"),
                                    controlLog("generating IKE_SA_INIT request 0 [ SA KE No ]"),
                                    controlLog("received packet: from 10.0.2.2[500] to 10.0.2.1[500] (36 bytes)"),
                                    controlLog("parsed IKE_SA_INIT response 0 [ N(NO_PROP) ]"),
                                    controlLog("received NO_PROPOSAL_CHOSEN notify error")}};
  f.charon.answer = [](const ipsec::vici::Packet& p) -> std::optional<ipsec::vici::Packet> {
    Message m = Message{}.add("success", "yes");
    if (p.name == "initiate") m = Message{}.add("success", "no").add("errmsg", "establishing CHILD_SA 'x' failed");
    return ipsec::vici::Packet{ipsec::vici::PacketType::CmdResponse, "", m};
  };
  f.synup("MAIv300000001");
  f.until([&] { return f.ended; });
  CHECK(f.out.ends_with("P IKEv2 uptime=1234.56 state=ike_sa_init-i2 notify=NO_PROPOSAL_CHOSEN\n"
                        "F EVDIFFALG1 uptime=1234.56 msg=The peer accepts none of the IKE SA proposals (charon: "
                        "received NO_PROPOSAL_CHOSEN notify error).\n"));
  CHECK_FALSE(f.module.connections().at(0).activated);
  f.until([&] { return f.command("unload-conn") != nullptr; });
  CHECK(ipsec::vici::toText(f.command("unload-conn")->message) == "{name=MAIv300000001}");
}

TEST_CASE("synup checks the preconditions, the name and the route before charon is asked", "[ipsec][synup]") {
  SynupFixture f;
  f.synup("MAIv300000002");
  CHECK(f.out == "F EINVAL msg=The VPN connection office is enabled in the configuration; only a disabled "
                 "connection is switched on and off this way (reference 11.3.1).\n");

  f.out.clear();
  f.ended = false;
  f.change([](config::Config& c) { c.values["VPN_CONNECTION"].rows[0].fields["REMOTE_GATEWAY"].text = "gw.invalid"; });
  f.synup("MAIv300000001");
  f.until([&] { return f.ended; });
  CHECK(f.out == "P synup name=plant\n"
                 "P deviceinfo uptime=1234.56 tstamp=20120907095258a serial=20_04 hostname=mguard\n"
                 "P vpnconn uptime=1234.56 id=MAIv300000001 gw=gw.invalid\n"
                 "F EVLOOKUPGW uptime=1234.56 msg=The host name gw.invalid could not be resolved: no name server "
                 "knows gw.invalid.\n");

  f.out.clear();
  f.ended = false;
  f.change([](config::Config& c) { c.values["VPN_CONNECTION"].rows[0].fields["REMOTE_GATEWAY"].text = "10.0.2.2"; });
  ipsec::SynupEnvironment down = synupWorld();
  down.route = [](const std::string&) -> Result<ipsec::RouteInfo> { return ipsec::RouteInfo{"ext1", "10.0.2.1", false}; };
  f.module.setSynupEnvironment(down);
  f.synup("MAIv300000001");
  CHECK(f.out == kSynupHead.substr(0, kSynupHead.rfind("P routeinfo")) +
                     "P routeinfo uptime=1234.56 via=ext1(10.0.2.1) ifstate=error\n"
                     "F EVIFDOWN uptime=1234.56 msg=The interface ext1 has no uplink.\n");
  CHECK_FALSE(f.module.connections().at(0).activated);
  CHECK(f.command("initiate") == nullptr);
}

TEST_CASE("a client that goes away ends the synup and withdraws its activation; one synup at a time",
          "[ipsec][synup]") {
  SynupFixture f;
  f.charon.answer = [](const ipsec::vici::Packet& p) -> std::optional<ipsec::vici::Packet> {
    if (p.name == "initiate") return std::nullopt;  // still trying
    return ipsec::vici::Packet{ipsec::vici::PacketType::CmdResponse, "", Message{}.add("success", "yes")};
  };
  auto cancel = f.synup("MAIv300000001");
  f.until([&] { return f.command("initiate") != nullptr; });
  CHECK(f.module.connections().at(0).activated);
  std::string first = f.out;
  f.synup("MAIv300000001");
  CHECK(f.out == first + "F EBUSY msg=A synup of plant is under way.\n");
  f.ended = false;
  f.out.clear();
  cancel();
  CHECK_FALSE(f.module.connections().at(0).activated);
  CHECK_FALSE(f.ended);
  CHECK(f.module.synupDiagnostics().ends_with("(the client went away; the attempt is withdrawn)\n"));
  // Another synup may start now.
  f.synup("MAIv300000001");
  CHECK(f.out.starts_with("P synup name=plant\n"));
  CHECK(f.out.find("EBUSY") == std::string::npos);
}
