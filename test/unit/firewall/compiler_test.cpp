// The packet filter's compiler: configuration fixtures -> expected nft text
// (test/fixtures/firewall/*.nft), which the kernel must accept (nft -c in a
// network namespace of the test's own), and the compiler's refusals.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include "config/atv.hpp"
#include "config/config.hpp"
#include <fmt/format.h>

#include "firewall/compiler.hpp"
#include "support/support.hpp"

using namespace bulwark;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(BULWARK_FIXTURES) + "/firewall/" + name);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

config::Config profile(const std::string& atv) {
  config::RowIdGenerator ids(1);
  auto c = config::importProfile(config::Schema::builtin(), atv, config::factoryDefault(config::Schema::builtin()), ids);
  REQUIRE(c);
  return *c;
}

const firewall::Interfaces kQemu{"eth0", "eth1", ""};

// nft's own check of the text, against the kernel, in a namespace of its own.
void kernelAccepts(const std::string& text) {
  test::TempDir dir;
  std::ofstream(dir / "ruleset.nft") << text;
  auto result = test::runProcess({"unshare", "-n", "nft", "-c", "-f", (dir / "ruleset.nft").string()});
  INFO(result.out);
  CHECK(result.exitCode == 0);
}

}  // namespace

TEST_CASE("the factory default packet filter", "[firewall]") {
  auto rs = firewall::compile(config::factoryDefault(config::Schema::builtin()), kQemu);
  REQUIRE(rs);
  std::string text = firewall::toNft(*rs);
  CHECK(text == fixture("factory-default.nft"));
  kernelAccepts(text);
  // 3.6.3: incoming dropped, outgoing accepted, masquerading on the external interface.
  CHECK(rs->chain("input")->policy == firewall::Verdict::Drop);
  CHECK(rs->chain("forward")->policy == firewall::Verdict::Drop);
  CHECK(rs->chain("fw-incoming")->rules.size() == 1);
  CHECK(rs->chain("postrouting")->rules.at(0).masquerade);
  CHECK(rs->chain("postrouting")->rules.at(0).oif == "eth0");
  // 4.4.5-4.4.7, 4.4.16-4.4.18: before established connections are accepted.
  for (const char* hook : {"input", "forward"}) {
    INFO(hook);
    const auto& rules = rs->chain(hook)->rules;
    auto at = [&](const std::string& target) {
      for (std::size_t i = 0; i < rules.size(); ++i) {
        if (rules[i].target == target) return i;
      }
      return rules.size();
    };
    std::size_t established = 0;
    while (established < rules.size() && rules[established].ctStates != (firewall::kEstablished | firewall::kRelated)) {
      ++established;
    }
    CHECK(at("fw-antispoofing-ext1") < established);
    CHECK(rules[at("fw-antispoofing-ext1")].iif == "eth0");
    CHECK(rules[at("fw-antispoofing-ext1")].saddr == firewall::Prefix{0x7f000000, 8});
    CHECK(rules[at("fw-antispoofing-ext1") + 1].saddr == firewall::Prefix{0xc0a80100, 24});
    CHECK(at(std::string("fw-invalid-") + hook) < established);
    CHECK(at(std::string("fw-unclean-") + hook) == rules.size());  // FW_CONSISTENCY_CHECKS no
    const auto& syn = rules[at("fw-SYN-flood")];
    CHECK(syn.iif == "eth0");
    CHECK(syn.limit == firewall::Limit{25, false, 25, true});
    CHECK(rules[at("fw-ICMP-flood")].limit == firewall::Limit{3, false, 3, true});
    CHECK(rules[at("fw-ICMP-maxlen")].longerThan == 1500u);
    CHECK(at("fw-ICMP-maxlen") < established);
  }
  const auto* flood = rs->chain("fw-SYN-flood");
  REQUIRE(flood);
  CHECK(flood->rules.at(0).limit == firewall::Limit{1, false, 1, false});  // one line a second
  CHECK(flood->rules.at(0).logPrefix == "fw-SYN-flood act=DROP");
  CHECK(flood->rules.at(1).verdict == firewall::Verdict::Drop);
  CHECK(rs->chain("fw-antispoofing-ext1")->rules.at(0).logPrefix == "fw-antispoofing-ext1-0- act=DROP");
  CHECK(rs->chain("fw-invalid-forward")->rules.at(0).logPrefix == "fw-invalid-forward-0- act=DROP");
}

