// nph-vpn.cgi, nph-action.cgi vpn/start|stop and nph-status.cgi /vpn/con
// answered from given states of the IPsec service: the reference's formats
// (11.4, 11.6, 11.7), byte for byte.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "cgi/cgi.hpp"
#include "cgi/vpn_answers.hpp"
#include "web/recorded_stream.hpp"

using namespace bulwark;
using namespace bulwark::web;
using namespace std::chrono_literals;
using cgi::Script;

namespace {

ipsec::IkeSa establishedIke() {
  ipsec::IkeSa ike;
  ike.uniqueId = 13;
  ike.name = "MAIv1";
  ike.state = "ESTABLISHED";
  ike.localHost = "10.1.0.48";
  ike.localPort = "4500";
  ike.localId = "10.1.0.48";
  ike.remoteHost = "77.245.33.67";
  ike.remotePort = "4500";
  ike.remoteId = "77.245.33.67";
  ike.natRemote = true;
  ike.algorithms = "AES_CBC_128-HMAC_SHA2_256_128-PRF_HMAC_SHA2_256-CURVE_25519";
  ike.rekeyAt = 1157s;
  return ike;
}

ipsec::ChildSa installedChild(const std::string& tunnel, std::uint32_t uid) {
  return ipsec::ChildSa{.uniqueId = uid,
                        .name = tunnel,
                        .state = "INSTALLED",
                        .algorithms = "AES_GCM_16_128",
                        .rekeyAt = 26526s,
                        .localTs = {},
                        .remoteTs = {}};
}

// Service1 is enabled and up; Service2 is disabled and off; Service3 is
// disabled, has no peer address (it waits).
std::vector<ipsec::ConnectionStatus> reference() {
  ipsec::ConnectionStatus one;
  one.id = "MAIv1";
  one.name = "Service1";
  one.enabled = true;
  one.initiates = true;
  one.armed = true;
  one.remoteGateway = "77.245.33.67";
  one.ike = establishedIke();
  one.tunnels.push_back({"MAIv2", "192.168.1.0/24", "192.168.2.0/24", installedChild("MAIv2", 14)});
  ipsec::ConnectionStatus two;
  two.id = "MAIv3";
  two.name = "Service2";
  two.initiates = true;
  two.remoteGateway = "vpn.example.com";
  two.tunnels.push_back({"MAIv4", "192.168.1.0/24", "10.0.0.0/24", std::nullopt});
  ipsec::ConnectionStatus three;
  three.id = "MAIv5";
  three.name = "Service3";
  three.remoteGateway = "%any";
  three.tunnels.push_back({"MAIv6", "192.168.1.0/24", "10.0.1.0/24", std::nullopt});
  return {one, two, three};
}

// The service as the CGI sees it: states given by the test, commands
// recorded, the preconditions of 11.3 as the IPsec module has them.
class FakeIpsec final : public ipsec::IpsecService {
 public:
  std::vector<ipsec::ConnectionStatus> states = reference();
  std::vector<std::string> calls;
  std::function<void(bool)> gone;

  std::vector<ipsec::ConnectionStatus> connections() const override { return states; }
  void refresh(std::function<void()> done) override {
    calls.push_back("refresh");
    done();
  }
  Status activate(const std::string& id) override { return toggle(id, true); }
  Status deactivate(const std::string& id) override { return toggle(id, false); }
  void whenGone(const std::string& id, std::chrono::milliseconds timeout, std::function<void(bool)> done) override {
    calls.push_back(fmt::format("whenGone {} {}", id, timeout.count()));
    gone = std::move(done);
  }
  // Says the lines the test gives at once; the rest when the test calls `line`.
  std::function<void()> synup(const std::string& id, ipsec::SynupLine say) override {
    calls.push_back("synup " + id);
    for (const std::string& l : synupLines) say(l, l[0] != 'P');
    line = std::move(say);
    return [this] { calls.push_back("cancel"); };
  }
  std::string synupDiagnostics() const override { return ""; }
  // Deletes the IKE SA from the states, as charon and the refresh after it would.
  void terminateIke(std::uint32_t uid, std::function<void(Status)> done) override {
    calls.push_back(fmt::format("terminateIke {}", uid));
    if (!terminateError.empty()) return done(Error{terminateError});
    for (auto& c : states) std::erase_if(c.sas, [uid](const ipsec::IkeSa& sa) { return sa.uniqueId == uid; });
    done({});
  }
  std::string terminateError;
  std::vector<std::string> synupLines;
  ipsec::SynupLine line;

