// X.509 connections: certificates in the configuration (CA_CERTIFICATES,
// REMOTE_CERTIFICATE), the machine certificate from the data directory, and
// what charon is given (load-cert, load-key, load-conn). The certificates
// are the reference chapter 5's, made with openssl (tagged [pki]: slow).
#include <catch2/catch.hpp>

#include "config/atv.hpp"
#include "config/config.hpp"
#include "pki/certificate.hpp"
#include "pki/pkcs12.hpp"
#include "pki/reference_ca.hpp"
#include "pki/store.hpp"
#include "support/support.hpp"
#include "vpn/ipsec/connection.hpp"
#include "vpn/ipsec/credentials.hpp"

using namespace bulwark;
using namespace bulwark::ipsec;

namespace {

constexpr const char* kMachineRow = "MAIv000000010";
constexpr const char* kCaRow = "MAIv000000011";

std::string pem(const std::string& path) { return *pki::parsePemCertificates(test::readFile(path)).value().begin(); }

// The reference CA's certificate in CA_CERTIFICATES, the "mGuard" identity
// as machine certificate, and one X.509 connection using both.
struct X509Fixture {
  const config::Schema& schema = config::Schema::builtin();
  test::TempDir data;
  config::Config config = config::factoryDefault(schema);
  pki::TlsIdentity machine;

  X509Fixture() {
    test::ReferenceCa& ca = test::sharedCa();
    auto identity = pki::importPkcs12(test::readFile(ca.exportPkcs12("mGuard", "p12 pass")), "p12 pass");
    REQUIRE(identity);
    machine = *identity;
    REQUIRE(pki::storeMachineIdentity(data.path(), kMachineRow, machine));
    config::Row cert = config::defaultRow(*schema.find("MACHINE_CERTIFICATES"), kMachineRow);
    cert.fields["SHORT_NAME"] = config::Value::scalar("gw");
    config.values["MACHINE_CERTIFICATES"].rows.push_back(cert);
    config::Row caRow = config::defaultRow(*schema.find("CA_CERTIFICATES"), kCaRow);
    caRow.fields["SHORT_NAME"] = config::Value::scalar("plant CA");
    caRow.fields["CERTIFICATE"] = config::Value::scalar(pem(ca.ca()));
    config.values["CA_CERTIFICATES"].rows.push_back(caRow);
    const config::Variable* table = schema.find("VPN_CONNECTION");
    config::Row row = config::defaultRow(*table, "MAIv000000001");
    row.fields["TUNNEL"].rows.push_back(
        config::defaultRow(*config::Schema::findColumn(*table, "TUNNEL"), "MAIv000000002"));
    config.values["VPN_CONNECTION"].rows.push_back(row);
    for (auto [path, value] : {std::pair{"VPN_NAME", "plant"}, {"AUTH_METHOD", "x509"},
                               {"REMOTE_GATEWAY", "10.0.2.2"}, {"LOCAL_CERT_REF", kMachineRow},
                               {"REMOTE_CA_REF", kCaRow}}) {
      set(std::string("VPN_CONNECTION:0.") + path, value);
    }
  }

  void set(const std::string& path, const std::string& value) {
    REQUIRE(config::setScalar(schema, config, path, value));
    REQUIRE(config::validate(schema, config));
  }

  Connection connection() {
    auto connections = connectionsOf(config);
    resolveMachineCertificates(connections, data.path());
    REQUIRE(connections.size() == 1);
    return connections[0];
  }
};

std::string subjectHex(const std::string& certificatePem) { return pki::describeCertificate(certificatePem)->subjectDerHex; }

}  // namespace

