#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>

#include "config/atv.hpp"

using namespace bulwark::config;

namespace {
const Schema& schema() { return Schema::builtin(); }

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(BULWARK_FIXTURES) + "/atv/" + name, std::ios::binary);
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string importError(std::string_view text) {
  RowIdGenerator ids(1);
  auto r = importProfile(schema(), text, factoryDefault(schema()), ids);
  REQUIRE_FALSE(r);
  return r.error();
}

Config imported(std::string_view text, std::vector<std::string>* notes = nullptr) {
  RowIdGenerator ids(1);
  auto r = importProfile(schema(), text, factoryDefault(schema()), ids, notes);
  INFO((r.isOk() ? std::string() : r.error()));
  REQUIRE(r);
  return *r;
}

constexpr std::string_view kTrailer = "// End of configuration profile\n";
}  // namespace

TEST_CASE("the signed profile fragment of reference 3.3.3 parses, signature kept verbatim", "[atv]") {
  std::string text = fixture("reference-3.3.3.atv");
  auto doc = parseAtv(text);
  REQUIRE(doc);
  CHECK(doc->header == std::vector<std::string>{"// Fragment of the signed profile printed in reference 3.3.3"});
  REQUIRE(doc->entries.size() == 5);
  CHECK(doc->entries[2].name == "WWW_LANGUAGE");
  CHECK(doc->entries[2].text == "de");
  CHECK(doc->entries[4].pos.line == 6);
  REQUIRE(doc->signature.size() == 29);
  CHECK(doc->signature.front() == "#sig MIIFcwYJKoZIhvcNAQcCoIIFZDCCBWACAQExDTALBglghkgBZQMEAgEwCwYJKoZI");
  CHECK(doc->signature.back() == "#sig hVzQQxbnGQ==");

  Config c = imported(text);
  CHECK(c.get("WWW_LANGUAGE") == "de");
  CHECK(c.get("WWW_LEVEL") == "10");
  CHECK(c.get("VPN_XFRM4_GC_THRESH") == "2");
  CHECK(c.get("HOSTNAME") == "bulwark");  // untouched: from the base
}

TEST_CASE("the factory profile is written in canonical form", "[atv]") {
  std::string text = writeAtv(schema(), factoryDefault(schema()));
  CHECK(text.starts_with("// bulwark configuration profile\n// Version: "));
  CHECK(text.ends_with("\nWWW_TIMEOUT = \"1800\"\n// End of configuration profile\n"));
  CHECK(text.find("\nNTP_SERVERS = {\n  {\n    ROWID = \"MAIv100000001\"\n    NTP_SERVER = \"pool.ntp.org\"\n"
                  "    PREFER_VPN = \"no\"\n  }\n}\n") != std::string::npos);
  CHECK(text.find("\nFW_INCOMING = {\n}\n") != std::string::npos);
  CHECK(text == fixture("factory-default.atv"));
}

TEST_CASE("export, import, export is byte-identical", "[atv]") {
  Config c = factoryDefault(schema());
  const Variable& tpl = *schema().find("USERFW_TEMPLATE");
  Row row = defaultRow(tpl, "MAIv77");
  row.fields["TEMPLATE_NAME"].text = "quote \" and \\ backslash, ünïcödé";
  row.fields["TEMPLATE_RULE"].rows.push_back(defaultRow(*Schema::findColumn(tpl, "TEMPLATE_RULE"), "MAIv78"));
  c.values["USERFW_TEMPLATE"].rows.push_back(row);
  std::string first = writeAtv(schema(), c);
  Config back = imported(first);
  CHECK(back == c);
  CHECK(writeAtv(schema(), back) == first);
}

TEST_CASE("rows without ROWID get fresh ids and column defaults", "[atv]") {
  std::string text = std::string("NTP_SERVERS = {\n  { NTP_SERVER = \"a.example\" }\n  {\n    NTP_SERVER = \"b.example\"\n"
                                 "    PREFER_VPN = \"yes\" // comment\n  }\n}\n") +
                     std::string(kTrailer);
  Config c = imported(text);
  const auto& rows = c.find("NTP_SERVERS")->rows;
  REQUIRE(rows.size() == 2);
  CHECK(isRowId(rows[0].id));
  CHECK(rows[0].id != rows[1].id);
  CHECK(rows[0].fields.at("PREFER_VPN").text == "no");
  CHECK(rows[1].fields.at("PREFER_VPN").text == "yes");
}

