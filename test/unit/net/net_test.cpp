#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "common/ipv4.hpp"
#include "net/net_module.hpp"

using namespace bulwark;

TEST_CASE("the DHCP server's configuration from the factory default", "[net]") {
  config::Config c = config::factoryDefault(config::Schema::builtin());
  CHECK(net::udhcpdConfig(c, "eth1", "/run/bulwark") ==
        "interface eth1\n"
        "start 192.168.1.100\nend 192.168.1.199\nmax_leases 100\n"
        "option subnet 255.255.255.0\noption router 192.168.1.1\n"
        "option dns 192.168.1.1\n"
        "option lease 14400\nlease_file /run/bulwark/udhcpd-int.leases\npidfile /run/bulwark/udhcpd-int.pid\n");
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "INT_ADDRESSES:0.ADDRESS", "10.1.0.1/16"));
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "DHCP_INT_DNS", ""));
  auto text = net::udhcpdConfig(c, "eth1", "/run/bulwark");
  CHECK(text.find("option subnet 255.255.0.0\noption router 10.1.0.1\n") != std::string::npos);
  CHECK(text.find("option dns") == std::string::npos);
}

TEST_CASE("the name server of the internal network", "[net]") {
  CHECK(net::dnsmasqConfig("192.168.1.1/24", "/run/bulwark") ==
        "listen-address=192.168.1.1\nbind-interfaces\nport=53\nresolv-file=/run/bulwark/resolv.conf\n"
        "cache-size=1000\ndomain-needed\nbogus-priv\nno-hosts\npid-file=\nuser=nobody\ngroup=nogroup\n");
  CHECK(net::resolvConf({"10.0.2.3", "10.0.2.4"}) ==
        "# written by bulwark: DNS_MODE, DNS_SERVERS or the DHCP lease\nnameserver 10.0.2.3\nnameserver 10.0.2.4\n");
}

TEST_CASE("IPv4 addresses and networks", "[net]") {
  auto p = parseIpv4Prefix("192.168.1.1/24");
  REQUIRE(p);
  CHECK(p->address == 0xc0a80101);
  CHECK(p->network() == 0xc0a80100);
  CHECK(ipv4Text(p->mask()) == "255.255.255.0");
  CHECK(p->contains(*parseIpv4("192.168.1.254")));
  CHECK_FALSE(p->contains(*parseIpv4("192.168.2.1")));
  CHECK(parseIpv4Prefix("10.0.0.1")->length == 32);
  CHECK(parseIpv4Prefix("0.0.0.0/0")->contains(*parseIpv4("8.8.8.8")));
  CHECK(parseIpv4Prefix("192.168.1.300/24").error() == "'192.168.1.300/24' is not an address");
  CHECK(parseIpv4Prefix("10.0.0.1/33").error() == "'10.0.0.1/33' has no valid prefix length");
  CHECK_FALSE(parseIpv4Prefix("10.0.0.1/"));
  CHECK_FALSE(parseIpv4Prefix("10.0.0.1/2x"));
  CHECK_FALSE(parseIpv4(""));
}

TEST_CASE("DMZ networks that overlap an internal network are refused", "[net]") {
  config::Config c = config::factoryDefault(config::Schema::builtin());
  CHECK(c.find("DMZ_ADDRESSES")->rows.at(0).fields.at("ADDRESS").text == "192.168.3.1/24");
  CHECK(net::checkDmzNetworks(c));
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "DMZ_ADDRESSES:0.ADDRESS", "192.168.1.200/25"));
  CHECK(net::checkDmzNetworks(c).message() ==
        "DMZ_ADDRESSES 192.168.1.200/25 overlaps INT_ADDRESSES 192.168.1.1/24: the DMZ needs a network of its own");
  // The larger one around the smaller counts too.
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "DMZ_ADDRESSES:0.ADDRESS", "192.168.0.1/16"));
  CHECK_FALSE(net::checkDmzNetworks(c));
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "DMZ_ADDRESSES:0.ADDRESS", "192.168.2.1/24"));
  CHECK(net::checkDmzNetworks(c));
}