TEST_CASE("an X.509 connection authenticates with its machine certificate and trusts its CA", "[ipsec][pki]") {
  X509Fixture f;
  Connection c = f.connection();
  CHECK(c.auth == AuthMethod::X509);
  CHECK(unsupportedReason(c).empty());
  std::string leaf = pem(test::sharedCa().certificate("mGuard"));
  CHECK(c.x509.localCert == leaf);

  vici::Message conn = *loadConnMessage(c).section("MAIv000000001");
  const vici::Message& local = *conn.section("local");
  CHECK(local.valueOr("auth", "") == "pubkey");
  REQUIRE(local.list("certs"));
  CHECK(*local.list("certs") == std::vector<std::string>{leaf});
  // The subject DN of the reference's request (C=DE, O=PHOENIX CONTACT ..., OU=Support, CN=mGuard), by its DER.
  CHECK(local.valueOr("id", "") == "asn1dn:#" + subjectHex(leaf));
  CHECK(subjectHex(leaf).find("6d4775617264") != std::string::npos);  // "mGuard"
  const vici::Message& remote = *conn.section("remote");
  CHECK(remote.valueOr("auth", "") == "pubkey");
  CHECK(*remote.list("cacerts") == std::vector<std::string>{pem(test::sharedCa().ca())});
  CHECK(remote.list("certs") == nullptr);
  CHECK(remote.valueOr("id", "") == "%any");  // any identity a certificate of the CA holds
}

TEST_CASE("an X.509 connection's certificates and key are loaded before it", "[ipsec][pki]") {
  X509Fixture f;
  Connection c = f.connection();
  auto requests = credentialRequests(c, f.machine.privateKeyPem);
  REQUIRE(requests.size() == 3);
  CHECK(requests[0].command == "load-cert");
  CHECK(requests[0].message.valueOr("type", "") == "X509");
  CHECK(requests[0].message.valueOr("flag", "") == "NONE");
  CHECK(requests[0].message.valueOr("data", "") == c.x509.localCert);
  CHECK(requests[1].command == "load-cert");
  CHECK(requests[1].message.valueOr("flag", "") == "CA");
  CHECK(requests[1].message.valueOr("data", "") == c.x509.remoteCa);
  CHECK(requests[2].command == "load-key");
  CHECK(requests[2].message.valueOr("type", "") == "any");
  CHECK(requests[2].message.valueOr("data", "") == f.machine.privateKeyPem);
  CHECK(requests[2].what == "its private key");
  // A pre-shared key connection has none.
  f.set("VPN_CONNECTION:0.AUTH_METHOD", "psk");
  CHECK(credentialRequests(f.connection(), f.machine.privateKeyPem).empty());
}

TEST_CASE("every CRL of CRLS is given to charon with an X.509 connection's credentials; a bad one is refused",
          "[ipsec][pki]") {
  X509Fixture f;
  test::ReferenceCa ca;
  ca.issue("peer");
  ca.revoke("peer");
  std::string crl = ca.crl();
  const config::Variable* table = f.schema.find("CRLS");
  REQUIRE(table);
  config::Row row = config::defaultRow(*table, "MAIv000000007");
  row.fields["SHORT_NAME"] = config::Value::scalar("plant CRL");
  row.fields["CRL"] = config::Value::scalar(crl);
  f.config.values["CRLS"].rows.push_back(row);
  REQUIRE(config::validate(f.schema, f.config));
  Connection c = f.connection();
  CHECK(c.x509.crls == std::vector<std::string>{crl});
  auto requests = credentialRequests(c, f.machine.privateKeyPem);
  REQUIRE(requests.size() == 4);
  CHECK(requests[2].command == "load-cert");
  CHECK(requests[2].message.valueOr("type", "") == "X509_CRL");
  CHECK(requests[2].message.valueOr("data", "") == *pki::crlDer(crl));  // DER: VICI values are at most 64 KiB
  CHECK(requests[3].command == "load-key");  // the key last, as before
  // A changed CRL makes a changed connection (loaded again); a PSK connection has none.
  f.set("VPN_CONNECTION:0.AUTH_METHOD", "psk");
  CHECK(f.connection().x509.crls.empty());
  // The column takes one CRL in PEM and nothing else.
  f.config.values["CRLS"].rows[0].fields["CRL"] = config::Value::scalar(pem(test::sharedCa().ca()));
  auto refused = config::validate(f.schema, f.config);
  REQUIRE_FALSE(refused);
}

