// IPsec connections from the configuration to charon: the typed rows, the
// load-conn and load-shared messages, strongswan.conf and the ESP check.
#include <catch2/catch.hpp>

#include <fstream>

#include "support/support.hpp"
#include "vpn/ipsec/charon.hpp"
#include "vpn/ipsec/connection.hpp"

using namespace bulwark;
using namespace bulwark::ipsec;

namespace {

// A PSK connection to `gateway` with one tunnel; `cells` are further
// VPN_CONNECTION:0 cells (CONNECTION_STARTUP initiate unless they say otherwise).
config::Config withConnection(const std::string& gateway,
                              std::vector<std::pair<std::string, std::string>> cells = {}) {
  const config::Schema& schema = config::Schema::builtin();
  config::Config c = config::factoryDefault(schema);
  const config::Variable* table = schema.find("VPN_CONNECTION");
  config::Row row = config::defaultRow(*table, "MAIv000000001");
  config::Row tunnel = config::defaultRow(*config::Schema::findColumn(*table, "TUNNEL"), "MAIv000000002");
  row.fields["TUNNEL"].rows.push_back(tunnel);
  c.values["VPN_CONNECTION"].rows.push_back(row);
  for (auto [path, value] : {std::pair{"VPN_NAME", "plant"}, {"AUTH_METHOD", "psk"}, {"PSK", "s3cret"},
                             {"REMOTE_GATEWAY", gateway.c_str()}, {"IKE_LIFETIME", "12:00:00"},
                             {"SA_LIFETIME", "04:00:00"}}) {
    REQUIRE(config::setScalar(schema, c, std::string("VPN_CONNECTION:0.") + path, value));
  }
  REQUIRE(config::setScalar(schema, c, "VPN_CONNECTION:0.CONNECTION_STARTUP", gateway == "%any" ? "wait" : "initiate"));
  for (const auto& [path, value] : cells) {
    REQUIRE(config::setScalar(schema, c, "VPN_CONNECTION:0." + path, value));
  }
  REQUIRE(config::validate(schema, c));
  return c;
}

// Adds a row with `cells` to the nested table `table` of VPN_CONNECTION:0.
void addProposal(config::Config& c, const std::string& table, std::vector<std::pair<std::string, std::string>> cells) {
  const config::Schema& schema = config::Schema::builtin();
  const config::Variable* columns = config::Schema::findColumn(*schema.find("VPN_CONNECTION"), table);
  auto& rows = c.values["VPN_CONNECTION"].rows[0].fields[table].rows;
  int base = table == "ISAKMP_PROPOSALS" ? 500000100 : 500000200;
  config::Row row = config::defaultRow(*columns, "MAIv" + std::to_string(base + rows.size()));
  for (const auto& [column, value] : cells) row.fields[column].text = value;
  rows.push_back(row);
  REQUIRE(config::validate(schema, c));
}

// The load-conn message of the connection, as text.
std::string loadConn(const config::Config& config) { return vici::toText(loadConnMessage(connectionsOf(config)[0])); }

}  // namespace

TEST_CASE("a VPN_CONNECTION row becomes a typed connection", "[ipsec]") {
  auto connections = connectionsOf(withConnection("10.0.2.2"));
  REQUIRE(connections.size() == 1);
  const Connection& c = connections[0];
  CHECK(c.id == "MAIv000000001");
  CHECK(c.name == "plant");
  CHECK(c.enabled);
  CHECK(c.auth == AuthMethod::Psk);
  CHECK(c.psk == "s3cret");
  CHECK(c.ikeLifetime == std::chrono::hours(12));
  CHECK(c.saLifetime == std::chrono::hours(4));
  CHECK(c.tunnels == std::vector<Tunnel>{{"MAIv000000002", "192.168.1.0/24", "10.0.0.0/24"}});
  CHECK(c.startup == Startup::Initiate);
  CHECK(c.initiates());
  CHECK(c.ikeVersion == 2);
  CHECK(c.ikeProposals.empty());
  CHECK(c.espProposals.empty());
  CHECK_FALSE(c.pfs);
  CHECK(c.dpd);
  CHECK(c.dpdDelay == std::chrono::seconds(30));
  CHECK(c.dpdTimeout == std::chrono::seconds(150));
  CHECK_FALSE(c.forceEncap);
  CHECK(unsupportedReason(c).empty());
}