 private:
  Status toggle(const std::string& id, bool on) {
    calls.push_back(fmt::format("{} {}", on ? "activate" : "deactivate", id));
    for (auto& c : states) {
      if (c.id != id) continue;
      if (c.enabled) return Error{"Service1 is enabled."};
      if (!c.initiates) return Error{"Service3 waits."};
      c.activated = on;
    }
    return {};
  }
};

// A streamed body as the server would send it, in writes.
using test::RecordedStream;

std::string run(cgi::CgiServices& services, Script script, std::string_view query,
                std::shared_ptr<RecordedStream> stream = nullptr) {
  auto command = cgi::parse(script, query);
  REQUIRE(command);
  std::string body = "(no answer)";
  cgi::run(*command, services, [&body, &stream](Response r) {
    body = r.body;
    if (!r.stream) return;
    if (!stream) stream = std::make_shared<RecordedStream>();
    r.stream(stream);
    body.clear();
    for (const std::string& w : stream->writes) body += w;
  });
  return body;
}

struct Fixture {
  FakeIpsec ipsec;
  cgi::CgiServices services;
  Fixture() {
    services.ipsec = &ipsec;
    services.uptime = [] { return 1000s; };
  }
};

}  // namespace

TEST_CASE("status names the state of one connection, or of all as NAME: state lines", "[web][cgi][ipsec]") {
  Fixture f;
  CHECK(run(f.services, Script::Vpn, "cmd=status&name=Service1") == "active\n");
  CHECK(run(f.services, Script::Vpn, "cmd=status&name=Service2") == "void\n");
  CHECK(run(f.services, Script::Vpn, "cmd=status&name=Nothing") == "unknown\n");
  CHECK(run(f.services, Script::Vpn, "cmd=status&name=*") == "Service1: active\nService2: void\nService3: void\n");
  f.ipsec.states[1].activated = true;
  CHECK(run(f.services, Script::Vpn, "cmd=status&name=Service2") == "ready\n");
  f.ipsec.states[1].error = "charon failed";
  CHECK(run(f.services, Script::Vpn, "cmd=status&name=Service2") == "void\n");
  // Two connections of one name: which one is meant is not guessed.
  f.ipsec.states[2].name = "Service2";
  CHECK(run(f.services, Script::Vpn, "cmd=status&name=Service2") ==
        "F EAMBIGUOUS msg=Several VPN connections are named Service2.\n");
}

TEST_CASE("status without a name gives the block of 11.4.2.3 per tunnel of each enabled or activated connection",
          "[web][cgi][ipsec]") {
  Fixture f;
  f.ipsec.states[1].activated = true;  // activated, not yet up
  CHECK(run(f.services, Script::Vpn, "cmd=status") ==
        "fullname Service1\n"
        "name MAIv2\n"
        "leftnet 192.168.1.0/24\n"
        "leftgw 10.1.0.48\n"
        "leftnatport\n"
        "leftid 10.1.0.48\n"
        "leftproto\n"
        "leftport\n"
        "rightnet 192.168.2.0/24\n"
        "rightgw 77.245.33.67\n"
        "rightnatport 4500\n"
        "rightid 77.245.33.67\n"
        "rightproto\n"
        "rightport\n"
        "isakmp 13\n"
        "isakmp-txt ESTABLISHED\n"
        "isakmp-ltime 157s\n"
        "isakmp-algo AES_CBC_128-HMAC_SHA2_256_128-PRF_HMAC_SHA2_256-CURVE_25519\n"
        "ipsec 14\n"
        "ipsec-txt INSTALLED\n"
        "ipsec-ltime 25526s\n"
        "ipsec-algo AES_GCM_16_128\n"
        "fullname Service2\n"
        "name MAIv4\n"
        "leftnet 192.168.1.0/24\n"
        "leftgw\n"
        "leftnatport\n"
        "leftid\n"
        "leftproto\n"
        "leftport\n"
        "rightnet 10.0.0.0/24\n"
        "rightgw vpn.example.com\n"
        "rightnatport\n"
        "rightid\n"
        "rightproto\n"
        "rightport\n"
        "isakmp\n"
        "isakmp-txt\n"
        "isakmp-ltime\n"
        "isakmp-algo\n"
        "ipsec\n"
        "ipsec-txt\n"
        "ipsec-ltime\n"
        "ipsec-algo\n");
  CHECK(f.ipsec.calls == std::vector<std::string>{"refresh"});  // charon was asked first
}

