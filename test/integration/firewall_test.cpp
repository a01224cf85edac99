// The nftables backend against the kernel, in a network namespace of the
// test's own (unshare(CLONE_NEWNET): the host's ruleset is never touched).
// What bulwark loads over netlink must list exactly as what `nft -f` makes of
// the printed ruleset (`bulwark fw show`); a refused batch changes nothing.
#include <catch2/catch.hpp>

#include <sched.h>

#include <fstream>
#include <sstream>
#include <utility>

#include <fmt/format.h>

#include "config/atv.hpp"
#include "config/config.hpp"
#include "firewall/compiler.hpp"
#include "firewall/firewall_module.hpp"
#include "firewall/nft_backend.hpp"
#include "runtime/clock.hpp"
#include "support/support.hpp"

using namespace bulwark;

namespace {

std::string listTable() { return test::runProcess({"nft", "list", "table", "inet", "bulwark"}).out; }

config::Config profile(const std::string& fixture) {
  std::ifstream in(std::string(BULWARK_FIXTURES) + "/firewall/" + fixture);
  std::stringstream text;
  text << in.rdbuf();
  config::RowIdGenerator ids(1);
  auto c = config::importProfile(config::Schema::builtin(), text.str(),
                                 config::factoryDefault(config::Schema::builtin()), ids);
  REQUIRE(c);
  return *c;
}

// The fixture's ruleset, rule records in their INITIAL_STATE.
firewall::Ruleset compiled(const std::string& fixture) {
  config::Config c = profile(fixture);
  // dmz.atv is for a board with a DMZ port.
  firewall::Interfaces ifs{"eth0", "eth1", fixture == "dmz.atv" ? "dmz0" : ""};
  auto rs = firewall::compile(c, ifs, firewall::initialState(c));
  REQUIRE(rs);
  return *rs;
}

// The firewall module on a board with eth0 and eth1, its log in memory,
// ip_forward in a temporary directory.
struct ModuleRig {
  test::TempDir dir;
  boost::asio::io_context io;
  runtime::SystemClock clock;
  log::Log log{clock};
  test::MemorySink sink;
  runtime::EventBus bus{io};
  std::vector<std::string> published;  // the records' events: "MAIv1 active", "MAIv1 inactive", "MAIv1 removed"
  platform::Board board = [] {
    platform::Board b;
    b.ports = {{"XF1", "eth0", platform::Port::Role::External}, {"XF2", "eth1", platform::Port::Role::Internal}};
    return b;
  }();
  firewall::FirewallModule module{io, board, log, &bus, [this] {
    std::filesystem::create_directories(dir / "proc/net/ipv4");
    return dir / "proc";
  }()};
  ModuleRig() {
    log.addSink(sink);
    bus.subscribe<firewall::RuleRecordChanged>([this](const firewall::RuleRecordChanged& e) {
      published.push_back(e.rowid + (e.removed ? " removed" : e.active ? " active" : " inactive"));
    });
  }
  // The events published since the last call.
  std::vector<std::string> events() {
    io.restart();
    io.poll();
    return std::exchange(published, {});
  }
};

}  // namespace