TEST_CASE("what cannot be loaded says why", "[ipsec]") {
  Connection c = connectionsOf(withConnection("10.0.2.2"))[0];
  c.psk.clear();
  CHECK(unsupportedReason(c) == "AUTH_METHOD is psk but PSK is empty");
  c.auth = AuthMethod::X509;
  CHECK(unsupportedReason(c) == "AUTH_METHOD is x509 but LOCAL_CERT_REF names no machine certificate");
  c.tunnels.clear();
  CHECK(unsupportedReason(c) == "it has no tunnel");
}

TEST_CASE("a connection to a known peer is initiated and retried", "[ipsec]") {
  Connection c = connectionsOf(withConnection("10.0.2.2"))[0];
  CHECK(vici::toText(loadConnMessage(c)) ==
        "{MAIv000000001 {version=2 remote_addrs=[10.0.2.2] rekey_time=38880s over_time=4320s dpd_delay=30s "
        "keyingtries=0 local {auth=psk} remote {auth=psk id=10.0.2.2} children {MAIv000000002 {local_ts=[192.168.1.0/24] "
        "remote_ts=[10.0.0.0/24] rekey_time=12960s life_time=14400s start_action=start dpd_action=restart}}}}");
  CHECK(vici::toText(loadSharedMessage(c)) == "{id=MAIv000000001 type=IKE data=s3cret owners=[10.0.2.2]}");
}

TEST_CASE("a connection for any peer waits, and its key is everyone's", "[ipsec]") {
  Connection c = connectionsOf(withConnection("%any"))[0];
  CHECK_FALSE(c.initiates());
  CHECK(vici::toText(loadConnMessage(c)) ==
        "{MAIv000000001 {version=2 rekey_time=38880s over_time=4320s dpd_delay=30s keyingtries=1 local {auth=psk} "
        "remote {auth=psk} children {MAIv000000002 {local_ts=[192.168.1.0/24] remote_ts=[10.0.0.0/24] "
        "rekey_time=12960s life_time=14400s start_action=none dpd_action=clear}}}}");
  CHECK(vici::toText(loadSharedMessage(c)) == "{id=MAIv000000001 type=IKE data=s3cret}");
  CHECK(vici::toText(loadSharedMessage(connectionsOf(withConnection("vpn.example.com"))[0])) ==
        "{id=MAIv000000001 type=IKE data=s3cret}");
}

TEST_CASE("CONNECTION_STARTUP wait is the default, and waits for a known peer too, accepting only it", "[ipsec]") {
  const config::Variable* table = config::Schema::builtin().find("VPN_CONNECTION");
  CHECK(config::Schema::findColumn(*table, "CONNECTION_STARTUP")->defaultValue == "wait");
  Connection c = connectionsOf(withConnection("10.0.2.2", {{"CONNECTION_STARTUP", "wait"}}))[0];
  CHECK_FALSE(c.initiates());
  CHECK(loadConn(withConnection("10.0.2.2", {{"CONNECTION_STARTUP", "wait"}})) ==
        "{MAIv000000001 {version=2 remote_addrs=[10.0.2.2] rekey_time=38880s over_time=4320s dpd_delay=30s "
        "keyingtries=1 local {auth=psk} remote {auth=psk id=10.0.2.2} children {MAIv000000002 {local_ts=[192.168.1.0/24] "
        "remote_ts=[10.0.0.0/24] rekey_time=12960s life_time=14400s start_action=none dpd_action=clear}}}}");
}

TEST_CASE("initiate-on-traffic is charon's trap, tried once per packet that asks", "[ipsec]") {
  config::Config config = withConnection("10.0.2.2", {{"CONNECTION_STARTUP", "initiate-on-traffic"}});
  CHECK(connectionsOf(config)[0].initiates());
  std::string conn = loadConn(config);
  CHECK_THAT(conn, Catch::Contains(" keyingtries=1 "));
  CHECK_THAT(conn, Catch::Contains(" start_action=trap dpd_action=trap}"));
}