TEST_CASE("a pinned peer certificate is the only one accepted, its subject the peer's identity", "[ipsec][pki]") {
  X509Fixture f;
  std::string peer = pem(test::sharedCa().certificate("other"));
  f.set("VPN_CONNECTION:0.REMOTE_CA_REF", "");
  f.set("VPN_CONNECTION:0.REMOTE_CERTIFICATE", peer);
  Connection c = f.connection();
  CHECK(unsupportedReason(c).empty());
  vici::Message remote = *loadConnMessage(c).section("MAIv000000001")->section("remote");
  CHECK(*remote.list("certs") == std::vector<std::string>{peer});
  CHECK(remote.list("cacerts") == nullptr);
  CHECK(remote.valueOr("id", "") == "asn1dn:#" + subjectHex(peer));
  auto requests = credentialRequests(c, f.machine.privateKeyPem);
  REQUIRE(requests.size() == 3);
  CHECK(requests[1].message.valueOr("flag", "") == "NONE");
  CHECK(requests[1].message.valueOr("data", "") == peer);

  // The same certificate by name, from REMOTE_CERTIFICATES: the same connection.
  config::Row remoteRow = config::defaultRow(*f.schema.find("REMOTE_CERTIFICATES"), "MAIv000000008");
  remoteRow.fields["SHORT_NAME"] = config::Value::scalar("peer");
  remoteRow.fields["CERTIFICATE"] = config::Value::scalar(peer);
  f.config.values["REMOTE_CERTIFICATES"].rows.push_back(remoteRow);
  f.set("VPN_CONNECTION:0.REMOTE_CERT_REF", "MAIv000000008");
  CHECK(configurationError({f.connection()}) ==
        "The VPN connection plant: REMOTE_CERTIFICATE and REMOTE_CERT_REF both pin the peer's certificate: set one of "
        "them.");
  f.set("VPN_CONNECTION:0.REMOTE_CERTIFICATE", "");
  Connection byName = f.connection();
  CHECK(configurationError({byName}).empty());
  CHECK(byName.x509.remoteCert == peer);
  CHECK(vici::toText(loadConnMessage(byName)) == vici::toText(loadConnMessage(c)));
  f.config.values["REMOTE_CERTIFICATES"].rows[0].fields["CERTIFICATE"] = config::Value::scalar("");
  CHECK(unsupportedReason(f.connection()) == "the remote certificate of REMOTE_CERT_REF has no CERTIFICATE");
  // ... also with a CA: pinned by name means only that certificate, never the CA's trust instead.
  f.set("VPN_CONNECTION:0.REMOTE_CA_REF", kCaRow);
  CHECK(unsupportedReason(f.connection()) == "the remote certificate of REMOTE_CERT_REF has no CERTIFICATE");
  f.config.values["REMOTE_CERTIFICATES"].rows[0].fields["CERTIFICATE"] = config::Value::scalar(peer);
  f.set("VPN_CONNECTION:0.REMOTE_CERT_REF", "");
  f.set("VPN_CONNECTION:0.REMOTE_CERTIFICATE", peer);

  f.set("VPN_CONNECTION:0.REMOTE_ID", "C=DE, O=Plant, CN=peer");
  f.set("VPN_CONNECTION:0.LOCAL_ID", "gw.example.com");
  vici::Message conn = *loadConnMessage(f.connection()).section("MAIv000000001");
  CHECK(conn.section("remote")->valueOr("id", "") == "C=DE, O=Plant, CN=peer");
  CHECK(conn.section("local")->valueOr("id", "") == "gw.example.com");
}