TEST_CASE("rule tables, logging, remote access and masquerading", "[firewall]") {
  auto rs = firewall::compile(profile(fixture("rules.atv")), kQemu);
  REQUIRE(rs);
  std::string text = firewall::toNft(*rs);
  CHECK(text == fixture("rules.nft"));
  kernelAccepts(text);
  // FW_CONSISTENCY_CHECKS yes: impossible TCP flags and port 0, logged as fw-unclean.
  std::size_t unclean = 0;
  for (const auto& r : rs->chain("forward")->rules) unclean += r.target == "fw-unclean-forward";
  CHECK(unclean == 7 + 4);
  CHECK(rs->chain("fw-unclean-input")->rules.at(0).logPrefix == "fw-unclean-input-0- act=DROP");
  bool maxlen = false;
  for (const auto& r : rs->chain("input")->rules) maxlen |= r.longerThan == 1000u;
  CHECK(maxlen);
}

TEST_CASE("runs of rules with one verdict and no logging fold into sets", "[firewall]") {
  auto rs = firewall::compile(profile(fixture("folded.atv")), kQemu);
  REQUIRE(rs);
  std::string text = firewall::toNft(*rs);
  CHECK(text == fixture("folded.nft"));
  kernelAccepts(text);
  // Rows 1-10 (TCP) and the TCP half of row 11 ("all" with ports) are one
  // set; its UDP half stays a rule; the logged row 12 ends the run; the
  // UDP drops 13-22 key on destination and port; the overlapping rows
  // 23-30 cannot be a set and stay rules, in their order.
  REQUIRE(rs->sets.size() == 3);
  const firewall::Set& tcp = rs->sets[0];
  CHECK(tcp.name == "fw-incoming-1-tcp");
  CHECK(tcp.key == std::vector{firewall::Field::Saddr, firewall::Field::Daddr, firewall::Field::Dport});
  CHECK(tcp.elements.size() == 11);
  CHECK(tcp.elements.back().dport == firewall::PortRange{5000, 5100});
  const firewall::Set& udp = rs->sets[1];
  CHECK(udp.key == std::vector{firewall::Field::Daddr, firewall::Field::Dport});
  CHECK(udp.elements.size() == 10);
  CHECK(tcp.intervals());  // an open address is a range
  CHECK(udp.intervals());
  // Rows 31-40, single values only: a hash set, no intervals.
  const firewall::Set& points = rs->sets[2];
  CHECK(points.key == std::vector{firewall::Field::Saddr, firewall::Field::Dport});
  CHECK_FALSE(points.intervals());
  const auto& rules = rs->chain("fw-incoming")->rules;
  REQUIRE(rules.size() == 1 + 1 + 1 + 1 + 8 + 1 + 1);
  CHECK(rules[12].set == "fw-incoming-31-tcp");
  CHECK(rules[12].verdict == firewall::Verdict::Reject);
  CHECK(rules[0].set == "fw-incoming-1-tcp");
  CHECK(rules[0].verdict == firewall::Verdict::Accept);
  CHECK(rules[1].protocol == firewall::Protocol::Udp);
  CHECK(rules[1].set.empty());
  CHECK_FALSE(rules[2].logPrefix.empty());
  CHECK(rules[3].set == "fw-incoming-13-udp");
  CHECK(rules[3].verdict == firewall::Verdict::Drop);
  CHECK(rules[4].saddr == firewall::Prefix{0x0a000000, 8});
  CHECK(rules[11].saddr == firewall::Prefix{0x0a080000, 16});

  // Duplicate rows fold into one element; seven rows stay rules.
  config::Config c = profile(fixture("folded.atv"));
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "FW_INCOMING:1.SRC_IP", "10.0.0.1/32"));
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "FW_INCOMING:1.DST_PORT", "8001"));
  auto dup = firewall::compile(c, kQemu);
  REQUIRE(dup);
  CHECK(dup->sets.at(0).elements.size() == 10);
  for (int row = 13; row < 16; ++row) {
    REQUIRE(config::setScalar(config::Schema::builtin(), c, fmt::format("FW_INCOMING:{}.TARGET", row), "accept"));
  }
  auto split = firewall::compile(c, kQemu);
  REQUIRE(split);
  CHECK(split->sets.size() == 2);
  // Rows without any address match IPv6 too: they stay rules.
  config::Config portsOnly = profile(fixture("folded.atv"));
  for (int row = 12; row < 22; ++row) {
    REQUIRE(config::setScalar(config::Schema::builtin(), portsOnly, fmt::format("FW_INCOMING:{}.DST_IP", row),
                              "0.0.0.0/0"));
  }
  auto unfolded = firewall::compile(portsOnly, kQemu);
  REQUIRE(unfolded);
  CHECK(unfolded->sets.size() == 2);
  CHECK(unfolded->chain("fw-incoming")->rules.size() == rs->chain("fw-incoming")->rules.size() + 9);
  kernelAccepts(firewall::toNft(*split));
}