TEST_CASE("initiating a connection to %any is a configuration error, said with the connection's name", "[ipsec]") {
  std::vector<Connection> connections = connectionsOf(withConnection("10.0.2.2"));
  CHECK(configurationError(connections).empty());
  connections[0].remoteGateway = "%any";
  CHECK(configurationError(connections) ==
        "The VPN connection plant: CONNECTION_STARTUP is initiate but REMOTE_GATEWAY is %any: a connection is "
        "initiated only to a known peer (use wait, or name the peer).");
  CHECK(unsupportedReason(connections[0]) ==
        "CONNECTION_STARTUP is initiate but REMOTE_GATEWAY is %any: a connection is initiated only to a known peer "
        "(use wait, or name the peer)");
  connections[0].startup = Startup::OnTraffic;
  CHECK_THAT(configurationError(connections), Catch::Contains("CONNECTION_STARTUP is initiate-on-traffic but"));
  connections[0].startup = Startup::Wait;
  CHECK(configurationError(connections).empty());
}

TEST_CASE("IKE_VERSION ikev1 is load-conn's version 1, with DPD_TIMEOUT", "[ipsec]") {
  config::Config config = withConnection("10.0.2.2", {{"IKE_VERSION", "ikev1"}, {"DPD_TIMEOUT", "00:01:00"}});
  CHECK(connectionsOf(config)[0].ikeVersion == 1);
  std::string conn = loadConn(config);
  CHECK_THAT(conn, Catch::StartsWith("{MAIv000000001 {version=1 remote_addrs=[10.0.2.2] "));
  CHECK_THAT(conn, Catch::Contains(" dpd_delay=30s dpd_timeout=60s keyingtries=0 "));
  // IKEv2 has no dpd_timeout: it gives up after its retransmissions.
  CHECK_THAT(loadConn(withConnection("10.0.2.2", {{"DPD_TIMEOUT", "00:01:00"}})),
             Catch::Contains(" dpd_delay=30s keyingtries=0 "));
}

TEST_CASE("DPD off is dpd_delay 0, and DPD_DELAY is its interval", "[ipsec]") {
  CHECK_THAT(loadConn(withConnection("10.0.2.2", {{"DPD", "no"}, {"IKE_VERSION", "ikev1"}})),
             Catch::Contains(" over_time=4320s dpd_delay=0s keyingtries=0 "));
  CHECK_THAT(loadConn(withConnection("10.0.2.2", {{"DPD_DELAY", "00:02:00"}})),
             Catch::Contains(" dpd_delay=120s keyingtries=0 "));
}

TEST_CASE("NAT_T force is encap yes; yes leaves charon's NAT detection alone", "[ipsec]") {
  CHECK_THAT(loadConn(withConnection("10.0.2.2", {{"NAT_T", "force"}})),
             Catch::Contains(" dpd_delay=30s encap=yes keyingtries=0 "));
  CHECK_THAT(loadConn(withConnection("10.0.2.2", {{"NAT_T", "yes"}})), !Catch::Contains("encap"));
  const config::Schema& schema = config::Schema::builtin();
  config::Config c = withConnection("10.0.2.2");
  CHECK_FALSE(config::setScalar(schema, c, "VPN_CONNECTION:0.NAT_T", "no"));
}

TEST_CASE("the lifetimes default to the reference's 12:00:00 and 4:00:00", "[ipsec]") {
  const config::Variable* table = config::Schema::builtin().find("VPN_CONNECTION");
  CHECK(config::Schema::findColumn(*table, "IKE_LIFETIME")->defaultValue == "12:00:00");
  CHECK(config::Schema::findColumn(*table, "SA_LIFETIME")->defaultValue == "04:00:00");
  CHECK_THAT(loadConn(withConnection("10.0.2.2", {{"IKE_LIFETIME", "01:00:00"}, {"SA_LIFETIME", "00:10:00"}})),
             Catch::Contains("rekey_time=3240s over_time=360s") && Catch::Contains("rekey_time=540s life_time=600s"));
}