TEST_CASE("before there is an IKE SA, rightgw is the configured peer, also of a connection that waits",
          "[web][cgi][ipsec]") {
  Fixture f;
  f.ipsec.states[1].initiates = false;  // CONNECTION_STARTUP wait with a peer name
  f.ipsec.states[1].activated = true;
  f.ipsec.states[2].activated = true;  // %any
  std::string status = run(f.services, Script::Vpn, "cmd=status");
  CHECK_THAT(status, Catch::Contains("fullname Service2\n") && Catch::Contains("rightgw vpn.example.com\n"));
  CHECK_THAT(status, Catch::Contains("fullname Service3\n") && Catch::Contains("rightgw\nrightnatport"));
}

TEST_CASE("up and down switch a disabled connection and answer its state", "[web][cgi][ipsec]") {
  Fixture f;
  CHECK(run(f.services, Script::Vpn, "cmd=up&name=Service2") == "ready\n");
  CHECK(f.ipsec.states[1].activated);
  CHECK(run(f.services, Script::Vpn, "cmd=down&name=Service2") == "void\n");
  CHECK_FALSE(f.ipsec.states[1].activated);
  CHECK(run(f.services, Script::Vpn, "cmd=up&name=Nothing") == "unknown\n");
  // 11.3: an enabled connection, one that waits for its peer.
  CHECK(run(f.services, Script::Vpn, "cmd=down&name=Service1") == "F EINVAL msg=Service1 is enabled.\n");
  CHECK(run(f.services, Script::Vpn, "cmd=up&name=Service3") == "F EINVAL msg=Service3 waits.\n");
  CHECK(f.ipsec.calls == std::vector<std::string>{"activate MAIv3", "deactivate MAIv3", "deactivate MAIv1",
                                                   "activate MAIv5"});
}

TEST_CASE("synstat gives ike and ipsec only while the connection is activated", "[web][cgi][ipsec]") {
  Fixture f;
  CHECK(run(f.services, Script::Vpn, "cmd=synstat&name=Service1") ==
        "R OKVST1 id=MAIv1 enabled=yes activated=no\n");
  CHECK(run(f.services, Script::Vpn, "cmd=synstat&name=Nothing") == "F ENOENT msg=No VPN connection is named Nothing.\n");
  ipsec::ConnectionStatus& two = f.ipsec.states[1];
  two.activated = true;
  CHECK(run(f.services, Script::Vpn, "cmd=synstat&name=Service2") ==
        "R OKVST1 id=MAIv3 enabled=no activated=yes ike=DEAD ipsec=DEAD\n");
  two.ike = establishedIke();
  two.ike->state = "CONNECTING";
  CHECK(cgi::vpnSynstat(two) == "R OKVST1 id=MAIv3 enabled=no activated=yes ike=CONNECTING ipsec=DEAD\n");
  two.ike->state = "ESTABLISHED";
  two.tunnels[0].sa = installedChild("MAIv4", 2);
  two.tunnels[0].sa->state = "INSTALLING";
  CHECK(cgi::vpnSynstat(two) == "R OKVST1 id=MAIv3 enabled=no activated=yes ike=OK ipsec=INSTALLING\n");
  two.tunnels[0].sa->state = "INSTALLED";
  CHECK(cgi::vpnSynstat(two) == "R OKVST1 id=MAIv3 enabled=no activated=yes ike=OK ipsec=OK\n");
  // A second tunnel without a CHILD_SA.
  two.tunnels.push_back({"MAIv7", "192.168.1.0/24", "10.0.9.0/24", std::nullopt});
  CHECK(cgi::vpnSynstat(two) == "R OKVST1 id=MAIv3 enabled=no activated=yes ike=OK ipsec=DEAD\n");
}