TEST_CASE("rule records: a chain each, and a dispatch chain of the active ones", "[firewall]") {
  config::Config c = profile(fixture("records.atv"));
  auto rs = firewall::compile(c, kQemu, firewall::initialState(c));
  REQUIRE(rs);
  std::string text = firewall::toNft(*rs);
  CHECK(text == fixture("records.nft"));
  kernelAccepts(text);
  // Forwarded packets pass the records first, in both directions.
  const auto& forward = rs->chain("forward")->rules;
  auto records = std::find_if(forward.begin(), forward.end(), [](const auto& r) { return r.target == "fw-rulesets"; });
  REQUIRE(records != forward.end());
  CHECK(records->iif.empty());
  CHECK(records->oif.empty());
  CHECK((forward.end() - records) > 2);  // before fw-outgoing and fw-incoming
  // "service" starts active, "maintenance" inactive; a record falls through.
  const auto* dispatch = rs->chain("fw-rulesets");
  REQUIRE(dispatch);
  REQUIRE(dispatch->rules.size() == 1);
  CHECK(dispatch->rules[0].target == "fw-ruleset_MAIv200000101");
  CHECK(rs->chain("fw-ruleset_MAIv200000101")->rules.size() == 1);
  CHECK(rs->chain("fw-ruleset_MAIv200000101")->rules[0].logPrefix.starts_with("fw-ruleset_MAIv200000101-1-"));
  CHECK(rs->chain("fw-ruleset_MAIv200000102")->rules.size() == 1);  // nine rows folded

  // The dispatch chain alone follows the state; nothing else changes.
  firewall::State both{{"MAIv200000101", "MAIv200000102"}};
  auto all = firewall::compile(c, kQemu, both);
  REQUIRE(all);
  firewall::Chain dispatchBoth = firewall::recordDispatch(c, both);
  CHECK(*all->chain("fw-rulesets") == dispatchBoth);
  REQUIRE(dispatchBoth.rules.size() == 2);
  CHECK(dispatchBoth.rules[1].comment == "maintenance");
  *all->chain("fw-rulesets") = *rs->chain("fw-rulesets");
  CHECK(*all == *rs);
  CHECK(firewall::recordDispatch(c, {}).rules.empty());

  // A record's log id changes with its rules, and only with its own.
  std::string id = firewall::recordLogId(c.find("FW_RULESETS")->rows[0]);
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "FW_RULESETS:1.SET:0.DST_PORT", "23"));
  CHECK(firewall::recordLogId(c.find("FW_RULESETS")->rows[0]) == id);
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "FW_RULESETS:0.SET:0.DST_PORT", "503"));
  CHECK(firewall::recordLogId(c.find("FW_RULESETS")->rows[0]) != id);
  // Refusals name the record's row.
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "FW_RULESETS:1.SET:3.PROTO", "icmp"));
  CHECK(firewall::compile(c, kQemu).error() == "FW_RULESETS:1.SET:3: ports need TCP or UDP, not icmp");
}