TEST_CASE("ISAKMP proposals are IKE proposals, one per row, with all algorithms of a column expanded", "[ipsec]") {
  config::Config config = withConnection("10.0.2.2");
  // The reference's example (7.3.1.4): AES-256 with all hashes and groups.
  addProposal(config, "ISAKMP_PROPOSALS", {{"ENCRYPTION", "AES-256"}, {"HASH", "all"}, {"DH_GROUP", "all"}});
  addProposal(config, "ISAKMP_PROPOSALS", {{"ENCRYPTION", "3DES"}, {"HASH", "SHA-1"}, {"DH_GROUP", "MODP-1024"}});
  Connection c = connectionsOf(config)[0];
  CHECK(c.ikeProposals == std::vector<Proposal>{{"AES-256", "all", "all"}, {"3DES", "SHA-1", "MODP-1024"}});
  CHECK_THAT(loadConn(config),
             Catch::Contains(" remote_addrs=[10.0.2.2] proposals=[aes256-sha256-sha384-sha512-sha1-md5-modp2048-ecp256-"
                             "modp3072-ecp384-modp4096-ecp521-modp6144-modp8192-modp1536-modp1024 3des-sha1-modp1024] "
                             "rekey_time="));
  addProposal(config, "ISAKMP_PROPOSALS", {{"ENCRYPTION", "all"}, {"HASH", "MD5"}, {"DH_GROUP", "ECP-384"}});
  CHECK_THAT(loadConn(config), Catch::Contains(" aes256-aes192-aes128-3des-md5-ecp384] "));
}

TEST_CASE("without proposal rows charon's defaults are used", "[ipsec]") {
  std::string conn = loadConn(withConnection("10.0.2.2"));
  CHECK_THAT(conn, !Catch::Contains("proposals"));
}

TEST_CASE("IPsec proposals are ESP proposals of each tunnel, encryption and hash per row", "[ipsec]") {
  config::Config config = withConnection("10.0.2.2");
  // The reference's example (7.3.1.4): AES-256 with SHA-512, and with SHA-1.
  addProposal(config, "IPSEC_PROPOSALS", {{"ENCRYPTION", "AES-256"}, {"HASH", "SHA-512"}});
  addProposal(config, "IPSEC_PROPOSALS", {{"ENCRYPTION", "AES-256"}, {"HASH", "SHA-1"}});
  CHECK_THAT(loadConn(config), Catch::Contains(" life_time=14400s esp_proposals=[aes256-sha512 aes256-sha1] "
                                               "start_action=start "));
}

TEST_CASE("with PFS the ESP proposals carry the groups of the ISAKMP proposals", "[ipsec]") {
  config::Config config = withConnection("10.0.2.2", {{"PFS", "yes"}});
  // Without rows on either side: every algorithm, every group.
  CHECK_THAT(loadConn(config), Catch::Contains(" esp_proposals=[aes256-aes192-aes128-3des-sha256-sha384-sha512-sha1-md5-"
                                               "modp2048-ecp256-modp3072-ecp384-modp4096-ecp521-modp6144-modp8192-"
                                               "modp1536-modp1024] "));
  addProposal(config, "ISAKMP_PROPOSALS", {{"ENCRYPTION", "AES-256"}, {"HASH", "SHA-256"}, {"DH_GROUP", "MODP-2048"}});
  addProposal(config, "ISAKMP_PROPOSALS", {{"ENCRYPTION", "AES-128"}, {"HASH", "SHA-256"}, {"DH_GROUP", "MODP-2048"}});
  addProposal(config, "ISAKMP_PROPOSALS", {{"ENCRYPTION", "AES-128"}, {"HASH", "SHA-1"}, {"DH_GROUP", "MODP-1536"}});
  addProposal(config, "IPSEC_PROPOSALS", {{"ENCRYPTION", "AES-128"}, {"HASH", "SHA-256"}});
  CHECK_THAT(loadConn(config), Catch::Contains(" esp_proposals=[aes128-sha256-modp2048-modp1536] "));
}

TEST_CASE("every algorithm the schema offers has a charon keyword", "[ipsec]") {
  const config::Variable* table = config::Schema::builtin().find("VPN_CONNECTION");
  const config::Variable* isakmp = config::Schema::findColumn(*table, "ISAKMP_PROPOSALS");
  const config::Variable* ipsec = config::Schema::findColumn(*table, "IPSEC_PROPOSALS");
  // One keyword for each part of a proposal of single algorithms: two dashes.
  auto dashes = [](const Proposal& p) {
    Connection c = connectionsOf(withConnection("10.0.2.2"))[0];
    c.ikeProposals = {p};
    vici::Message message = loadConnMessage(c);
    const std::vector<std::string>* list = message.section("MAIv000000001")->list("proposals");
    REQUIRE(list);
    return std::count(list->at(0).begin(), list->at(0).end(), '-');
  };
  for (std::string_view column : {"ENCRYPTION", "HASH", "DH_GROUP"}) {
    for (std::string_view choice : config::Schema::findColumn(*isakmp, column)->choices) {
      if (choice == "all") continue;
      Proposal p{"AES-128", "SHA-1", "MODP-2048"};
      (column == "ENCRYPTION" ? p.encryption : column == "HASH" ? p.hash : p.dhGroup) = std::string(choice);
      CAPTURE(column, choice);
      CHECK(dashes(p) == 2);
    }
  }
  // The IPsec table offers the same encryptions and hashes.
  for (std::string_view column : {"ENCRYPTION", "HASH"}) {
    auto a = config::Schema::findColumn(*isakmp, column)->choices;
    auto b = config::Schema::findColumn(*ipsec, column)->choices;
    CHECK(std::equal(a.begin(), a.end(), b.begin(), b.end()));
  }
}