TEST_CASE("syndown waits for the SAs to go, or says the connection was not active", "[web][cgi][ipsec]") {
  Fixture f;
  CHECK(run(f.services, Script::Vpn, "cmd=syndown&name=Service2") == "R OKVNOTACT\n");
  f.ipsec.states[1].activated = true;
  CHECK(run(f.services, Script::Vpn, "cmd=syndown&name=Service2") == "(no answer)");
  CHECK(f.ipsec.calls.back() == "whenGone MAIv3 10000");
  std::string body;
  auto command = cgi::parse(Script::Vpn, "cmd=syndown&name=Service2");
  f.ipsec.states[1].activated = true;
  cgi::run(*command, f.services, [&body](Response r) { body = r.body; });
  f.ipsec.gone(true);
  CHECK(body == "R OKVDOWN\n");
  f.ipsec.states[1].activated = true;
  cgi::run(*command, f.services, [&body](Response r) { body = r.body; });
  f.ipsec.gone(false);
  CHECK(body == "F EBUSY msg=charon has not deleted the SAs of Service2 within 10 s.\n");
  CHECK(run(f.services, Script::Vpn, "cmd=syndown&name=Service1") == "F EINVAL msg=Service1 is enabled.\n");
  CHECK(run(f.services, Script::Vpn, "cmd=syndown&name=Nothing") == "F ENOENT msg=No VPN connection is named Nothing.\n");
}

TEST_CASE("vpn/start and vpn/stop switch a connection named or given by row id", "[web][cgi][ipsec]") {
  Fixture f;
  CHECK(run(f.services, Script::Action, "action=vpn/start&name=Service2") == "OK\n");
  CHECK(f.ipsec.states[1].activated);
  CHECK(run(f.services, Script::Action, "action=vpn/stop&rowid=MAIv3") == "OK\n");
  CHECK_FALSE(f.ipsec.states[1].activated);
  CHECK(run(f.services, Script::Action, "action=vpn/start&rowid=MAIv9") ==
        "F ENOENT msg=No VPN connection has the row id MAIv9.\n");
  CHECK(run(f.services, Script::Action, "action=vpn/start&name=Service1") == "F EINVAL msg=Service1 is enabled.\n");
}

TEST_CASE("/vpn/con gives armed, ipsec, isakmp, sa_count and sa_count_conf per connection", "[web][cgi][ipsec]") {
  Fixture f;
  CHECK(run(f.services, Script::Status, "path=/vpn/con&name=Service1") ==
        "/vpn/con/MAIv1/armed=yes\n/vpn/con/MAIv1/ipsec=up\n/vpn/con/MAIv1/isakmp=up\n/vpn/con/MAIv1/sa_count=1\n"
        "/vpn/con/MAIv1/sa_count_conf=1\n");
  CHECK(run(f.services, Script::Status, "path=/vpn/con&name=Service2") ==
        "/vpn/con/MAIv3/armed=no\n/vpn/con/MAIv3/ipsec=down\n/vpn/con/MAIv3/isakmp=down\n/vpn/con/MAIv3/sa_count=0\n"
        "/vpn/con/MAIv3/sa_count_conf=1\n");
  ipsec::ConnectionStatus& one = f.ipsec.states[0];
  one.tunnels.push_back({"MAIv8", "192.168.1.0/24", "192.168.3.0/24", std::nullopt});
  CHECK(cgi::vpnConStatus({one}).find("/vpn/con/MAIv1/ipsec=some\n") != std::string::npos);
  CHECK(run(f.services, Script::Status, "path=/vpn/con&name=Nothing") ==
        "F ENOENT msg=No VPN connection is named Nothing.\n");
}