TEST_CASE("the DMZ tables of a board with a DMZ port", "[firewall]") {
  config::Config c = profile(fixture("dmz.atv"));
  auto rs = firewall::compile(c, {"eth0", "eth1", "dmz0"});
  REQUIRE(rs);
  std::string text = firewall::toNft(*rs);
  CHECK(text == fixture("dmz.nft"));
  kernelAccepts(text);
  // "incoming" is into the DMZ, "outgoing" out of it (4.4.10).
  std::map<std::string, std::pair<std::string, std::string>> jumps;
  for (const auto& r : rs->chain("forward")->rules) {
    if (r.target.starts_with("fw-dmz-")) jumps[r.target] = {r.iif, r.oif};
  }
  CHECK(jumps["fw-dmz-incoming-wan"] == std::pair<std::string, std::string>{"eth0", "dmz0"});
  CHECK(jumps["fw-dmz-outgoing-wan"] == std::pair<std::string, std::string>{"dmz0", "eth0"});
  CHECK(jumps["fw-dmz-incoming-lan"] == std::pair<std::string, std::string>{"eth1", "dmz0"});
  CHECK(jumps["fw-dmz-outgoing-lan"] == std::pair<std::string, std::string>{"dmz0", "eth1"});
  CHECK(rs->chain("fw-dmz-incoming-wan")->rules.at(0).logPrefix.starts_with("fw-dmz-incoming-wan-1-"));
  // Factory defaults: DMZ -> WAN and LAN -> DMZ accepted, the rest dropped.
  CHECK(rs->chain("fw-dmz-outgoing-wan")->rules.at(0).verdict == firewall::Verdict::Accept);
  CHECK(rs->chain("fw-dmz-incoming-lan")->rules.at(0).verdict == firewall::Verdict::Accept);
  CHECK(rs->chain("fw-dmz-incoming-wan")->rules.back().verdict == firewall::Verdict::Drop);
  CHECK(rs->chain("fw-antispoofing-dmz"));
  // 4.4.5: the external port refuses sources of the DMZ (DMZ_ADDRESSES,
  // 192.168.3.1/24 by default) as well as of the internal networks, the DMZ
  // port those of the internal networks; the internal port is not checked.
  auto spoofed = [&](const firewall::Ruleset& r, const std::string& iif) {
    std::vector<std::string> sources;
    for (const auto& rule : r.chain("forward")->rules) {
      if (rule.target.starts_with("fw-antispoofing-") && rule.iif == iif) {
        sources.push_back(fmt::format("{}/{}", ipv4Text(rule.saddr->address), rule.saddr->length));
      }
    }
    return sources;
  };
  CHECK(spoofed(*rs, "eth0") == std::vector<std::string>{"127.0.0.0/8", "192.168.1.0/24", "192.168.3.0/24"});
  CHECK(spoofed(*rs, "dmz0") == std::vector<std::string>{"127.0.0.0/8", "192.168.1.0/24"});
  CHECK(spoofed(*rs, "eth1").empty());
  // Without a DMZ port there are no DMZ chains, and DMZ_ADDRESSES counts for nothing.
  auto none = firewall::compile(c, kQemu);
  REQUIRE(none);
  CHECK_FALSE(none->chain("fw-dmz-incoming-wan"));
  CHECK_FALSE(none->chain("fw-antispoofing-dmz"));
  CHECK(spoofed(*none, "eth0") == std::vector<std::string>{"127.0.0.0/8", "192.168.1.0/24"});
}

