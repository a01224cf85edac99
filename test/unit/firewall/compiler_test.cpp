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
  // Remote access (4.4.8): the rows in order after the throttle (4.4.4),
  // numbered from 1 in the log prefix, "vpn" both ways a tunnel arrives.
  const auto& input = rs->chain("input")->rules;
  std::vector<const firewall::Rule*> https;
  for (const auto& r : input) {
    if (r.dport == firewall::PortRange{8443, 8443} && r.ctStates == firewall::kNew) https.push_back(&r);
  }
  REQUIRE(https.size() == 6);
  CHECK(https[0]->target == "fw-throttle");
  CHECK(https[0]->connectionsOver == 32u);
  CHECK(https[1]->ipsec == firewall::Rule::Ipsec::NotIn);  // kernel ESP: not a tunnel's packet
  CHECK(https[1]->verdict == firewall::Verdict::Reject);
  CHECK(https[1]->logPrefix.starts_with("fw-https-access-1-"));
  CHECK(https[1]->logPrefix.ends_with(" act=REJECT"));
  CHECK(https[2]->logPrefix.starts_with("fw-https-access-2-"));
  CHECK(https[3]->ipsec == firewall::Rule::Ipsec::In);
  CHECK(https[4]->iif == "ipsec0");
  CHECK(https[5]->iif == "eth1");
  CHECK(https[5]->verdict == firewall::Verdict::Drop);
  // ... and before the internal side is let in.
  auto internal = std::find_if(input.begin(), input.end(), [](const firewall::Rule& r) { return r.comment == "HTTPS"; });
  CHECK(internal - input.begin() > https[5] - input.data());
  // Without HTTPS_REMOTE_ACCESS, the external rows and the throttle go.
  config::Config closed = profile(fixture("rules.atv"));
  closed.values["HTTPS_REMOTE_ACCESS"].text = "no";
  auto shut = firewall::compile(closed, kQemu);
  REQUIRE(shut);
  std::size_t external = 0;
  for (const auto& r : shut->chain("input")->rules) {
    external += r.iif == "eth0" && r.dport == firewall::PortRange{8443, 8443};
  }
  CHECK(external == 0);
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

TEST_CASE("the VPN connections' firewalls and the throttling of remote access", "[firewall]") {
  config::Config c = profile(fixture("vpn.atv"));
  auto rs = firewall::compile(c, kQemu);
  REQUIRE(rs);
  std::string text = firewall::toNft(*rs);
  CHECK(text == fixture("vpn.nft"));
  kernelAccepts(text);
  const auto& forward = rs->chain("forward")->rules;
  auto first = [&](const std::string& target) {
    for (std::size_t i = 0; i < forward.size(); ++i) {
      if (forward[i].target == target) return i;
    }
    return forward.size();
  };
  // Each tunnel: in from REMOTE_NET to LOCAL_NET, out the other way, for
  // kernel ESP (the SA) and kernel-libipsec (ipsec0); before the WAN/LAN tables.
  std::size_t in = first("fw-vpn-in_MAIv711498711");
  REQUIRE(in < forward.size());
  CHECK(forward[in].saddr == firewall::Prefix{0x0a000000, 24});
  CHECK(forward[in].daddr == firewall::Prefix{0xc0a80100, 24});
  CHECK(forward[in].ipsec == firewall::Rule::Ipsec::In);
  CHECK(forward[in + 1].ipsec == firewall::Rule::Ipsec::Out);
  CHECK(forward[in + 1].target == "fw-vpn-out_MAIv711498711");
  CHECK(forward[in + 2].iif == "ipsec0");
  CHECK(forward[in + 3].oif == "ipsec0");
  CHECK(in < first("fw-outgoing"));
  CHECK(in < first("fw-incoming"));
  std::size_t tunnels = 0;
  for (const auto& r : forward) tunnels += r.target == "fw-vpn-in_MAIv711498711";
  CHECK(tunnels == 4);  // two tunnels, two ways of arriving
  // Rules logged as fw-vpn-in_<ROWID>-<row>-<log id>, the default drop as -0-.
  CHECK(rs->chain("fw-vpn-in_MAIv711498711")->rules.at(0).logPrefix.starts_with("fw-vpn-in_MAIv711498711-1-"));
  CHECK(rs->chain("fw-vpn-in_MAIv711498711")->rules.back().logPrefix.empty());
  CHECK(rs->chain("fw-vpn-out_MAIv711498711")->rules.back().logPrefix.starts_with("fw-vpn-out_MAIv711498711-0-"));
  // OpenVPN: the connection's device, and its port forwarding.
  CHECK(forward[first("fw-openvpn-in_MAIv231480925")].iif == "tun0");
  CHECK(forward[first("fw-openvpn-out_MAIv231480925")].oif == "tun0");
  CHECK(rs->chain("prerouting")->rules.at(0).iif == "tun0");
  CHECK(rs->chain("fw-openvpn-in_MAIv231480925")->rules.size() == 1);  // nothing configured: drop
  // IKE and ESP from the WAN, no masquerading into a tunnel, remote access throttled.
  bool ike = false, throttled = false;
  for (const auto& r : rs->chain("input")->rules) {
    ike |= r.iif == "eth0" && r.dport == firewall::PortRange{4500, 4500} && r.verdict == firewall::Verdict::Accept;
    throttled |= r.dport == firewall::PortRange{22, 22} && r.connectionsOver == 10u && r.target == "fw-throttle" &&
                 r.set == "fw-throttle-ssh" && r.ipsec == firewall::Rule::Ipsec::NotIn;
  }
  CHECK(ike);
  CHECK(throttled);
  CHECK(rs->chain("postrouting")->rules.at(0).ipsec == firewall::Rule::Ipsec::Out);
  CHECK(rs->chain("fw-throttle")->rules.at(0).logPrefix == "fw-throttle-0- act=DROP");
  CHECK(rs->findSet("fw-throttle-ssh")->dynamic);  // counted per source
  // IKE from the peer only; the enabled connection's networks never in clear text.
  for (const auto& r : rs->chain("input")->rules) {
    if (r.dport == firewall::PortRange{500, 500}) CHECK(r.saddr == firewall::Prefix{0x0a000202, 32});
  }
  std::size_t leaks = 0;
  for (const auto& r : forward) {
    if (r.verdict == firewall::Verdict::Drop && r.saddr == firewall::Prefix{0xc0a80100, 24}) {
      ++leaks;
      CHECK(r.logPrefix.starts_with("fw-vpn-out_MAIv711498711-0-"));
      CHECK(&r - forward.data() > static_cast<std::ptrdiff_t>(in));
      CHECK(&r - forward.data() < static_cast<std::ptrdiff_t>(first("fw-outgoing")));
    }
  }
  CHECK(leaks == 2);
  // A disabled connection leaves its networks to the other rules, unless
  // it was started at run time (nph-vpn.cgi up, a service contact).
  config::Config off = c;
  off.values["VPN_CONNECTION"].rows.at(0).fields["ENABLED"].text = "no";
  auto countLeaks = [](const firewall::Ruleset& set) {
    std::size_t n = 0;
    for (const auto& r : set.chain("forward")->rules) {
      n += r.verdict == firewall::Verdict::Drop && r.saddr == firewall::Prefix{0xc0a80100, 24};
    }
    return n;
  };
  auto disabled = firewall::compile(off, kQemu);
  REQUIRE(disabled);
  CHECK(countLeaks(*disabled) == 0);
  firewall::State started;
  started.startedVpns.insert("MAIv711498711");
  auto running = firewall::compile(off, kQemu, started);
  REQUIRE(running);
  CHECK(countLeaks(*running) == 2);
  // Port forwarding only to the appliance's own addresses.
  CHECK(rs->chain("prerouting")->rules.at(0).toLocal);
  // No VPN connection: none of this.
  auto plain = firewall::compile(config::factoryDefault(config::Schema::builtin()), kQemu);
  REQUIRE(plain);
  CHECK(firewall::toNft(*plain).find("udp dport 500") == std::string::npos);
  CHECK(firewall::toNft(*plain).find("ipsec exists") == std::string::npos);
  CHECK_FALSE(plain->chain("fw-throttle"));
  // A tunnel whose network is not one is refused, with where it is.
  c.values["VPN_CONNECTION"].rows.at(0).fields["TUNNEL"].rows.at(1).fields["REMOTE_NET"].text = "10.0.7/24";
  auto bad = firewall::compile(c, kQemu);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().find("VPN_CONNECTION:0.TUNNEL:1.REMOTE_NET") != std::string::npos);
}

