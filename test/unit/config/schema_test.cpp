#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "config/schema.hpp"

using namespace bulwark::config;

namespace {
const Variable& var(std::string_view name) {
  const Variable* v = Schema::builtin().find(name);
  REQUIRE(v != nullptr);
  return *v;
}
bool ok(std::string_view name, std::string_view value) { return !checkScalar(var(name), value).has_value(); }
}  // namespace

TEST_CASE("every variable the reference names is in the schema", "[schema]") {
  for (auto name : {"WWW_LANGUAGE", "WWW_LEVEL", "WWW_TIMEOUT", "TLS_MIN_VERSION", "HTTPS_SERVER_CERT_REF",
                    "LOGGING_MAX_DAYS", "PASSWORD_CHECK", "ROUTER_MODE_LINK", "EMAIL_RELAY_TLS",
                    "SSH_ADMIN_LOGIN_ALLOWED_MAX", "SSH_NETADMIN_LOGIN_ALLOWED_MAX", "SSH_AUDIT_LOGIN_ALLOWED_MAX",
                    "NTP_SERVERS", "USERFW_TEMPLATE", "VPN_CONNECTION", "OPENVPN_CONNECTION", "PSM_REPOSITORIES",
                    "MODBUS_RULESETS", "IP_CONNTRACK_OPC", "IP_CONNTRACK_OPC_SANITY", "IP_CONNTRACK_OPC_TIMEOUT",
                    "MIRROR_RECEIVER", "SWITCHPORT", "MULTICAST_GROUP", "QOS_INGRESS_LOCAL_ENABLE",
                    "VPN_UNIQUE_IDS", "VPN_XFRM4_GC_THRESH", "NAT_MASQUERADING", "ROUTER_MODE", "NETWORK_MODE"}) {
    INFO(name);
    CHECK(Schema::builtin().find(name) != nullptr);
  }
  const Variable& tpl = var("USERFW_TEMPLATE");
  const Variable* rule = Schema::findColumn(tpl, "TEMPLATE_RULE");
  REQUIRE(rule);
  CHECK(rule->kind == Kind::Table);
  CHECK(Schema::findColumn(*rule, "DST_IP"));
  CHECK(Schema::findColumn(tpl, "TEMPLATE_USERS"));
  CHECK(Schema::findColumn(var("OPENVPN_CONNECTION"), "VPN_ENCRYPTION"));
  CHECK(Schema::findColumn(var("OPENVPN_CONNECTION"), "VPN_AUTH_HMAC"));
  CHECK(Schema::findColumn(var("PSM_REPOSITORIES"), "REMOTE_CERT_REF"));
}

TEST_CASE("every variable has help, a menu, an owner and a valid default", "[schema]") {
  std::function<void(const Variable&)> check = [&](const Variable& v) {
    INFO(v.name);
    CHECK(!v.help.empty());
    CHECK(v.menu.find(" >> ") != std::string_view::npos);
    CHECK(!v.module.empty());
    if (v.kind == Kind::Table) {
      CHECK(!v.columns.empty());
      for (const Variable& c : v.columns) check(c);
    } else if (v.kind == Kind::String && v.min > 0 && v.defaultValue.empty()) {
      // a required name: a new row must be given one
      CHECK(checkScalar(v, v.defaultValue).has_value());
    } else if (v.kind != Kind::RowRef) {
      CHECK_FALSE(checkScalar(v, v.defaultValue).has_value());
    }
  };
  for (const Variable& v : Schema::builtin().variables()) check(v);
}