TEST_CASE("the user firewall opens a template's rules for the login's address", "[firewall]") {
  config::Config c = profile(fixture("userfw.atv"));
  auto nobody = firewall::compile(c, kQemu);
  REQUIRE(nobody);
  REQUIRE(nobody->chain("fw-ufw"));
  CHECK(nobody->chain("fw-ufw")->rules.empty());
  firewall::State state;
  state.logins = {{"fred", 0x0a0150c8}, {"barney", 0x0a0150c9}};  // 10.1.80.200; barney has no template
  auto rs = firewall::compile(c, kQemu, state);
  REQUIRE(rs);
  kernelAccepts(firewall::toNft(*rs));
  firewall::Ruleset only;
  only.chains.push_back(*rs->chain("fw-ufw"));
  std::string text = firewall::toNft(only);
  const std::string prefix = "fw-ufw_MAIv200000301-1-";
  std::string id = text.substr(text.find(prefix) + prefix.size(), 36);
  CHECK(text == "table inet bulwark\ndelete table inet bulwark\ntable inet bulwark {\n\tchain fw-ufw {\n"
                "\t\tip saddr 10.1.80.200 ip daddr 192.168.1.100 tcp dport 5201 counter log prefix \"fw-ufw_MAIv200000301-1-" +
                    id +
                    " act=ACCEPT\" group 1 accept comment \"iperf to the controller\"\n"
                    "\t\tip saddr 10.1.80.200 ip daddr 192.168.1.0/24 meta l4proto icmp counter accept comment \"firewall user "
                    "fred\"\n\t}\n}\n");
  CHECK(std::regex_match(id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")));
  CHECK(*rs->chain("fw-ufw") == *firewall::userFirewall(c, state));
  // Forwarded packets pass it in both directions, after the rule records.
  const auto& forward = rs->chain("forward")->rules;
  auto jump = std::find_if(forward.begin(), forward.end(), [](const auto& r) { return r.target == "fw-ufw"; });
  REQUIRE(jump != forward.end());
  CHECK((jump - 1)->target == "fw-rulesets");
  CHECK(jump->iif.empty());
  // A fixed TEMPLATE_SRC_IP instead of the login's address.
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "USERFW_TEMPLATE:0.TEMPLATE_SRC_IP", "10.1.0.0/16"));
  CHECK(firewall::userFirewall(c, state)->rules.at(0).saddr == firewall::Prefix{0x0a010000, 16});
  // A template that cannot compile is refused, logged in or not.
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "USERFW_TEMPLATE:1.TEMPLATE_RULE:0.PROTO", "icmp"));
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "USERFW_TEMPLATE:1.TEMPLATE_RULE:0.DST_PORT", "80"));
  CHECK(firewall::compile(c, kQemu).error() == "USERFW_TEMPLATE:1.TEMPLATE_RULE:0: ports need TCP or UDP, not icmp");
}

TEST_CASE("log ids name one version of a rule table", "[firewall]") {
  config::Config c = profile(fixture("rules.atv"));
  std::string id = firewall::logId(c, "FW_INCOMING");
  CHECK(std::regex_match(id, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")));
  CHECK(firewall::logId(c, "FW_INCOMING") == id);
  CHECK(firewall::logId(c, "FW_OUTGOING") != id);
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "FW_INCOMING:0.DST_PORT", "444"));
  CHECK(firewall::logId(c, "FW_INCOMING") != id);
}

TEST_CASE("the compiler refuses what it cannot express", "[firewall]") {
  config::Config c = profile(fixture("rules.atv"));
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "FW_INCOMING:2.DST_PORT", "80"));
  auto rs = firewall::compile(c, kQemu);
  REQUIRE_FALSE(rs);
  CHECK(rs.error() == "FW_INCOMING:2: ports need TCP or UDP, not icmp");
  CHECK(firewall::compile(c, {"eth0", "", ""}).error() ==
        "the packet filter needs an external and an internal interface");
}