TEST_CASE("a mode configuration server's tunnels go from its local networks to its pool", "[firewall]") {
  config::Config c = profile(fixture("vpn.atv"));
  config::Row& row = c.values["VPN_CONNECTION"].rows.at(0);
  row.fields["MODECFG"].text = "server";
  row.fields["MODECFG_LOCAL_NET"].text = "192.168.1.0/24";
  row.fields["MODECFG_REMOTE_POOL"].text = "172.16.101.0/24";
  auto tunnels = firewall::vpnTunnels(c);
  REQUIRE(tunnels);
  // Its TUNNEL rows are not charon's then.
  REQUIRE(tunnels->size() == 1);
  CHECK(tunnels->at(0).tunnel == "MAIv711498711-modecfg");
  CHECK(tunnels->at(0).local == Ipv4Prefix{0xc0a80100, 24});
  CHECK(tunnels->at(0).remote == Ipv4Prefix{0xac106500, 24});
  auto rs = firewall::compile(c, kQemu);
  REQUIRE(rs);
  std::size_t in = 0;
  for (const auto& r : rs->chain("forward")->rules) {
    if (r.target != "fw-vpn-in_MAIv711498711") continue;
    ++in;
    CHECK(r.saddr == firewall::Prefix{0xac106500, 24});
    CHECK(r.daddr == firewall::Prefix{0xc0a80100, 24});
  }
  CHECK(in == 2);  // kernel ESP and ipsec0
  // From the table: one tunnel per local network; a bad one says where it is.
  row.fields["MODECFG_LOCAL"].text = "table";
  const config::Variable* nets =
      config::Schema::findColumn(*config::Schema::builtin().find("VPN_CONNECTION"), "MODECFG_LOCAL_NETS");
  for (auto [id, net] : {std::pair{"MAIv711498901", "192.168.1.0/24"}, {"MAIv711498902", "10.1.0.0/16"}}) {
    config::Row r = config::defaultRow(*nets, id);
    r.fields["NETWORK"].text = net;
    row.fields["MODECFG_LOCAL_NETS"].rows.push_back(r);
  }
  tunnels = firewall::vpnTunnels(c);
  REQUIRE(tunnels);
  REQUIRE(tunnels->size() == 2);
  CHECK(tunnels->at(1).local == Ipv4Prefix{0x0a010000, 16});
  row.fields["MODECFG_LOCAL_NETS"].rows.at(1).fields["NETWORK"].text = "10.1/16";
  auto bad = firewall::vpnTunnels(c);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().find("VPN_CONNECTION:0.MODECFG_LOCAL_NETS:1.NETWORK") != std::string::npos);
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