TEST_CASE("without the IPsec service no connection is known", "[web][cgi][ipsec]") {
  cgi::CgiServices services;
  CHECK(run(services, Script::Vpn, "cmd=status&name=Service") == "unknown\n");
  CHECK(run(services, Script::Vpn, "cmd=up&name=Service") == "unknown\n");
  CHECK(run(services, Script::Vpn, "cmd=status&name=*").empty());
  CHECK(run(services, Script::Vpn, "cmd=status").empty());
  CHECK(run(services, Script::Vpn, "cmd=synstat&name=Service") == "F ENOENT msg=No VPN connection is named Service.\n");
  CHECK(run(services, Script::Action, "action=vpn/start&name=Service").starts_with("F ENOENT msg="));
  CHECK(run(services, Script::Status, "path=/vpn/con&name=Service").starts_with("F ENOENT msg="));
}

TEST_CASE("synup streams the service's lines as they come and ends with the final one", "[web][cgi][ipsec]") {
  Fixture f;
  f.ipsec.synupLines = {"P synup name=Service2\n"};
  auto stream = std::make_shared<RecordedStream>();
  CHECK(run(f.services, Script::Vpn, "cmd=synup&name=Service2", stream) == "P synup name=Service2\n");
  CHECK(f.ipsec.calls == std::vector<std::string>{"synup MAIv3"});
  CHECK_FALSE(stream->ended);
  f.ipsec.line("P vpnconn uptime=1.00 id=MAIv3 gw=vpn.example.com\n", false);
  f.ipsec.line("R OKVUP uptime=2.00 msg=The connection is established on this side.\n", true);
  CHECK(stream->writes.size() == 3);
  CHECK(stream->writes[2] == "R OKVUP uptime=2.00 msg=The connection is established on this side.\n");
  CHECK(stream->ended);
  // The server cancels when the client goes away: the service is told.
  REQUIRE(stream->cancel);
  stream->cancel();
  CHECK(f.ipsec.calls.back() == "cancel");
}

TEST_CASE("synup of an unknown or ambiguous name answers at once, without the service", "[web][cgi][ipsec]") {
  Fixture f;
  CHECK(run(f.services, Script::Vpn, "cmd=synup&name=Nothing") == "F ENOENT msg=No VPN connection is named Nothing.\n");
  f.ipsec.states[2].name = "Service2";
  CHECK(run(f.services, Script::Vpn, "cmd=synup&name=Service2") ==
        "F EAMBIGUOUS msg=Several VPN connections are named Service2.\n");
  CHECK(f.ipsec.calls.empty());
}

namespace {

// A peer of a tunnel group with its IKE SA `uid` from `peer` and one CHILD_SA
// narrowed to `remote`.
ipsec::IkeSa groupPeer(std::uint32_t uid, const std::string& peer, const std::string& remote) {
  ipsec::IkeSa ike = establishedIke();
  ike.uniqueId = uid;
  ike.name = "MAIv5";
  ike.remoteHost = peer;
  ipsec::ChildSa child = installedChild("MAIv6", uid + 100);
  child.localTs = {"192.168.1.0/24"};
  child.remoteTs = {remote};
  ike.children.push_back(child);
  return ike;
}

// Service3 as a tunnel group: enabled, waiting for any peer, remote network
// 10.0.0.0/16; two peers are up.
void makeGroup(Fixture& f) {
  ipsec::ConnectionStatus& three = f.ipsec.states[2];
  three.enabled = true;
  three.armed = true;
  three.tunnels[0].remoteNet = "10.0.0.0/16";
  three.sas = {groupPeer(7, "10.0.2.11", "10.0.1.0/24"), groupPeer(9, "10.0.2.12", "10.0.2.0/24")};
  three.tunnels[0].sa = three.sas[0].children[0];
  three.ike = three.sas[0];
  f.ipsec.states[0].sas = {*f.ipsec.states[0].ike};
  f.ipsec.states[0].sas[0].children = {installedChild("MAIv2", 14)};
  f.ipsec.states[0].sas[0].children[0].localTs = {"192.168.1.0/24"};
  f.ipsec.states[0].sas[0].children[0].remoteTs = {"192.168.2.0/24"};
}

}  // namespace

