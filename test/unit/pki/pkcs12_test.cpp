#include <catch2/catch.hpp>

#include "build_config.hpp"
#include "pki/certificate.hpp"
#include "pki/pkcs12.hpp"
#include "pki/reference_ca.hpp"
#include "support/support.hpp"

using namespace bulwark;
using namespace bulwark::pki;

namespace {

constexpr const char* kWrongPassword = "Wrong password, or a damaged PKCS#12 file.";

// The CA and the machine certificate "mGuard", as chapter 5 makes them.
struct Machine {
  test::ReferenceCa& ca = test::sharedCa();
  std::string p12(const std::string& password, const std::vector<std::string>& extra = {}) {
    return test::readFile(ca.exportPkcs12("mGuard", password, extra));
  }
};

std::vector<std::string> subjects(const TlsIdentity& identity) {
  std::vector<std::string> out;
  auto certificates = parsePemCertificates(identity.certificateChainPem);
  REQUIRE(certificates);
  for (const auto& pem : *certificates) out.push_back(describeCertificate(pem)->commonName);
  return out;
}

}  // namespace

TEST_CASE("a machine certificate exported with the reference's chapter 5.7 command imports", "[pki]") {
  Machine m;
  // openssl pkcs12 -export -in certs/mGuard.crt -inkey private/mGuard.key -out certs/mGuard.p12
  auto identity = importPkcs12(m.p12("export secret"), "export secret");
  REQUIRE(identity);
  CHECK(subjects(*identity) == std::vector<std::string>{"mGuard"});
  CHECK(identity->certificateChainPem == test::openssl({"x509", "-in", m.ca.certificate("mGuard")}));
  // The very key of private/mGuard.key, unencrypted.
  CHECK(identity->privateKeyPem == m.ca.clearKey("mGuard"));
  CHECK(checkIdentity(*identity));
}

TEST_CASE("the CA chain in a PKCS#12 file follows the machine certificate", "[pki]") {
  Machine m;
  std::string chain = test::readFile(m.ca.certificate("other")) + test::readFile(m.ca.ca());
  test::writeFile(m.ca.dir() / "chain.pem", chain);
  auto identity = importPkcs12(m.p12("pw", {"-certfile", (m.ca.dir() / "chain.pem").string()}), "pw");
  REQUIRE(identity);
  // The leaf, its issuer, then the certificate that belongs to neither.
  CHECK(subjects(*identity) == std::vector<std::string>{"mGuard", "CA", "other"});
}

TEST_CASE("legacy PKCS#12 files (RC2-40, 3DES) import with the legacy provider or are refused with advice",
          "[pki]") {
  Machine m;
  std::string legacy = m.p12("old", {"-legacy"});
  // What OpenSSL 1.x wrote by default: certificates under RC2-40, the key under 3DES.
  auto err = test::tryOpenssl({"pkcs12", "-in", (m.ca.dir() / "certs" / "mGuard.p12").string(), "-info",
                               "-noout", "-legacy", "-passin", "pass:old"})
                 .err;
  REQUIRE(err.find("pbeWithSHA1And40BitRC2-CBC") != std::string::npos);
  REQUIRE(err.find("pbeWithSHA1And3-KeyTripleDES-CBC") != std::string::npos);

  auto identity = importPkcs12(legacy, "old");
  if (build::staticBinary) {
    CHECK(identity.error().find("legacy algorithm (RC2-40") != std::string::npos);
  } else {
    REQUIRE(identity);
    CHECK(subjects(*identity) == std::vector<std::string>{"mGuard"});
    CHECK(identity->privateKeyPem == m.ca.clearKey("mGuard"));
  }
  CHECK(importPkcs12(legacy, "wrong").error() == kWrongPassword);

  auto refused = importPkcs12(legacy, "old", LegacyPkcs12::Refuse);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().find("legacy algorithm (RC2-40") != std::string::npos);
  CHECK(refused.error().find("-certpbe AES-256-CBC -keypbe AES-256-CBC") != std::string::npos);

  // 3DES alone is in OpenSSL's default provider: no legacy provider needed.
  auto tripleDes = importPkcs12(m.p12("old", {"-certpbe", "PBE-SHA1-3DES", "-keypbe", "PBE-SHA1-3DES", "-macalg",
                                              "sha1"}),
                                "old", LegacyPkcs12::Refuse);
  CHECK(tripleDes);
}