TEST_CASE("an algorithm the schema does not list is refused", "[ipsec]") {
  const config::Schema& schema = config::Schema::builtin();
  config::Config config = withConnection("10.0.2.2");
  addProposal(config, "ISAKMP_PROPOSALS", {});
  addProposal(config, "IPSEC_PROPOSALS", {});
  CHECK_FALSE(config::setScalar(schema, config, "VPN_CONNECTION:0.ISAKMP_PROPOSALS:0.ENCRYPTION", "Blowfish"));
  CHECK_FALSE(config::setScalar(schema, config, "VPN_CONNECTION:0.ISAKMP_PROPOSALS:0.DH_GROUP", "MODP-768"));
  CHECK_FALSE(config::setScalar(schema, config, "VPN_CONNECTION:0.IPSEC_PROPOSALS:0.HASH", "sha256"));
  CHECK_FALSE(config::setScalar(schema, config, "VPN_CONNECTION:0.IKE_VERSION", "3"));
  CHECK_FALSE(config::setScalar(schema, config, "VPN_CONNECTION:0.CONNECTION_STARTUP", "now"));
  CHECK(config::setScalar(schema, config, "VPN_CONNECTION:0.IPSEC_PROPOSALS:0.HASH", "SHA-384"));
}

TEST_CASE("strongswan.conf loads only the plugins needed, with user-space ESP when the kernel has none", "[ipsec]") {
  std::string conf = strongswanConf({"/run/bulwark/charon.vici", false});
  CHECK_THAT(conf, Catch::Contains("  load = random nonce openssl kdf pem pkcs1 pkcs8 x509 pubkey revocation "
                                   "constraints attr socket-default kernel-libipsec kernel-netlink vici\n"));
  CHECK_THAT(conf, Catch::Contains("      socket = unix:///run/bulwark/charon.vici\n"));
  CHECK_THAT(conf, Catch::Contains("  filelog {\n    stderr {\n      default = 1\n"));
  CHECK_THAT(strongswanConf({"/run/bulwark/charon.vici", true}),
             Catch::Contains("constraints attr socket-default kernel-netlink vici\n"));
}

TEST_CASE("ESP is there when esp4 is loaded, built in or loadable", "[ipsec]") {
  test::TempDir root;
  auto write = [&](const std::string& path, const std::string& text) {
    std::filesystem::create_directories((root / path).parent_path());
    std::ofstream(root / path) << text;
  };
  CHECK_FALSE(kernelHasEsp(root.path(), "6.1.0-1-amd64"));
  write("proc/modules", "xfrm_user 53248 0 - Live 0x0\n");
  write("lib/modules/6.1.0-1-amd64/modules.builtin", "kernel/net/ipv4/ah4.ko\n");
  write("lib/modules/6.1.0-1-amd64/modules.dep", "kernel/net/ipv4/esp4_offload.ko: kernel/net/ipv4/esp4.ko\n");
  CHECK_FALSE(kernelHasEsp(root.path(), "6.1.0-1-amd64"));
  write("lib/modules/6.1.0-1-amd64/modules.dep", "kernel/net/ipv4/esp4.ko.xz: kernel/net/xfrm/xfrm_algo.ko.xz\n");
  CHECK(kernelHasEsp(root.path(), "6.1.0-1-amd64"));
  CHECK_FALSE(kernelHasEsp(root.path(), "6.2.0"));
  write("proc/modules", "esp4 24576 0 - Live 0x0\n");
  CHECK(kernelHasEsp(root.path(), "6.2.0"));
}

