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

config::Config withConnection(const std::string& gateway) {
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
  REQUIRE(config::validate(schema, c));
  return c;
}

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
  CHECK(c.initiates());
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
}