TEST_CASE("status of a channel is active for each peer's narrowed subnet, ready for a tunnel that waits",
          "[web][cgi][ipsec]") {
  Fixture f;
  makeGroup(f);
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"192.168.1.0/24:10.0.1.0/24", "active"},   // the group's two peers
      {"192.168.1.0/24:10.0.2.0/24", "active"},
      {"192.168.1.0/24:192.168.2.0/24", "active"},  // the reference's example: a configured tunnel that is up
      {"192.168.1.1/24:10.0.1.0/24", "active"},     // host bits are dropped, as in the configuration
      {"192.168.1.0/24:10.0.0.0/16", "ready"},      // the group's own networks: loaded, waiting for peers
      {"192.168.1.0/24:10.0.3.0/24", "unknown"},    // a subnet of the group no peer has
      {"192.168.0.0/16:10.0.1.0/24", "unknown"},    // another local network
  };
  for (auto [channel, state] : cases) {
    INFO(channel);
    CHECK(run(f.services, Script::Vpn, fmt::format("cmd=status&channel={}", channel)) == fmt::format("{}\n", state));
  }
}

TEST_CASE("status of a channel is ready only while its connection is wanted and without error", "[web][cgi][ipsec]") {
  Fixture f;
  makeGroup(f);
  // Service2 is disabled: its tunnel is not ready.
  CHECK(run(f.services, Script::Vpn, "cmd=status&channel=192.168.1.0/24:10.0.0.0/24") == "unknown\n");
  f.ipsec.states[1].activated = true;
  f.ipsec.states[1].armed = true;
  CHECK(run(f.services, Script::Vpn, "cmd=status&channel=192.168.1.0/24:10.0.0.0/24") == "ready\n");
  // ... unless it has an error (the peer's name cannot be resolved, ...).
  f.ipsec.states[1].error = "charon failed";
  CHECK(run(f.services, Script::Vpn, "cmd=status&channel=192.168.1.0/24:10.0.0.0/24") == "unknown\n");
  // A CHILD_SA being rekeyed still carries traffic; one being installed does not.
  f.ipsec.states[2].sas[0].children[0].state = "REKEYING";
  CHECK(run(f.services, Script::Vpn, "cmd=status&channel=192.168.1.0/24:10.0.1.0/24") == "active\n");
  f.ipsec.states[2].sas[0].children[0].state = "INSTALLING";
  CHECK(run(f.services, Script::Vpn, "cmd=status&channel=192.168.1.0/24:10.0.1.0/24") == "unknown\n");
}

TEST_CASE("clear of a channel deletes that one peer's IKE SA and answers the reference's lines", "[web][cgi][ipsec]") {
  Fixture f;
  makeGroup(f);
  CHECK(run(f.services, Script::Vpn, "cmd=clear&channel=192.168.1.0/24:10.0.2.0/24") ==
        "002 \"MAIv5_1\"[9] 10.0.2.12: deleting connection\n"
        "\"MAIv5_1\"[9] instance with peer 10.0.2.12 {isakmp=#0/ipsec=#0}\n"
        "cleared\n");
  CHECK(f.ipsec.calls == std::vector<std::string>{"terminateIke 9"});
  CHECK(run(f.services, Script::Vpn, "cmd=status&channel=192.168.1.0/24:10.0.2.0/24") == "unknown\n");
  CHECK(run(f.services, Script::Vpn, "cmd=status&channel=192.168.1.0/24:10.0.1.0/24") == "active\n");
  // Nothing matches (any more): unknown, and nothing is deleted.
  CHECK(run(f.services, Script::Vpn, "cmd=clear&channel=192.168.1.0/24:10.0.2.0/24") == "unknown\n");
  CHECK(run(f.services, Script::Vpn, "cmd=clear&channel=192.168.1.0/24:10.0.0.0/16") == "unknown\n");
  CHECK(f.ipsec.calls.size() == 1);
}

TEST_CASE("clear says so when charon does not delete the IKE SA", "[web][cgi][ipsec]") {
  Fixture f;
  makeGroup(f);
  f.ipsec.terminateError = "terminate timed out";
  CHECK(run(f.services, Script::Vpn, "cmd=clear&channel=192.168.1.0/24:10.0.1.0/24") ==
        "F EBUSY msg=charon did not delete the IKE SA #7: terminate timed out\n");
  // Gone already (its peer ended it meanwhile): cleared all the same.
  f.ipsec.terminateError = "no matching SAs to terminate found";
  CHECK(run(f.services, Script::Vpn, "cmd=clear&channel=192.168.1.0/24:10.0.1.0/24").ends_with("cleared\n"));
}