TEST_CASE("line endings and the final newline are checked first", "[atv]") {
  CHECK(importError("WWW_TIMEOUT = \"1800\"\r\n// End of configuration profile\r\n") ==
        "line 1, column 21: The profile uses Windows line endings (CR LF); convert it to Unix line endings (LF).");
  CHECK(importError("WWW_TIMEOUT = \"1800\"\n// End of configuration profile") ==
        "line 2: The profile must end with a newline (LF).");
  CHECK(importError("") == "The profile is empty.");
  CHECK(importError(std::string("A = \"x\0y\"\n", 10)) == "line 1, column 7: The profile contains a NUL byte.");
  CHECK(importError("A = \"\xff\"\n") == "line 1, column 6: The profile is not valid UTF-8.");
  CHECK(importError(std::string(kMaxProfileBytes + 1, '\n')) ==
        "The profile is 16777217 bytes; profiles are limited to 16 MiB.");
}

TEST_CASE("syntax errors name line and column", "[atv]") {
  CHECK(importError("WWW_TIMEOUT = \"1800\"\n") ==
        "line 2: The trailer \"// End of configuration profile\" is missing; the profile is incomplete.");
  CHECK(importError("WWW_TIMEOUT \"1800\"\n// End of configuration profile\n") ==
        "line 1, column 13: \"=\" was expected after WWW_TIMEOUT.");
  CHECK(importError("WWW_TIMEOUT = 1800\n// End of configuration profile\n") ==
        "line 1, column 15: A value in double quotes or a table in braces was expected for WWW_TIMEOUT.");
  CHECK(importError("WWW_TIMEOUT = \"1800\n\"\n// End of configuration profile\n") ==
        "line 1, column 15: The string that starts here is not closed on its line.");
  CHECK(importError("HOSTNAME = \"a\\qb\"\n// End of configuration profile\n") ==
        "line 1, column 14: Unknown escape sequence \"\\q\".");
  CHECK(importError("NTP_SERVERS = {\n  {\n    NTP_SERVER = \"x\"\n// End of configuration profile\n") ==
        "line 2, column 3: A row of table NTP_SERVERS is not closed.");
  CHECK(importError("NTP_SERVERS = { \"x\" }\n// End of configuration profile\n") ==
        "line 1, column 17: A row \"{\" or the end of table NTP_SERVERS \"}\" was expected.");
  CHECK(importError("#sig abc\nWWW_TIMEOUT = \"1800\"\n// End of configuration profile\n") ==
        "line 1, column 1: A \"#\" line may only follow the trailer \"// End of configuration profile\".");
  CHECK(importError("// End of configuration profile\nWWW_TIMEOUT = \"1800\"\n") ==
        "line 2, column 1: Only \"#sig\" lines may follow the trailer \"// End of configuration profile\".");
  CHECK(importError("= \"1\"\n// End of configuration profile\n") ==
        "line 1, column 1: A variable name was expected here.");
  std::string deep = "A = ";
  for (int i = 0; i < 20; ++i) deep += "{ { B = ";
  deep += "\"x\"\n";
  CHECK(importError(deep).find("Tables are nested too deeply.") != std::string::npos);
}