TEST_CASE("defaults follow the reference", "[schema]") {
  CHECK(var("WWW_TIMEOUT").defaultValue == "1800");
  CHECK(var("TLS_MIN_VERSION").defaultValue == "1.2");
  CHECK(var("EMAIL_RELAY_TLS").defaultValue == "tls");
  CHECK(var("PASSWORD_CHECK").defaultValue == "supervise");
  CHECK(var("NETWORK_MODE").defaultValue == "router");
  CHECK(var("ROUTER_MODE").defaultValue == "dhcp");
  CHECK(Schema::findColumn(var("OPENVPN_CONNECTION"), "VPN_ENCRYPTION")->defaultValue == "AES-256-GCM");
  CHECK(Schema::findColumn(var("OPENVPN_CONNECTION"), "VPN_AUTH_HMAC")->defaultValue == "SHA-256");
}

TEST_CASE("integers are checked against their range and canonical form", "[schema]") {
  CHECK(ok("WWW_TIMEOUT", "1800"));
  CHECK(ok("WWW_TIMEOUT", "30"));
  CHECK_FALSE(ok("WWW_TIMEOUT", "29"));
  CHECK_FALSE(ok("WWW_TIMEOUT", "86401"));
  CHECK_FALSE(ok("WWW_TIMEOUT", "01800"));
  CHECK_FALSE(ok("WWW_TIMEOUT", "+1800"));
  CHECK_FALSE(ok("WWW_TIMEOUT", "18 00"));
  CHECK_FALSE(ok("WWW_TIMEOUT", ""));
  CHECK_FALSE(ok("WWW_TIMEOUT", "99999999999999999999999"));
  CHECK(ok("SSH_ADMIN_LOGIN_ALLOWED_MAX", "10"));
  CHECK_FALSE(ok("SSH_ADMIN_LOGIN_ALLOWED_MAX", "11"));
  CHECK(*checkScalar(var("WWW_TIMEOUT"), "x") == "The value must be an integer from 30 to 86400.");
}

TEST_CASE("yes/no, enums and unsupported values are checked", "[schema]") {
  CHECK(ok("ROUTER_MODE_LINK", "yes"));
  CHECK(ok("ROUTER_MODE_LINK", "no"));
  CHECK_FALSE(ok("ROUTER_MODE_LINK", "Yes"));
  CHECK(ok("WWW_LANGUAGE", "de"));
  CHECK_FALSE(ok("WWW_LANGUAGE", "fr"));
  CHECK(*checkScalar(var("WWW_LANGUAGE"), "fr") == "The value must be one of \"de\", \"en\".");
  CHECK(*checkScalar(var("QOS_INGRESS_LOCAL_ENABLE"), "yes") ==
        "The value is not supported due to hardware restrictions.");
  CHECK(ok("QOS_INGRESS_LOCAL_ENABLE", "no"));
  CHECK(*checkScalar(var("ROUTER_MODE"), "pppoe") == "The value is not supported due to hardware restrictions.");
}

TEST_CASE("addresses, networks and ports are checked", "[schema]") {
  CHECK(ok("DHCP_INT_DNS", "10.0.0.1"));
  CHECK(ok("DHCP_INT_DNS", ""));  // optional
  CHECK_FALSE(ok("DHCP_INT_DNS", "10.0.0.256"));
  CHECK_FALSE(ok("DHCP_INT_DNS", "10.0.0"));
  CHECK_FALSE(ok("DHCP_INT_DNS", "010.0.0.1"));
  const Variable& dst = *Schema::findColumn(var("FW_INCOMING"), "DST_IP");
  CHECK_FALSE(checkScalar(dst, "0.0.0.0/0"));
  CHECK_FALSE(checkScalar(dst, "192.168.1.0/24"));
  CHECK(checkScalar(dst, "192.168.1.0/33"));
  CHECK(checkScalar(dst, "192.168.1.0"));
  CHECK(checkScalar(dst, ""));
  const Variable& port = *Schema::findColumn(var("FW_INCOMING"), "DST_PORT");
  CHECK_FALSE(checkScalar(port, "any"));
  CHECK_FALSE(checkScalar(port, "443"));
  CHECK_FALSE(checkScalar(port, "1024:65535"));
  CHECK(checkScalar(port, "0"));
  CHECK(checkScalar(port, "65536"));
  CHECK(checkScalar(port, "200:100"));
  CHECK(checkScalar(port, "http"));
}