TEST_CASE("a channel that is not two networks joined by a colon is an invalid argument", "[web][cgi][ipsec]") {
  Fixture f;
  makeGroup(f);
  for (std::string_view bad : {"192.168.1.0/24", "192.168.1.0/24:", ":10.0.1.0/24", "192.168.1.0/33:10.0.1.0/24",
                               "192.168.1.0/24:10.0.1.0/24:10.0.2.0/24", "300.1.1.1/8:10.0.1.0/24",
                               "192.168.1.0/24:host.example"}) {
    for (std::string_view cmd : {"status", "clear"}) {
      INFO(cmd << " " << bad);
      CHECK(run(f.services, Script::Vpn, fmt::format("cmd={}&channel={}", cmd, bad)).starts_with("F EINVAL msg="));
    }
  }
  CHECK(run(f.services, Script::Vpn, "cmd=clear&channel=192.168.1.0/24:host.example") ==
        "F EINVAL msg=the channel's remote network is not an IPv4 network a.b.c.d/n\n");
  CHECK(f.ipsec.calls.empty());
  // The parser alone: networks with host bits dropped.
  auto channel = ipsec::parseChannel("10.1.2.3/16:192.168.23.0/24");
  REQUIRE(channel);
  CHECK(ipv4Text(channel->local.address) == "10.1.0.0");
  CHECK(channel->local.length == 16);
  CHECK(ipv4Text(channel->remote.address) == "192.168.23.0");
  CHECK(channel->remote.length == 24);
}

TEST_CASE("without the IPsec service no channel is known", "[web][cgi][ipsec]") {
  cgi::CgiServices services;
  CHECK(run(services, Script::Vpn, "cmd=status&channel=10.1.0.0/16:192.168.23.0/24") == "unknown\n");
  CHECK(run(services, Script::Vpn, "cmd=clear&channel=10.1.0.0/16:192.168.23.0/24") == "unknown\n");
}

TEST_CASE("status without a name gives a block per peer of a tunnel group, with its narrowed networks",
          "[web][cgi][ipsec]") {
  Fixture f;
  makeGroup(f);
  std::string all = run(f.services, Script::Vpn, "cmd=status");
  auto blockOf = [&all](std::string_view peer) {
    auto at = all.find(fmt::format("rightgw {}\n", peer));
    REQUIRE(at != std::string::npos);
    auto start = all.rfind("fullname ", at);
    return all.substr(start, all.find("fullname ", at) - start);
  };
  CHECK(blockOf("10.0.2.11") ==
        "fullname Service3\nname MAIv6\nleftnet 192.168.1.0/24\nleftgw 10.1.0.48\nleftnatport\nleftid 10.1.0.48\n"
        "leftproto\nleftport\nrightnet 10.0.1.0/24\nrightgw 10.0.2.11\nrightnatport 4500\nrightid 77.245.33.67\n"
        "rightproto\nrightport\nisakmp 7\nisakmp-txt ESTABLISHED\nisakmp-ltime 157s\n"
        "isakmp-algo AES_CBC_128-HMAC_SHA2_256_128-PRF_HMAC_SHA2_256-CURVE_25519\nipsec 107\nipsec-txt INSTALLED\n"
        "ipsec-ltime 25526s\nipsec-algo AES_GCM_16_128\n");
  CHECK(blockOf("10.0.2.12").find("rightnet 10.0.2.0/24\n") != std::string::npos);
  CHECK(blockOf("10.0.2.12").find("isakmp 9\n") != std::string::npos);
  // One peer left: its block, with its own IKE SA and narrowed networks, as with several.
  f.ipsec.states[2].sas.pop_back();
  all = run(f.services, Script::Vpn, "cmd=status");
  CHECK(blockOf("10.0.2.11").find("rightnet 10.0.1.0/24\n") != std::string::npos);
  CHECK(blockOf("10.0.2.11").find("isakmp 7\n") != std::string::npos);
  CHECK(all.find("rightgw 10.0.2.12") == std::string::npos);
}
