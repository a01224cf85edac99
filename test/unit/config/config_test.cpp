#include <catch2/catch.hpp>

#include <set>

#include "config/config.hpp"

using namespace bulwark::config;
using bulwark::Status;

namespace {
const Schema& schema() { return Schema::builtin(); }
}  // namespace

TEST_CASE("the factory default is complete and valid", "[config]") {
  Config c = factoryDefault(schema());
  CHECK(validate(schema(), c));
  CHECK(c.get("WWW_TIMEOUT") == "1800");
  CHECK(c.get("NETWORK_MODE") == "router");
  CHECK(c.get("ROUTER_MODE") == "dhcp");
  const Value* masq = c.find("NAT_MASQUERADING");
  REQUIRE(masq);
  REQUIRE(masq->rows.size() == 1);
  CHECK(masq->rows[0].fields.at("INTERFACE").text == "external");
  CHECK(masq->rows[0].fields.at("FROM_IP").text == "0.0.0.0/0");
  CHECK(c.find("INT_ADDRESSES")->rows.at(0).fields.at("ADDRESS").text == "192.168.1.1/24");
  CHECK(factoryDefault(schema()) == c);
}

TEST_CASE("validation names the path and the reason", "[config]") {
  Config c = factoryDefault(schema());
  c.values["WWW_TIMEOUT"].text = "abc";
  std::string path;
  Status s = validate(schema(), c, &path);
  CHECK_FALSE(s);
  CHECK(s.message() == "Error for WWW_TIMEOUT=\"abc\": The value must be an integer from 30 to 86400.");
  CHECK(path == "WWW_TIMEOUT");

  c = factoryDefault(schema());
  c.values["QOS_INGRESS_LOCAL_ENABLE"].text = "yes";
  CHECK(validate(schema(), c).message() ==
        "Error for QOS_INGRESS_LOCAL_ENABLE=\"yes\": The value is not supported due to hardware restrictions.");

  c = factoryDefault(schema());
  c.values["NO_SUCH_THING"] = Value::scalar("1");
  CHECK(validate(schema(), c).message() == "Error for NO_SUCH_THING=\"1\": Unknown variable.");

  c = factoryDefault(schema());
  c.values.erase("HOSTNAME");
  CHECK(validate(schema(), c).message() == "Error for HOSTNAME: The variable is missing.");
}

TEST_CASE("row ids must be unique and references must point at an existing row", "[config]") {
  Config c = factoryDefault(schema());
  const Variable& certs = *schema().find("MACHINE_CERTIFICATES");
  Row cert = defaultRow(certs, "MAIv555");
  cert.fields["SHORT_NAME"].text = "web";
  c.values["MACHINE_CERTIFICATES"].rows.push_back(cert);
  c.values["HTTPS_SERVER_CERT_REF"].text = "MAIv555";
  CHECK(validate(schema(), c));

  c.values["HTTPS_SERVER_CERT_REF"].text = "MAIv556";
  CHECK(validate(schema(), c).message() ==
        "Error for HTTPS_SERVER_CERT_REF=\"MAIv556\": No MACHINE_CERTIFICATES row has this row id.");

  // A row id of another table is no match either.
  c.values["HTTPS_SERVER_CERT_REF"].text = "MAIv100000001";  // an NTP_SERVERS row
  CHECK_FALSE(validate(schema(), c));

  c.values["HTTPS_SERVER_CERT_REF"].text = "";
  c.values["MACHINE_CERTIFICATES"].rows.push_back(cert);
  CHECK(validate(schema(), c).message() ==
        "Error for MACHINE_CERTIFICATES:1=\"MAIv555\": The row id is used twice.");
}