TEST_CASE("the nftables backend loads what nft -f loads, atomically", "[integration][firewall]") {
  REQUIRE(unshare(CLONE_NEWNET) == 0);
  test::TempDir dir;
  for (const char* fixture : {"rules.atv", "folded.atv", "records.atv", "dmz.atv", "vpn.atv", "factory.atv"}) {
    INFO(fixture);
    firewall::Ruleset rs = std::string(fixture) == "factory.atv"
                               ? *firewall::compile(config::factoryDefault(config::Schema::builtin()), {"eth0", "eth1", ""})
                               : compiled(fixture);
    REQUIRE(firewall::load(rs));
    std::string ours = listTable();
    REQUIRE(firewall::unload("bulwark"));
    CHECK(listTable().empty());
    std::ofstream(dir / "ruleset.nft") << firewall::toNft(rs);
    auto nft = test::runProcess({"nft", "-f", (dir / "ruleset.nft").string()});
    REQUIRE(nft.exitCode == 0);
    std::string theirs = listTable();
    CHECK(ours == theirs);
    CHECK(ours.find("chain fw-incoming") != std::string::npos);
    // Loading again replaces the table as a whole.
    REQUIRE(firewall::load(rs));
    CHECK(listTable() == theirs);
  }

  // A check goes through the kernel's validation and changes nothing.
  REQUIRE(firewall::unload("bulwark"));
  CHECK(firewall::check(compiled("rules.atv")));
  CHECK(listTable().empty());
  REQUIRE(firewall::load(compiled("rules.atv")));

  // A batch the kernel refuses (a jump to a chain that does not exist) leaves
  // the table in force as it was, and says which rule it was.
  std::string before = listTable();
  firewall::Ruleset bad = compiled("rules.atv");
  firewall::Rule broken;
  broken.verdict = firewall::Verdict::Jump;
  broken.target = "no-such-chain";
  bad.chains[1].rules.push_back(broken);
  const std::string where = fmt::format("rule {} of chain forward", bad.chains[1].rules.size());
  Status checked = firewall::check(bad);
  REQUIRE_FALSE(checked);
  CHECK(checked.message().find(where) != std::string::npos);
  CHECK(listTable() == before);
  Status s = firewall::load(bad);
  REQUIRE_FALSE(s);
  CHECK(s.message().find(where) != std::string::npos);
  CHECK(s.message().find("the previous ruleset stays") != std::string::npos);
  CHECK(listTable() == before);
  // bulwark fw check: the kernel's verdict, nothing applied.
  REQUIRE(firewall::unload("bulwark"));
  auto ok = test::runProcess({test::bulwarkBinary(), "fw", "check", "--atv",
                              std::string(BULWARK_FIXTURES) + "/firewall/rules.atv"});
  CHECK(ok.exitCode == 0);
  CHECK(ok.out.find("accepted by the kernel, nothing applied") != std::string::npos);
  CHECK(listTable().empty());
  std::ofstream(dir / "bad.atv") << "FW_INCOMING = {\n  { PROTO = \"icmp\" DST_PORT = \"80\" }\n}\n"
                                    "// End of configuration profile\n";
  auto refused = test::runProcess({test::bulwarkBinary(), "fw", "check", "--atv", (dir / "bad.atv").string()});
  CHECK(refused.exitCode == 1);
  REQUIRE(firewall::load(compiled("rules.atv")));

  // A refused chunk of set elements (overlapping ranges, which the kernel's
  // pipapo set refuses) fails the whole load, named, with nothing changed.
  {
    REQUIRE(firewall::load(compiled("rules.atv")));
    std::string inForce = listTable();
    firewall::Ruleset big = compiled("rules.atv");
    firewall::Set set{"big", {firewall::Field::Saddr, firewall::Field::Dport}, {}};
    for (std::uint32_t i = 0; i < 700; ++i) {
      firewall::Element e;
      e.saddr = firewall::Prefix{0x0a000000 + i, 32};
      e.dport = firewall::PortRange{1000, 2000};
      set.elements.push_back(e);
    }
    firewall::Element overlap;
    overlap.saddr = firewall::Prefix{0x0a000000 + 600, 32};
    overlap.dport = firewall::PortRange{1500, 2500};
    set.elements.push_back(overlap);
    big.sets.push_back(set);
    firewall::Rule lookup;
    lookup.protocol = firewall::Protocol::Tcp;
    lookup.set = "big";
    lookup.verdict = firewall::Verdict::Accept;
    big.chains[0].rules.push_back(lookup);
    Status refused = firewall::load(big);
    REQUIRE_FALSE(refused);
    CHECK(refused.message().find("elements 501 to 701 of set big") != std::string::npos);
    CHECK(listTable() == inForce);
    REQUIRE(firewall::unload("bulwark"));
  }

  // A rule record is switched by replacing the dispatch chain alone: the
  // record's chains and sets stay, and a refused chain changes nothing.
  {
    config::Config c = profile("records.atv");
    REQUIRE(firewall::load(compiled("records.atv")));
    firewall::State both{{"MAIv200000101", "MAIv200000102"}};
    firewall::Ruleset patch;
    patch.chains.push_back(firewall::recordDispatch(c, both));
    REQUIRE(firewall::replaceChain(patch, firewall::kRecordDispatch));
    std::ofstream(dir / "both.nft") << firewall::toNft(*firewall::compile(c, {"eth0", "eth1", ""}, both));
    std::string switched = listTable();
    CHECK(switched.find("jump fw-ruleset_MAIv200000102 comment \"maintenance\"") != std::string::npos);
    REQUIRE(firewall::unload("bulwark"));
    REQUIRE(test::runProcess({"nft", "-f", (dir / "both.nft").string()}).exitCode == 0);
    CHECK(listTable() == switched);
    firewall::Ruleset broken;
    broken.chains.push_back({firewall::kRecordDispatch, "", "", 0, firewall::Verdict::Accept, {}});
    firewall::Rule jump;
    jump.verdict = firewall::Verdict::Jump;
    jump.target = "fw-ruleset_MAIv200000101";
    broken.chains[0].rules.push_back(jump);
    jump.target = "no-such-chain";
    broken.chains[0].rules.push_back(jump);
    Status refused = firewall::replaceChain(broken, firewall::kRecordDispatch);
    REQUIRE_FALSE(refused);
    CHECK(refused.message().find("rule 2 of chain fw-rulesets") != std::string::npos);
    CHECK(listTable() == switched);
    REQUIRE(firewall::unload("bulwark"));
  }

  // Other tables are not touched.
  REQUIRE(test::runProcess({"nft", "add", "table", "ip", "other"}).exitCode == 0);
  REQUIRE(firewall::load(compiled("rules.atv")));
  REQUIRE(firewall::unload("bulwark"));
  CHECK(test::runProcess({"nft", "list", "tables"}).out == "table ip other\n");
}