TEST_CASE("a mode configuration server hands out addresses of its pool to the networks it names", "[ipsec]") {
  const config::Schema& schema = config::Schema::builtin();
  config::Config config = withConnection("%any");
  for (auto [path, value] : {std::pair{"MODECFG", "server"}, {"MODECFG_LOCAL_NET", "172.16.100.0/24"},
                             {"MODECFG_REMOTE_POOL", "172.16.101.0/24"}}) {
    REQUIRE(config::setScalar(schema, config, std::string("VPN_CONNECTION:0.") + path, value));
  }
  REQUIRE(config::validate(schema, config));
  Connection c = connectionsOf(config)[0];
  CHECK(c.modeConfig == ModeConfig{true, {"172.16.100.0/24"}, "172.16.101.0/24", 32});
  // Its own tunnel instead of the TUNNEL rows: to the peer's address from the pool.
  CHECK(c.tunnels == std::vector<Tunnel>{{"MAIv000000001-modecfg", "172.16.100.0/24", "172.16.101.0/24"}});
  CHECK(unsupportedReason(c).empty());
  CHECK(vici::toText(loadPoolMessage(c)) == "{MAIv000000001 {addrs=172.16.101.0/24}}");
  CHECK(vici::toText(loadConnMessage(c)) ==
        "{MAIv000000001 {version=2 pools=[MAIv000000001] rekey_time=38880s over_time=4320s dpd_delay=30s "
        "keyingtries=1 local {auth=psk} remote {auth=psk} children {MAIv000000001-modecfg "
        "{local_ts=[172.16.100.0/24] remote_ts=[dynamic] rekey_time=12960s life_time=14400s start_action=none "
        "dpd_action=clear}}}}");

  // The local networks from the table.
  config::Config table = config;
  REQUIRE(config::setScalar(schema, table, "VPN_CONNECTION:0.MODECFG_LOCAL", "table"));
  CHECK(unsupportedReason(connectionsOf(table)[0]) == "MODECFG_LOCAL is table but MODECFG_LOCAL_NETS has no network");
  const config::Variable* nets =
      config::Schema::findColumn(*config::Schema::builtin().find("VPN_CONNECTION"), "MODECFG_LOCAL_NETS");
  for (auto [id, net] : {std::pair{"MAIv000000003", "172.16.100.0/24"}, {"MAIv000000004", "10.1.0.0/16"}}) {
    config::Row row = config::defaultRow(*nets, id);
    row.fields["NETWORK"].text = net;
    table.values["VPN_CONNECTION"].rows[0].fields["MODECFG_LOCAL_NETS"].rows.push_back(row);
  }
  REQUIRE(config::validate(schema, table));
  c = connectionsOf(table)[0];
  CHECK(c.modeConfig.localNets == std::vector<std::string>{"172.16.100.0/24", "10.1.0.0/16"});
  CHECK(c.tunnels.at(0).localNet == "172.16.100.0/24,10.1.0.0/16");
  CHECK_THAT(vici::toText(loadConnMessage(c)), Catch::Contains("local_ts=[172.16.100.0/24 10.1.0.0/16]"));

  // charon gives single addresses: other tranche sizes are not served.
  REQUIRE(config::setScalar(schema, config, "VPN_CONNECTION:0.MODECFG_REMOTE_TRANCHE", "28"));
  CHECK(unsupportedReason(connectionsOf(config)[0]) ==
        "MODECFG_REMOTE_TRANCHE is 28: charon gives each peer one address, so only tranches of size 32 are served");
  // ... and the change is refused, as is a server that would initiate.
  CHECK_THAT(configurationError(connectionsOf(config)), Catch::Contains("MODECFG_REMOTE_TRANCHE is 28"));
  REQUIRE(config::setScalar(schema, config, "VPN_CONNECTION:0.MODECFG_REMOTE_TRANCHE", "32"));
  CHECK(configurationError(connectionsOf(config)).empty());
  REQUIRE(config::setScalar(schema, config, "VPN_CONNECTION:0.REMOTE_GATEWAY", "10.0.2.2"));
  REQUIRE(config::setScalar(schema, config, "VPN_CONNECTION:0.CONNECTION_STARTUP", "initiate"));
  CHECK_THAT(configurationError(connectionsOf(config)),
             Catch::Contains("MODECFG is server, which waits for the peer to start: CONNECTION_STARTUP must be wait"));
}