TEST_CASE("durations are hh:mm:ss within their range", "[schema]") {
  constexpr Variable d{.name = "D", .kind = Kind::Duration, .min = 60, .max = 86400};
  CHECK_FALSE(checkScalar(d, "00:01:00"));
  CHECK_FALSE(checkScalar(d, "24:00:00"));
  CHECK(checkScalar(d, "24:00:01"));
  CHECK(checkScalar(d, "00:00:59"));
  CHECK(checkScalar(d, "00:60:00"));
  CHECK(checkScalar(d, "1:00:00"));
  CHECK(checkScalar(d, "01:00"));
  CHECK(*checkScalar(d, "x") == "The value must be a duration hh:mm:ss from 00:01:00 to 24:00:00.");
}

TEST_CASE("strings refuse control characters and respect their length", "[schema]") {
  CHECK(ok("HOSTNAME", "gw-01"));
  CHECK_FALSE(ok("HOSTNAME", ""));
  CHECK_FALSE(ok("HOSTNAME", "a\tb"));
  CHECK_FALSE(ok("HOSTNAME", std::string(64, 'a')));
  CHECK(ok("HOSTNAME", std::string(63, 'a')));
}

TEST_CASE("passwords must be stored as crypt hashes", "[schema]") {
  CHECK(ok("WWW_PASSWORD_RAW", var("WWW_PASSWORD_RAW").defaultValue));
  CHECK_FALSE(ok("WWW_PASSWORD_RAW", "mGuard"));
  CHECK_FALSE(ok("WWW_PASSWORD_RAW", ""));
}

TEST_CASE("row references take a row id or a special value", "[schema]") {
  CHECK(ok("HTTPS_SERVER_CERT_REF", ""));
  CHECK(ok("HTTPS_SERVER_CERT_REF", "MAIv123"));
  CHECK_FALSE(ok("HTTPS_SERVER_CERT_REF", "web-cert"));
  const Variable& ref = *Schema::findColumn(var("PSM_REPOSITORIES"), "REMOTE_CERT_REF");
  CHECK_FALSE(checkScalar(ref, "ignore"));
  CHECK(isRowId("MAIv711498711"));
  CHECK_FALSE(isRowId("MAIv"));
  CHECK_FALSE(isRowId("MAIx1"));
  CHECK_FALSE(isRowId("MAIv12a"));
}

TEST_CASE("only well-formed crypt hashes count as password hashes", "[schema]") {
  CHECK(isPasswordHash(var("WWW_PASSWORD_RAW").defaultValue));
  CHECK(isPasswordHash("$y$j9T$8Ol66ISGoKfq2hKQC2iwc.$EG77hxXDurw2T9lLbluIDDQOLu8l5GECGmcU8K0S792"));
  CHECK(isPasswordHash("$6$rounds=5000$salt$" + std::string(86, 'a')));
  CHECK(isPasswordHash("$5$salt$" + std::string(43, 'a')));
  CHECK(isPasswordHash("$2b$10$" + std::string(53, 'a')));
  CHECK_FALSE(isPasswordHash("$my$pass$word1"));
  CHECK_FALSE(isPasswordHash("$6$salt$short"));
  CHECK_FALSE(isPasswordHash("$6$saltsaltsaltsalt1$" + std::string(86, 'a')));  // salt over 16
  CHECK_FALSE(isPasswordHash("$y$j9T$salt$" + std::string(42, 'a')));
  CHECK_FALSE(isPasswordHash("$y$j9T$salt$" + std::string(43, '!')));
  CHECK_FALSE(isPasswordHash("$1$salt$hash"));  // MD5-crypt: not accepted
  CHECK_FALSE(isPasswordHash("plain"));
  CHECK_FALSE(isPasswordHash(""));
}