TEST_CASE("an X.509 connection without usable certificates says why, without key material", "[ipsec][pki]") {
  X509Fixture f;
  Connection c = f.connection();
  c.x509.localCertRef.clear();
  CHECK(unsupportedReason(c) == "AUTH_METHOD is x509 but LOCAL_CERT_REF names no machine certificate");
  c = f.connection();
  c.x509.remoteCaRef.clear();
  c.x509.remoteCa.clear();
  CHECK(unsupportedReason(c) ==
        "AUTH_METHOD is x509 but neither REMOTE_CERTIFICATE, REMOTE_CERT_REF nor REMOTE_CA_REF says which peer "
        "certificate to accept");
  f.set("CA_CERTIFICATES:0.CERTIFICATE", "");
  CHECK(unsupportedReason(f.connection()) == "the CA certificate of REMOTE_CA_REF has no CERTIFICATE");
  f.set("CA_CERTIFICATES:0.CERTIFICATE", pem(test::sharedCa().ca()));

  // The key file damaged: the reason names the file's problem, never its content.
  std::string key = test::readFile(f.data / "pki/machine/MAIv000000010.key");
  test::writeFile(f.data / "pki/machine/MAIv000000010.key", key.substr(0, key.size() / 2));
  std::string why = unsupportedReason(f.connection());
  CHECK(why.starts_with("the machine certificate of LOCAL_CERT_REF is not usable: "));
  CHECK(why.find(key.substr(30, 20)) == std::string::npos);
  CHECK(why.find(key.substr(key.size() / 2 - 30, 20)) == std::string::npos);
  REQUIRE(pki::removeMachineIdentity(f.data.path(), kMachineRow));
  CHECK(unsupportedReason(f.connection()).starts_with("the machine certificate of LOCAL_CERT_REF is not usable: "));
}

TEST_CASE("certificate values are one certificate in PEM, nothing else", "[config][pki]") {
  const config::Variable* column =
      config::Schema::findColumn(*config::Schema::builtin().find("CA_CERTIFICATES"), "CERTIFICATE");
  REQUIRE(column);
  std::string ca = pem(test::sharedCa().ca());
  CHECK_FALSE(config::checkScalar(*column, ca));
  CHECK_FALSE(config::checkScalar(*column, ""));
  CHECK(config::checkScalar(*column, "garbage").value().starts_with("The value must be one X.509 certificate in PEM"));
  std::string key = test::sharedCa().clearKey("mGuard");
  auto refused = config::checkScalar(*column, key);
  REQUIRE(refused);
  CHECK(refused->find(key.substr(30, 20)) == std::string::npos);
  CHECK(config::checkScalar(*column, ca + pem(test::sharedCa().certificate("mGuard"))) ==
        "The value must be one X.509 certificate in PEM, not 2.");
  std::string damaged = ca;
  damaged[100] = damaged[100] == 'A' ? 'B' : 'A';
  damaged.erase(200, 10);
  CHECK(config::checkScalar(*column, damaged));
}

TEST_CASE("a CA certificate travels with the profile and is one line in the change log", "[config][pki]") {
  X509Fixture f;
  const config::Schema& schema = f.schema;
  std::string atv = config::writeAtv(schema, f.config);
  CHECK(atv.find("CERTIFICATE = \"-----BEGIN CERTIFICATE-----\\n") != std::string::npos);
  config::RowIdGenerator ids;
  auto back = config::importProfile(schema, atv, config::factoryDefault(schema), ids);
  REQUIRE(back);
  CHECK(back->values.at("CA_CERTIFICATES").rows.at(0).fields.at("CERTIFICATE").text ==
        pem(test::sharedCa().ca()));
  CHECK(connectionsOf(*back)[0].x509.remoteCa == pem(test::sharedCa().ca()));

  auto lines = config::changeLogLines(config::diff(schema, config::factoryDefault(schema), f.config));
  bool found = false;
  for (const std::string& line : lines) {
    CHECK(line.find('\n') == std::string::npos);
    if (line.starts_with("CA_CERTIFICATES:0.CERTIFICATE set to '-----BEGIN CERTIFICATE-----...' (")) found = true;
  }
  CHECK(found);
}