TEST_CASE("schema errors name line, column and the variable", "[atv]") {
  CHECK(importError("QOS_INGRESS_LOCAL_ENABLE = \"yes\"\n// End of configuration profile\n") ==
        "line 1, column 28: Error for QOS_INGRESS_LOCAL_ENABLE=\"yes\": The value is not supported due to hardware "
        "restrictions.");
  CHECK(importError("// header\nWWW_TIMEOUT = \"abc\"\n// End of configuration profile\n") ==
        "line 2, column 15: Error for WWW_TIMEOUT=\"abc\": The value must be an integer from 30 to 86400.");
  CHECK(importError("NO_SUCH_VARIABLE = \"1\"\n// End of configuration profile\n") ==
        "line 1, column 1: Error for NO_SUCH_VARIABLE=\"1\": Unknown variable.");
  CHECK(importError("WWW_TIMEOUT = \"900\"\nWWW_TIMEOUT = \"901\"\n// End of configuration profile\n") ==
        "line 2, column 1: Error for WWW_TIMEOUT: The variable is set twice (first on line 1).");
  CHECK(importError("USERFW_TEMPLATE = {\n  {\n    TEMPLATE_NAME = \"t\"\n    TEMPLATE_RULE = {\n      {\n"
                    "        DST_IP = \"1.2.3.4/40\"\n      }\n    }\n  }\n}\n// End of configuration profile\n") ==
        "line 6, column 18: Error for USERFW_TEMPLATE:0.TEMPLATE_RULE:0.DST_IP=\"1.2.3.4/40\": The value must be an "
        "IPv4 network in CIDR notation (a.b.c.d/n).");
  CHECK(importError("NTP_SERVERS = {\n  { BOGUS = \"1\" }\n}\n// End of configuration profile\n") ==
        "line 2, column 5: Error for NTP_SERVERS:0.BOGUS=\"1\": Unknown variable.");
  CHECK(importError("WWW_TIMEOUT = { }\n// End of configuration profile\n") ==
        "line 1, column 15: Error for WWW_TIMEOUT=\"{...}\": The variable is not a table.");
  CHECK(importError("HTTPS_SERVER_CERT_REF = \"MAIv42\"\n// End of configuration profile\n") ==
        "line 1, column 25: Error for HTTPS_SERVER_CERT_REF=\"MAIv42\": No MACHINE_CERTIFICATES row has this row id.");
  CHECK(importError("NTP_SERVERS = {\n  { ROWID = \"MAIv5\" }\n  { ROWID = \"MAIv5\" }\n}\n"
                    "// End of configuration profile\n") ==
        "line 3, column 13: Error for NTP_SERVERS:1.ROWID=\"MAIv5\": The row id is used twice.");
  CHECK(importError("NTP_SERVERS = {\n  { ROWID = \"row-1\" }\n}\n// End of configuration profile\n") ==
        "line 2, column 13: Error for NTP_SERVERS:0.ROWID=\"row-1\": The row id must be MAIv followed by digits.");
}

TEST_CASE("profiles of firmware 8.x are migrated, with notes", "[atv]") {
  std::vector<std::string> notes;
  Config c = imported(
      "PORT_MIRROR_RECEIVER = \"swp1\"\nSSH_ADMIN_LOGIN_ALLOWED_MAX = \"25\"\n"
      "STATIC_MULTICAST_GROUP = {\n  { GROUP = \"239.1.1.1\" }\n}\n"
      "OPENVPN_CONNECTION = {\n  {\n    VPN_NAME = \"site\"\n    VPN_ENCRYPTION = \"Blowfish\"\n  }\n}\n"
      "// End of configuration profile\n",
      &notes);
  CHECK(c.get("MIRROR_RECEIVER") == "swp1");
  CHECK(c.get("SSH_ADMIN_LOGIN_ALLOWED_MAX") == "10");
  CHECK(c.get("IGMP_SNOOPING") == "yes");
  CHECK(c.find("MULTICAST_GROUP")->rows.size() == 1);
  CHECK(c.find("OPENVPN_CONNECTION")->rows[0].fields.at("VPN_ENCRYPTION").text == "AES-256-GCM");
  CHECK(c.find("OPENVPN_CONNECTION")->rows[0].fields.at("VPN_AUTH_HMAC").text == "SHA-1");
  CHECK(c.get("TLS_MIN_VERSION") == "1.0");
  CHECK(notes.size() == 7);
}

TEST_CASE("static multicast groups of 8.x enable IGMP snooping even when it was off", "[atv]") {
  Config c = imported("IGMP_SNOOPING = \"no\"\nTLS_MIN_VERSION = \"1.2\"\n"
                      "STATIC_MULTICAST_GROUP = {\n  { GROUP = \"239.1.1.1\" }\n}\n// End of configuration profile\n");
  CHECK(c.get("IGMP_SNOOPING") == "yes");
  CHECK(c.get("TLS_MIN_VERSION") == "1.2");  // given: kept
}