TEST_CASE("the module switches rule records, which expire and restart with their rows",
          "[integration][firewall]") {
  REQUIRE(unshare(CLONE_NEWNET) == 0);
  ModuleRig rig;
  auto& [dir, io, clock, log, sink, bus, published, board, module] = rig;
  config::Config c = profile("records.atv");
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "FW_RULESETS:1.TIMEOUT", "1"));
  REQUIRE(module.start(std::make_shared<const config::Config>(c)));
  auto state = [&](const std::string& name) {
    auto records = module.records(name);
    REQUIRE(records.size() == 1);
    return records[0];
  };
  CHECK(state("service").active);
  CHECK(state("service").expires == 0);
  CHECK_FALSE(state("maintenance").active);
  CHECK(module.records("*").size() == 2);
  CHECK(rig.events() == std::vector<std::string>{"MAIv200000101 active", "MAIv200000102 inactive"});
  CHECK(listTable().find("jump fw-ruleset_MAIv200000102") == std::string::npos);

  REQUIRE(module.setRecord("maintenance", "", true));
  CHECK(state("maintenance").active);
  CHECK(rig.events() == std::vector<std::string>{"MAIv200000102 active"});
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  CHECK(state("maintenance").expires >= now.count());
  CHECK(state("maintenance").expires <= now.count() + 1);
  CHECK(listTable().find("jump fw-ruleset_MAIv200000102") != std::string::npos);
  CHECK(firewall::recordStatusText(module.records("service")) ==
        "/fwrules/MAIv200000101/expires=0\n/fwrules/MAIv200000101/state=active\n");
  // TIMEOUT 1: the record switches itself off.
  test::runUntil(io, [&] { return !state("maintenance").active; }, std::chrono::seconds(5));
  CHECK(state("maintenance").expires == 0);
  CHECK(listTable().find("jump fw-ruleset_MAIv200000102") == std::string::npos);
  bool said = false;
  for (const auto& m : sink.messages("firewall")) said |= m == "rule record \"maintenance\" (MAIv200000102) inactive: expired";
  CHECK(said);
  CHECK(rig.events() == std::vector<std::string>{"MAIv200000102 inactive"});

  REQUIRE(module.setRecord("", "MAIv200000101", false));
  REQUIRE(module.setRecord("", "MAIv200000101", false));  // no change, no event
  CHECK(rig.events() == std::vector<std::string>{"MAIv200000101 inactive"});
  CHECK_FALSE(module.setRecord("nothing", "", true));
  CHECK(module.setRecord("nothing", "", true).message() == "No firewall rule record is named nothing.");
  // A change elsewhere keeps a record's state; a change of its row starts
  // it again in its INITIAL_STATE.
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "FW_RULESETS:1.SET:0.DST_PORT", "2222"));
  REQUIRE(module.reconfigure(std::make_shared<const config::Config>(c), {}));
  CHECK_FALSE(state("service").active);
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "FW_RULESETS:0.SET:0.DST_PORT", "503"));
  REQUIRE(module.reconfigure(std::make_shared<const config::Config>(c), {}));
  CHECK(state("service").active);
  CHECK(listTable().find("jump fw-ruleset_MAIv200000101") != std::string::npos);
  CHECK(rig.events() == std::vector<std::string>{"MAIv200000101 active"});
  // A rolled-back change brings the records' states back: "maintenance"
  // (inactive at start) switched on stays on although the failed change
  // touched its row.
  {
    REQUIRE(module.setRecord("maintenance", "", true));
    auto before = std::make_shared<const config::Config>(c);
    REQUIRE(module.reconfigure(before, {}));
    config::Config edited = c;
    REQUIRE(config::setScalar(config::Schema::builtin(), edited, "FW_RULESETS:1.FRIENDLY_NAME", "maint"));
    REQUIRE(module.reconfigure(std::make_shared<const config::Config>(edited), {}));
    CHECK_FALSE(state("maint").active);  // a changed row starts in its INITIAL_STATE
    REQUIRE(module.reconfigure(before, {}));  // what ModuleSet::restore does after another module failed
    CHECK(state("maintenance").active);
    REQUIRE(module.setRecord("maintenance", "", false));
  }
  // A change the compiler refuses changes nothing.
  config::Config bad = c;
  REQUIRE(config::setScalar(config::Schema::builtin(), bad, "FW_RULESETS:0.SET:0.PROTO", "icmp"));
  REQUIRE(module.setRecord("service", "", false));
  std::string before = listTable();
  CHECK_FALSE(module.reconfigure(std::make_shared<const config::Config>(bad), {}));
  CHECK(listTable() == before);
  CHECK_FALSE(state("service").active);
  (void)rig.events();
  // A record that goes with the configuration is published as removed.
  config::Config fewer = c;
  fewer.values["FW_RULESETS"].rows.pop_back();
  REQUIRE(module.reconfigure(std::make_shared<const config::Config>(fewer), {}));
  CHECK(rig.events() == std::vector<std::string>{"MAIv200000102 removed"});
  module.stop();
}