TEST_CASE("paths address nested table cells", "[config]") {
  auto steps = parsePath("USERFW_TEMPLATE:0.TEMPLATE_RULE:12.DST_IP");
  REQUIRE(steps);
  REQUIRE(steps->size() == 3);
  CHECK((*steps)[1].name == "TEMPLATE_RULE");
  CHECK(*(*steps)[1].index == 12);
  CHECK_FALSE((*steps)[2].index);
  CHECK_FALSE(parsePath("A.B"));
  CHECK_FALSE(parsePath("A:x.B"));
  CHECK_FALSE(parsePath("a"));
  CHECK_FALSE(parsePath(""));
  CHECK_FALSE(parsePath("A:1."));

  Config c = factoryDefault(schema());
  REQUIRE(setScalar(schema(), c, "NTP_SERVERS:0.NTP_SERVER", "ntp.example.org"));
  CHECK(c.find("NTP_SERVERS")->rows[0].fields.at("NTP_SERVER").text == "ntp.example.org");
  CHECK(setScalar(schema(), c, "NTP_SERVERS:1.NTP_SERVER", "x").message() == "NTP_SERVERS has no row 1 (it has 1).");
  CHECK_FALSE(setScalar(schema(), c, "NTP_SERVERS", "x"));
  Config before = c;
  CHECK(setScalar(schema(), c, "WWW_TIMEOUT", "5").message() ==
        "Error for WWW_TIMEOUT=\"5\": The value must be an integer from 30 to 86400.");
  CHECK(c == before);

  auto r = resolve(schema(), c, "NTP_SERVERS:0");
  REQUIRE(r);
  REQUIRE(r->row);
  CHECK(r->row->id == "MAIv100000001");
}

TEST_CASE("the change log reads like reference 4.3.3", "[config]") {
  Config before = factoryDefault(schema());
  before.values["NTP_SERVERS"].rows.clear();
  Config after = before;
  const Variable& ntp = *schema().find("NTP_SERVERS");
  Row a = defaultRow(ntp, "MAIv1");
  a.fields["NTP_SERVER"].text = "pool.ntp.org";
  Row b = defaultRow(ntp, "MAIv2");
  b.fields["NTP_SERVER"].text = "pool.ntp.net";
  after.values["NTP_SERVERS"].rows = {a, b};
  auto lines = changeLogLines(diff(schema(), before, after));
  std::vector<std::string> expected = {
      "NTP_SERVERS new row 0",
      "NTP_SERVERS:0.NTP_SERVER set to 'pool.ntp.org'",
      "NTP_SERVERS:0.PREFER_VPN set to 'no'",
      "NTP_SERVERS new row 1",
      "NTP_SERVERS:1.NTP_SERVER set to 'pool.ntp.net'",
      "NTP_SERVERS:1.PREFER_VPN set to 'no'",
  };
  CHECK(lines == expected);
}

TEST_CASE("a new user firewall template logs every nested cell sorted, as reference 4.3.6", "[config]") {
  Config before = factoryDefault(schema());
  Config after = before;
  const Variable& tpl = *schema().find("USERFW_TEMPLATE");
  Row row = defaultRow(tpl, "MAIv10");
  row.fields["TEMPLATE_NAME"].text = "Firewall-User-01";
  row.fields["TEMPLATE_RULE"].rows.push_back(defaultRow(*Schema::findColumn(tpl, "TEMPLATE_RULE"), "MAIv11"));
  Row user = defaultRow(*Schema::findColumn(tpl, "TEMPLATE_USERS"), "MAIv12");
  user.fields["USERNAME"].text = "Technician_01";
  row.fields["TEMPLATE_USERS"].rows.push_back(user);
  after.values["USERFW_TEMPLATE"].rows.push_back(row);
  std::vector<std::string> expected = {
      "USERFW_TEMPLATE new row 0",
      "USERFW_TEMPLATE:0.TEMPLATE_COMMENT set to ''",
      "USERFW_TEMPLATE:0.TEMPLATE_ENABLED set to 'yes'",
      "USERFW_TEMPLATE:0.TEMPLATE_NAME set to 'Firewall-User-01'",
      "USERFW_TEMPLATE:0.TEMPLATE_RULE:0.COMMENT set to ''",
      "USERFW_TEMPLATE:0.TEMPLATE_RULE:0.DST_IP set to '0.0.0.0/0'",
      "USERFW_TEMPLATE:0.TEMPLATE_RULE:0.DST_PORT set to 'any'",
      "USERFW_TEMPLATE:0.TEMPLATE_RULE:0.LOG set to 'no'",
      "USERFW_TEMPLATE:0.TEMPLATE_RULE:0.PROTO set to 'all'",
      "USERFW_TEMPLATE:0.TEMPLATE_RULE:0.SRC_PORT set to 'any'",
      "USERFW_TEMPLATE:0.TEMPLATE_SRC_IP set to '%authorized_ip'",
      "USERFW_TEMPLATE:0.TEMPLATE_TIMEOUT set to '28800'",
      "USERFW_TEMPLATE:0.TEMPLATE_TOUT_TYPE set to 'static'",
      "USERFW_TEMPLATE:0.TEMPLATE_USERS:0.USERNAME set to 'Technician_01'",
      "USERFW_TEMPLATE:0.VPN_CONN_REF set to ''",
  };
  CHECK(changeLogLines(diff(schema(), before, after)) == expected);
}