TEST_CASE("profiles of this firmware are not migrated", "[atv]") {
  std::vector<std::string> notes;
  Config c = imported("OPENVPN_CONNECTION = {\n  { VPN_NAME = \"x\" }\n}\n"
                      "MULTICAST_GROUP = {\n  { GROUP = \"239.1.1.1\" }\n}\n// End of configuration profile\n",
                      &notes);
  CHECK(notes.empty());
  CHECK(c.get("IGMP_SNOOPING") == "no");
  CHECK(c.get("TLS_MIN_VERSION") == "1.2");
  CHECK(c.find("OPENVPN_CONNECTION")->rows[0].fields.at("VPN_AUTH_HMAC").text == "SHA-256");
}

TEST_CASE("an IPsec connection to a peer address without CONNECTION_STARTUP still initiates, with a note",
          "[atv]") {
  std::vector<std::string> notes;
  Config c = imported("VPN_CONNECTION = {\n  { VPN_NAME = \"plant\" REMOTE_GATEWAY = \"10.0.2.2\" }\n"
                      "  { VPN_NAME = \"any\" REMOTE_GATEWAY = \"%any\" }\n"
                      "  { VPN_NAME = \"site\" REMOTE_GATEWAY = \"10.0.3.2\" CONNECTION_STARTUP = \"initiate\" }\n}\n"
                      "// End of configuration profile\n",
                      &notes);
  CHECK(c.find("VPN_CONNECTION")->rows[0].fields.at("CONNECTION_STARTUP").text == "initiate");
  CHECK(c.find("VPN_CONNECTION")->rows[1].fields.at("CONNECTION_STARTUP").text == "wait");
  CHECK(c.find("VPN_CONNECTION")->rows[2].fields.at("CONNECTION_STARTUP").text == "initiate");
  CHECK(notes == std::vector<std::string>{"VPN_CONNECTION:0.CONNECTION_STARTUP set to initiate: before the variable "
                                          "existed, a peer address meant that."});
}

TEST_CASE("clear-text passwords in a profile are accepted for hashing", "[atv]") {
  Config c = imported("WWW_PASSWORD_RAW = \"n3w-Secret\"\n// End of configuration profile\n");
  CHECK(c.get("WWW_PASSWORD_RAW") == "n3w-Secret");
  CHECK_FALSE(validate(schema(), c));  // not storable until hashed
}

TEST_CASE("a password hash of a method we do not take is refused, not hashed again", "[atv]") {
  CHECK(importError("ROOT_PASSWORD = \"$1$saltsalt$abcdefghijklmnopqrstuv\"\n// End of configuration profile\n") ==
        "line 1, column 17: Error for ROOT_PASSWORD=\"******\": The password hash method is not supported (use $y$, "
        "$6$, $5$ or $2b$, or give the password in clear text).");
}

TEST_CASE("values of firmware 8.x are migrated only in a profile of firmware 8.x", "[atv]") {
  CHECK(importError("SSH_ADMIN_LOGIN_ALLOWED_MAX = \"50\"\n// End of configuration profile\n") ==
        "line 1, column 31: Error for SSH_ADMIN_LOGIN_ALLOWED_MAX=\"50\": The value must be an integer from 1 to 10.");
}

TEST_CASE("a row id of a table the profile keeps is refused where the profile gives it", "[atv]") {
  CHECK(importError("FW_INCOMING = {\n  { ROWID = \"MAIv100000001\" }\n}\n// End of configuration profile\n") ==
        "line 2, column 13: Error for FW_INCOMING:0.ROWID=\"MAIv100000001\": The row id is already used by "
        "NTP_SERVERS, which the profile keeps.");
  // Replacing that table too frees the id.
  Config c = imported("NTP_SERVERS = {\n}\nFW_INCOMING = {\n  { ROWID = \"MAIv100000001\" }\n}\n"
                      "// End of configuration profile\n");
  CHECK(c.find("FW_INCOMING")->rows[0].id == "MAIv100000001");
}

TEST_CASE("control characters other than tab and newline are refused anywhere", "[atv]") {
  CHECK(importError("// a comment with a bell \a\n// End of configuration profile\n") ==
        "line 1, column 26: The profile contains a control character.");
}