TEST_CASE("the module's user firewall: a login opens its rules, a logout or the timeout closes them",
          "[integration][firewall]") {
  REQUIRE(unshare(CLONE_NEWNET) == 0);
  ModuleRig rig;
  auto& [dir, io, clock, log, sink, bus, published, board, module] = rig;
  config::Config c = profile("userfw.atv");
  REQUIRE(module.start(std::make_shared<const config::Config>(c)));
  CHECK(listTable().find("ip saddr 10.1.80.200") == std::string::npos);

  auto until = module.login("fred", "10.1.80.200");
  REQUIRE(until);
  auto now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  CHECK(*until >= now.count() + 28799);
  CHECK(*until <= now.count() + 28800);
  std::string open = listTable();
  CHECK(open.find("ip saddr 10.1.80.200 ip daddr 192.168.1.100 tcp dport 5201 counter packets 0 bytes 0 log prefix "
                  "\"fw-ufw_MAIv200000301-1-") !=
        std::string::npos);
  // Logging in again from the same address changes nothing; a second
  // address adds its own rules.
  REQUIRE(module.login("fred", "10.1.80.200"));
  CHECK(listTable() == open);
  REQUIRE(module.login("fred", "10.1.80.201"));
  CHECK(module.logins().size() == 2);
  CHECK(listTable().find("ip saddr 10.1.80.201") != std::string::npos);
  CHECK(module.login("barney", "10.1.80.202").error() ==
        "No enabled user firewall template lists the firewall user barney.");
  CHECK_FALSE(module.login("fred", "not-an-address"));
  REQUIRE(module.logout("fred", "10.1.80.201"));
  CHECK(listTable() == open);
  CHECK(module.logout("fred", "10.1.80.201").message() == "The firewall user fred is not logged in from 10.1.80.201.");
  bool said = false;
  for (const auto& m : sink.messages("Webinterface")) said |= m == "Logout for firewall user 'fred' from 10.1.80.201";
  CHECK(said);
  // A reload of the whole table keeps the logins.
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "FW_INCOMING_LOG_DEFAULT", "yes"));
  REQUIRE(module.reconfigure(std::make_shared<const config::Config>(c), {}));
  CHECK(listTable().find("ip saddr 10.1.80.200") != std::string::npos);
  // A change that removes the user, changes the password or disables the
  // template ends the login, and says so.
  {
    config::Config revoked = c;
    REQUIRE(config::setScalar(config::Schema::builtin(), revoked, "USERFW_USERS:0.PASSWORD",
                              "$y$j9T$w0ts8lq1ff.vOvh4hJ0Xn/$sm44gxzOO8cuyTtUlMjoI0iAnOs/WIuCn1PD.1S/tQB"));
    REQUIRE(module.reconfigure(std::make_shared<const config::Config>(revoked), {}));
    CHECK(module.logins().empty());
    CHECK(listTable().find("ip saddr 10.1.80.200") == std::string::npos);
    CHECK(sink.messages("Webinterface").back() == "Logout for firewall user 'fred' from 10.1.80.200");
    REQUIRE(module.reconfigure(std::make_shared<const config::Config>(c), {}));
    REQUIRE(module.login("fred", "10.1.80.200"));
    revoked = c;
    REQUIRE(config::setScalar(config::Schema::builtin(), revoked, "USERFW_TEMPLATE:0.TEMPLATE_ENABLED", "no"));
    REQUIRE(module.reconfigure(std::make_shared<const config::Config>(revoked), {}));
    CHECK(module.logins().empty());
    REQUIRE(module.reconfigure(std::make_shared<const config::Config>(c), {}));
    REQUIRE(module.login("fred", "10.1.80.200"));
  }
  // The template's timeout ends the login.
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "USERFW_TEMPLATE:0.TEMPLATE_TIMEOUT", "1"));
  REQUIRE(module.reconfigure(std::make_shared<const config::Config>(c), {}));
  REQUIRE(module.login("fred", "10.1.80.200"));
  test::runUntil(io, [&] { return module.logins().empty(); }, std::chrono::seconds(5));
  CHECK(listTable().find("ip saddr 10.1.80.200") == std::string::npos);
  module.stop();
}

TEST_CASE("a VPN connection started at run time keeps its tunnel's traffic out of clear text until it stops",
          "[integration][firewall]") {
  REQUIRE(unshare(CLONE_NEWNET) == 0);
  ModuleRig rig;
  auto& [dir, io, clock, log, sink, bus, published, board, module] = rig;
  config::Config c = profile("vpn.atv");
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "VPN_CONNECTION:0.ENABLED", "no"));
  REQUIRE(module.start(std::make_shared<const config::Config>(c)));
  const std::string guard = "not in clear text";
  CHECK(listTable().find(guard) == std::string::npos);  // disabled: its networks are the other rules' business
  auto publish = [&](ipsec::VpnState state) {
    bus.publish(ipsec::VpnStateChanged{"MAIv711498711", "plant", state, 0, 2});
    io.restart();
    io.poll();
  };
  publish(ipsec::VpnState::Ready);  // nph-vpn.cgi up: being established
  CHECK(listTable().find(guard) != std::string::npos);
  publish(ipsec::VpnState::Active);
  CHECK(listTable().find(guard) != std::string::npos);
  publish(ipsec::VpnState::Void);  // down
  CHECK(listTable().find(guard) == std::string::npos);
  module.stop();
}