TEST_CASE("password values are masked in the change log", "[config]") {
  Config before = factoryDefault(schema());
  Config after = before;
  after.values["WWW_PASSWORD_RAW"].text = "$6$abcdefgh$0123456789";
  CHECK(changeLogLines(diff(schema(), before, after)) == std::vector<std::string>{"WWW_PASSWORD_RAW set to '******'"});
}

TEST_CASE("secret values are masked in the change log and left out of snapshots", "[config]") {
  Config before = factoryDefault(schema());
  before.values["VPN_CONNECTION"].rows.push_back(defaultRow(*schema().find("VPN_CONNECTION"), "MAIv000000001"));
  Config after = before;
  REQUIRE(setScalar(schema(), before, "VPN_CONNECTION:0.VPN_NAME", "plant"));
  after = before;
  REQUIRE(setScalar(schema(), after, "VPN_CONNECTION:0.PSK", "the key"));
  CHECK(validate(schema(), after));
  CHECK(changeLogLines(diff(schema(), before, after)) ==
        std::vector<std::string>{"VPN_CONNECTION:0.PSK set to '******'"});
  CHECK(compareLines(diff(schema(), before, after)) ==
        std::vector<std::string>{"VPN_CONNECTION:0.PSK: '******' -> '******'"});
  CHECK(withoutSecrets(schema(), after).find("VPN_CONNECTION")->rows.at(0).fields.at("PSK").text.empty());
  CHECK(after.find("VPN_CONNECTION")->rows.at(0).fields.at("PSK").text == "the key");
  CHECK_FALSE(setScalar(schema(), after, "VPN_CONNECTION:0.PSK", "line\nbreak"));
}

TEST_CASE("deleted, moved and edited rows are told apart by row id", "[config]") {
  Config before = factoryDefault(schema());
  const Variable& fw = *schema().find("FW_INCOMING");
  auto& rows = before.values["FW_INCOMING"].rows;
  for (int i = 0; i < 4; ++i) rows.push_back(defaultRow(fw, "MAIv" + std::to_string(20 + i)));
  Config after = before;
  auto& r = after.values["FW_INCOMING"].rows;
  // delete row 0; swap the remaining first two; edit the last
  r.erase(r.begin());
  std::swap(r[0], r[1]);
  r[2].fields["DST_PORT"].text = "22";
  Diff d = diff(schema(), before, after);
  CHECK(changeLogLines(d) == std::vector<std::string>{
                                 "FW_INCOMING delete row 0",
                                 "FW_INCOMING move row 2 to 0",
                                 "FW_INCOMING move row 1 to 1",
                                 "FW_INCOMING:2.DST_PORT set to '22'",
                             });
  CHECK(d.touches("FW_INCOMING"));
  CHECK_FALSE(d.touches("FW_OUTGOING"));
  CHECK_FALSE(d.touches("FW_INCOMING_LOG_DEFAULT"));
  CHECK(diff(schema(), before, before).empty());
}

TEST_CASE("fresh row ids are well-formed and never one already taken", "[config]") {
  RowIdGenerator ids(42);
  std::set<std::string> used;
  for (int i = 0; i < 1000; ++i) {
    std::string id = ids.next(used);
    CHECK(isRowId(id));
  }
  CHECK(used.size() == 1000);
  // The same seed makes the same sequence: with all of it taken, the ids differ.
  RowIdGenerator again(42);
  std::set<std::string> taken = used;
  for (int i = 0; i < 1000; ++i) CHECK_FALSE(used.contains(again.next(taken)));
}