TEST_CASE("a wrong password is refused", "[pki]") {
  Machine m;
  std::string p12 = m.p12("right");
  CHECK(importPkcs12(p12, "wrong").error() == kWrongPassword);
  CHECK(importPkcs12(p12, "").error() == kWrongPassword);
  CHECK(importPkcs12(p12, "righ").error() == kWrongPassword);
  CHECK(importPkcs12(p12, std::string("right\0", 6)).error() == "A password must not contain a NUL byte.");
}

TEST_CASE("a PKCS#12 file without an integrity check is refused", "[pki]") {
  Machine m;
  std::string noMac = m.p12("right", {"-nomac"});
  CHECK(importPkcs12(noMac, "right").error() ==
        "The PKCS#12 file has no integrity check (MAC). Export it again without \"-nomac\".");
}

TEST_CASE("an empty export password works", "[pki]") {
  Machine m;
  auto identity = importPkcs12(m.p12(""), "");
  REQUIRE(identity);
  CHECK(importPkcs12(m.p12(""), "x").error() == kWrongPassword);
}

TEST_CASE("a PKCS#12 file without a key, without a certificate, or with a foreign key is refused", "[pki]") {
  Machine m;
  std::string passin = std::string("pass:") + test::ReferenceCa::kKeyPassphrase;
  auto out = (m.ca.dir() / "x.p12").string();

  test::openssl({"pkcs12", "-export", "-nokeys", "-in", m.ca.certificate("mGuard"), "-passout", "pass:pw", "-out", out});
  CHECK(importPkcs12(test::readFile(out), "pw").error() == "The PKCS#12 file contains no private key.");

  test::openssl({"pkcs12", "-export", "-nocerts", "-inkey", m.ca.key("mGuard"), "-passin", passin, "-passout",
                 "pass:pw", "-out", out});
  CHECK(importPkcs12(test::readFile(out), "pw").error() == "The PKCS#12 file contains no certificate.");

  test::openssl({"pkcs12", "-export", "-nocerts", "-inkey", m.ca.key("mGuard"), "-certfile",
                 m.ca.certificate("other"), "-passin", passin, "-passout", "pass:pw", "-out", out});
  CHECK(importPkcs12(test::readFile(out), "pw").error() ==
        "The private key in the PKCS#12 file does not belong to any of its certificates.");
}

TEST_CASE("what is not a PKCS#12 file is refused", "[pki]") {
  Machine m;
  CHECK(importPkcs12("", "pw").error() == "The PKCS#12 file is empty.");
  CHECK(importPkcs12("garbage", "pw").error() == "The file is not a PKCS#12 file, or it is damaged.");
  CHECK(importPkcs12(test::readFile(m.ca.certificate("mGuard")), "pw").error() ==
        "The file is not a PKCS#12 file, or it is damaged.");
  std::string p12 = m.p12("pw");
  CHECK_FALSE(importPkcs12(p12.substr(0, p12.size() / 2), "pw"));
  std::string flipped = p12;
  flipped[flipped.size() / 2] ^= 0x01;  // inside the encrypted data: the integrity check fails
  CHECK(importPkcs12(flipped, "pw").error() == kWrongPassword);
  CHECK(importPkcs12(std::string(2 << 20, '0'), "pw").error() == "The PKCS#12 file is larger than 1 MiB.");
}

TEST_CASE("a PKCS#12 file that asks for too many key derivation iterations is refused at once", "[pki]") {
  Machine m;
  std::vector<std::string> tooMany{"-iter", "1000001"};
  // -nomaciter only counts after -iter.
  auto refused = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> options = tooMany;
    options.insert(options.end(), extra.begin(), extra.end());
    return importPkcs12(m.p12("pw", options), "pw").error();
  };
  CHECK(refused({}) ==
        "The PKCS#12 file asks for 1000001 iterations of its integrity check; at most 1000000 are accepted.");
  // -nomaciter: the MAC with one iteration, only the encryption with many.
  CHECK(refused({"-nomaciter"}) ==
        "The PKCS#12 file asks for 1000001 iterations of its encryption; at most 1000000 are accepted.");
  CHECK(refused({"-nomaciter", "-certpbe", "NONE"}) ==
        "The PKCS#12 file asks for 1000001 iterations of its key encryption; at most 1000000 are accepted.");
  CHECK(importPkcs12(m.p12("pw", {"-iter", "1000000", "-nomaciter", "-certpbe", "NONE"}), "pw"));
}
