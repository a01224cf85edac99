#include <catch2/catch.hpp>

#include <regex>

#include <fmt/format.h>

#include "pki/certificate.hpp"
#include "pki/reference_ca.hpp"
#include "support/support.hpp"

using namespace bulwark;
using namespace bulwark::pki;
using namespace std::chrono;

namespace {

const system_clock::time_point kJan2026 = sys_days(year(2026) / 1 / 1);

std::string section(const std::string& text, const std::string& heading) {
  auto at = text.find(heading);
  return at == std::string::npos ? std::string() : text.substr(at, 200);
}

// The PEM text of a freshly issued reference CA chain: the leaf, then the CA.
struct Chain {
  test::ReferenceCa& ca = test::sharedCa();
  std::string leaf, root;
  Chain() {
    // `openssl ca` writes the text form before the PEM block; x509 writes only the block.
    leaf = test::openssl({"x509", "-in", ca.certificate("mGuard")});
    root = test::readFile(ca.ca());
  }
};

}  // namespace

TEST_CASE("a device certificate is made out to the serial, with a P-256 key, for 20 years", "[pki]") {
  auto made = makeSelfSignedCertificate("BW0012345", kJan2026);
  REQUIRE(made);
  CHECK(keyMatchesCertificate(made->certificateChainPem, made->privateKeyPem));
  CHECK(made->privateKeyPem.rfind("-----BEGIN PRIVATE KEY-----", 0) == 0);
  auto info = describeCertificate(made->certificateChainPem);
  REQUIRE(info);
  CHECK(info->subject == "CN=BW0012345,OU=Device,O=bulwark");
  CHECK(info->issuer == info->subject);
  CHECK(info->commonName == "BW0012345");
  CHECK(info->publicKey == "EC P-256");
  CHECK_FALSE(info->ca);
  CHECK(formatUtc(info->notBefore) == "2025-12-31 23:00:00 UTC");
  CHECK(formatUtc(info->notAfter) == "2046-01-01 00:00:00 UTC");
  CHECK(std::regex_match(info->serialHex, std::regex("[89A-F][0-9A-F]{31}")));  // 128 bits, top bit set
  CHECK(std::regex_match(info->sha256Fingerprint, std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}")));

  auto again = makeSelfSignedCertificate("BW0012345", kJan2026);
  REQUIRE(again);
  CHECK(describeCertificate(again->certificateChainPem)->serialHex != info->serialHex);
  CHECK_FALSE(keyMatchesCertificate(made->certificateChainPem, again->privateKeyPem));
}

TEST_CASE("openssl reads the device certificate as an ECDSA server certificate", "[pki]") {
  test::TempDir tmp;
  auto made = makeSelfSignedCertificate("bw-0042", system_clock::now());
  REQUIRE(made);
  test::writeFile(tmp / "device.crt", made->certificateChainPem);
  test::writeFile(tmp / "device.key", made->privateKeyPem);
  std::string crt = (tmp / "device.crt").string();

  std::string text = test::openssl({"x509", "-in", crt, "-noout", "-text"});
  CHECK(text.find("Version: 3 (0x2)") != std::string::npos);
  CHECK(text.find("Signature Algorithm: ecdsa-with-SHA256") != std::string::npos);
  CHECK(text.find("ASN1 OID: prime256v1") != std::string::npos);
  CHECK(section(text, "X509v3 Basic Constraints").find("critical\n") != std::string::npos);
  CHECK(section(text, "X509v3 Basic Constraints").find("CA:FALSE") != std::string::npos);
  CHECK(section(text, "X509v3 Key Usage").find("Digital Signature") != std::string::npos);
  CHECK(section(text, "X509v3 Extended Key Usage").find("TLS Web Server Authentication") != std::string::npos);
  CHECK(text.find("X509v3 Subject Key Identifier") != std::string::npos);
  CHECK(section(text, "X509v3 Subject Alternative Name").find("DNS:bw-0042") != std::string::npos);
  test::openssl({"pkey", "-in", (tmp / "device.key").string(), "-check", "-noout"});

  // describeCertificate() agrees with openssl on fingerprint and serial number.
  auto info = describeCertificate(made->certificateChainPem);
  REQUIRE(info);
  CHECK(test::openssl({"x509", "-in", crt, "-noout", "-fingerprint", "-sha256"}) ==
        "sha256 Fingerprint=" + info->sha256Fingerprint + "\n");
  CHECK(test::openssl({"x509", "-in", crt, "-noout", "-serial"}) == "serial=" + info->serialHex + "\n");
}

TEST_CASE("a serial number that is no host name label gets no subjectAltName", "[pki]") {
  auto made = makeSelfSignedCertificate("Serial 7/3", kJan2026);
  REQUIRE(made);
  test::TempDir tmp;
  test::writeFile(tmp / "c.pem", made->certificateChainPem);
  std::string text = test::openssl({"x509", "-in", (tmp / "c.pem").string(), "-noout", "-text"});
  CHECK(text.find("Subject Alternative Name") == std::string::npos);
  CHECK(describeCertificate(made->certificateChainPem)->commonName == "Serial 7/3");
}

TEST_CASE("unusable serial numbers are refused", "[pki]") {
  CHECK(makeSelfSignedCertificate("", kJan2026).error() == "The device serial number is empty.");
  CHECK_FALSE(makeSelfSignedCertificate("BW\n1", kJan2026));
  CHECK_FALSE(makeSelfSignedCertificate(std::string(65, '1'), kJan2026));
  CHECK(makeSelfSignedCertificate(std::string(64, '1'), kJan2026));
}

TEST_CASE("a PEM chain of two certificates splits into both, in order", "[pki]") {
  Chain chain;
  // As `openssl pkcs12 -nokeys` or `openssl x509 -text` would print it: text around the blocks.
  std::string pem = "Bag Attributes\n    friendlyName: mGuard\n" + chain.leaf + "subject=/CN=CA\n" + chain.root;
  auto certificates = parsePemCertificates(pem);
  REQUIRE(certificates);
  REQUIRE(certificates->size() == 2);
  auto leaf = describeCertificate((*certificates)[0]);
  auto root = describeCertificate((*certificates)[1]);
  REQUIRE(leaf);
  REQUIRE(root);
  CHECK(leaf->subject == "CN=mGuard,OU=Support,O=PHOENIX CONTACT Cyber Security AG,C=DE");
  CHECK(leaf->issuer == "CN=CA,OU=Support,O=PHOENIX CONTACT Cyber Security AG,C=DE");
  CHECK(leaf->serialHex == "01");  // the reference's serial file starts at 0001
  CHECK(leaf->publicKey == "RSA 2048");
  CHECK_FALSE(leaf->ca);
  CHECK(root->subject == leaf->issuer);
  CHECK(root->ca);
  CHECK(root->notAfter - root->notBefore == 3640 * 86400);
  // Each block comes back as canonical PEM that openssl would write.
  CHECK((*certificates)[0] == chain.leaf);
  CHECK((*certificates)[1] == chain.root);
  // certs/mGuard.crt as `openssl ca` wrote it, text form first.
  auto asWritten = parsePemCertificates(test::readFile(chain.ca.certificate("mGuard")) + chain.root);
  REQUIRE(asWritten);
  CHECK(*asWritten == *certificates);
}

TEST_CASE("PEM text that is not only certificates is refused", "[pki]") {
  Chain chain;
  CHECK(parsePemCertificates("").error().find("No PEM certificate found") != std::string::npos);
  CHECK_FALSE(parsePemCertificates("hello, this is not a certificate\n"));
  CHECK_FALSE(parsePemCertificates(std::string("\0\x01\x02", 3)));

  std::string key = test::readFile(chain.ca.key("mGuard"));  // an encrypted private key
  auto withKey = parsePemCertificates(chain.leaf + key);
  REQUIRE_FALSE(withKey);
  CHECK(withKey.error() == "PEM block 2 is a private key, not a certificate; a private key does not belong here.");

  std::string truncated = chain.root.substr(0, chain.root.size() / 2);
  auto cut = parsePemCertificates(chain.leaf + truncated);
  REQUIRE_FALSE(cut);
  CHECK(cut.error().find("PEM block 2 is damaged") == 0);

  std::string broken = chain.leaf;
  broken[broken.find('\n') + 10] = '*';
  CHECK_FALSE(parsePemCertificates(broken));

  // Base64 that decodes, but not to a certificate.
  auto notDer = parsePemCertificates("-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n");
  REQUIRE_FALSE(notDer);
  CHECK(notDer.error().find("PEM block 1 is not a valid certificate") == 0);

  auto request = parsePemCertificates("-----BEGIN CERTIFICATE REQUEST-----\naGVsbG8=\n-----END CERTIFICATE REQUEST-----\n");
  REQUIRE_FALSE(request);
  CHECK(request.error() == "PEM block 1 is a \"CERTIFICATE REQUEST\", not a certificate.");
}

TEST_CASE("describing a certificate wants exactly one", "[pki]") {
  Chain chain;
  CHECK(describeCertificate(chain.leaf + chain.root).error() == "Expected one certificate, found 2.");
  CHECK_FALSE(describeCertificate(""));
  CHECK_FALSE(describeCertificate("garbage"));
}

TEST_CASE("a key is checked against its certificate", "[pki]") {
  Chain chain;
  std::string key = chain.ca.clearKey("mGuard");
  CHECK(keyMatchesCertificate(chain.leaf, key));
  CHECK_FALSE(keyMatchesCertificate(chain.root, key));
  CHECK_FALSE(keyMatchesCertificate(chain.leaf, "garbage"));
  // An encrypted key is never decrypted by prompting: it simply does not match.
  CHECK_FALSE(keyMatchesCertificate(chain.leaf, test::readFile(chain.ca.key("mGuard"))));

  CHECK(checkIdentity({chain.leaf + chain.root, key}));
  CHECK(checkIdentity({chain.root + chain.leaf, key}).message() ==
        "The private key does not belong to the certificate.");
  CHECK_FALSE(checkIdentity({"", key}));
  CHECK_FALSE(checkIdentity({chain.leaf, ""}));
}

TEST_CASE("a CRL is read from PEM or DER, described, and anything else is refused", "[pki]") {
  test::ReferenceCa ca;
  ca.issue("revoked");
  ca.revoke("revoked");
  std::string pem = ca.crl();
  auto parsed = parseCrl("CRL of the plant CA\n" + pem);  // text around the block is ignored
  REQUIRE(parsed);
  CHECK(parsed->rfind("-----BEGIN X509 CRL-----\n", 0) == 0);
  auto info = describeCrl(*parsed);
  REQUIRE(info);
  auto caInfo = describeCertificate(test::readFile(ca.ca()));
  REQUIRE(caInfo);
  CHECK(info->issuer == caInfo->subject);
  CHECK(info->issuerDerHex == caInfo->subjectDerHex);
  CHECK(info->revoked == 1);
  CHECK(info->nextUpdate - info->lastUpdate == 30 * 86400);
  CHECK(info->authorityKeyId);
  REQUIRE(usableCrl(pem));
  CHECK(*usableCrl(pem) == *parsed);
  // Without authorityKeyIdentifier strongSwan would never find it: refused, saying why.
  std::string bare = ca.crl(false);
  REQUIRE(parseCrl(bare));
  CHECK_FALSE(describeCrl(*parseCrl(bare))->authorityKeyId);
  auto refused = usableCrl(bare);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("has no authorityKeyIdentifier extension") != std::string::npos);

  // DER, as XCA exports it too, becomes the same PEM.
  auto crlFile = ca.dir() / "with-aki.pem";
  test::writeFile(crlFile, pem);
  auto derFile = ca.dir() / "crl.der";
  test::openssl({"crl", "-in", crlFile.string(), "-outform", "DER", "-out", derFile.string()});
  auto fromDer = parseCrl(test::readFile(derFile));
  REQUIRE(fromDer);
  CHECK(*fromDer == *parsed);

  CHECK(parseCrl(test::readFile(ca.ca())).error() ==
        "No PEM CRL found (expected \"-----BEGIN X509 CRL-----\").");
  CHECK_FALSE(parseCrl(pem + pem));  // one at a time
  CHECK_FALSE(parseCrl(test::readFile(derFile).substr(0, 40)));  // cut short
  CHECK_FALSE(parseCrl(test::readFile(derFile) + "x"));
  CHECK_FALSE(parseCrl(""));
  // A line of the block missing: the DER inside is cut short.
  std::string damaged = pem;
  auto second = damaged.find('\n', damaged.find('\n') + 1);
  damaged.erase(damaged.find('\n') + 1, second - damaged.find('\n'));
  CHECK_FALSE(describeCrl(damaged));
  CHECK_FALSE(parseCrl(damaged));
}

TEST_CASE("a CRL over 64 KiB of DER is refused: IPsec could not take it", "[pki]") {
  test::ReferenceCa ca;
  // 3,500 revoked certificates, written straight into openssl ca's database.
  std::string index;
  for (int i = 1; i <= 3500; ++i) {
    index += fmt::format("R\t301231000000Z\t260101000000Z\t{:06X}\tunknown\t/CN=device{}\n", i, i);
  }
  test::writeFile(ca.dir() / "index.txt", index);
  std::string crl = ca.crl();
  auto der = crlDer(crl);
  REQUIRE(der);
  REQUIRE(der->size() > kMaxCrlDer);
  auto refused = usableCrl(crl);
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == fmt::format("The CRL is {} bytes in DER; IPsec takes CRLs of at most 65535 bytes.",
                                       der->size()));
}
