#include "pki/certificate.hpp"

#include <fmt/format.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <limits>

#include "pki/ossl.hpp"

namespace bulwark::pki {

namespace {

using namespace std::chrono;

constexpr auto kBackdate = hours(1);           // clients whose clock is a little behind still accept it
constexpr auto kValidity = days(20 * 365 + 5);  // 20 years with their leap days
constexpr std::size_t kMaxSerialLength = 64;    // ub-common-name (RFC 5280)

struct PemBlock {
  char* name = nullptr;
  char* header = nullptr;
  unsigned char* data = nullptr;
  long length = 0;
  ~PemBlock() {
    OPENSSL_free(name);
    OPENSSL_free(header);
    OPENSSL_free(data);
  }
};

Result<std::string> readCertificateBlock(const PemBlock& block, std::size_t number) {
  std::string_view name(block.name);
  if (name != PEM_STRING_X509 && name != PEM_STRING_X509_OLD) {
    if (name.find("PRIVATE KEY") != std::string_view::npos) {
      return Error{fmt::format("PEM block {} is a private key, not a certificate; a private key does not belong here.",
                               number)};
    }
    return Error{fmt::format("PEM block {} is a \"{}\", not a certificate.", number, name)};
  }
  if (block.header && block.header[0] != '\0') {
    return Error{fmt::format("PEM block {} has headers; a certificate has none.", number)};
  }
  const unsigned char* p = block.data;
  ossl::Certificate certificate(d2i_X509(nullptr, &p, block.length));
  if (!certificate) return ossl::failure(fmt::format("PEM block {} is not a valid certificate", number));
  if (p != block.data + block.length) {
    return Error{fmt::format("PEM block {} has bytes after its certificate.", number)};
  }
  return ossl::certificatePem(certificate.get());
}

std::string nameText(const X509_NAME* name) {
  ossl::Bio out(BIO_new(BIO_s_mem()));
  // RFC 2253, but UTF-8 stays readable instead of becoming \C3\A4.
  if (!out || X509_NAME_print_ex(out.get(), name, 0, XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB) < 0) return {};
  return ossl::bioText(out.get());
}

std::string commonName(const X509_NAME* name) {
  int index = X509_NAME_get_index_by_NID(name, NID_commonName, -1);
  if (index < 0) return {};
  const ASN1_STRING* value = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
  unsigned char* utf8 = nullptr;
  int length = ASN1_STRING_to_UTF8(&utf8, value);
  if (length < 0) return {};
  std::string out(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(length));
  OPENSSL_free(utf8);
  return out;
}

std::time_t timeOf(const ASN1_TIME* time) {
  std::tm tm{};
  if (!time || ASN1_TIME_to_tm(time, &tm) != 1) return 0;
  return timegm(&tm);
}

std::string serialText(const X509* certificate) {
  ossl::Bignum serial(ASN1_INTEGER_to_BN(X509_get0_serialNumber(certificate), nullptr));
  if (!serial) return {};
  char* hex = BN_bn2hex(serial.get());
  if (!hex) return {};
  std::string out(hex);
  OPENSSL_free(hex);
  return out;
}

std::string fingerprint(const X509* certificate) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(certificate, EVP_sha256(), md, &length) != 1) return {};
  std::string out;
  for (unsigned int i = 0; i < length; ++i) out += fmt::format("{}{:02X}", i ? ":" : "", md[i]);
  return out;
}

std::string keyText(EVP_PKEY* key) {
  if (!key) return "unknown";
  if (EVP_PKEY_is_a(key, "RSA")) return fmt::format("RSA {}", EVP_PKEY_get_bits(key));
  if (EVP_PKEY_is_a(key, "EC")) {
    char group[64] = {};
    if (EVP_PKEY_get_group_name(key, group, sizeof group, nullptr) != 1) return "EC";
    const char* nist = EC_curve_nid2nist(OBJ_sn2nid(group));
    return fmt::format("EC {}", nist ? nist : group);
  }
  const char* name = EVP_PKEY_get0_type_name(key);
  return name ? name : "unknown";
}

std::string derHex(const X509_NAME* name) {
  const unsigned char* der = nullptr;
  std::size_t size = 0;
  std::string out;
  if (X509_NAME_get0_der(name, &der, &size) != 1) return out;
  constexpr std::string_view digits = "0123456789abcdef";
  for (std::size_t i = 0; i < size; ++i) {
    out += digits[der[i] >> 4];
    out += digits[der[i] & 0xf];
  }
  return out;
}

CertificateInfo describe(X509* certificate) {
  CertificateInfo info;
  info.subject = nameText(X509_get_subject_name(certificate));
  info.subjectDerHex = derHex(X509_get_subject_name(certificate));
  info.issuer = nameText(X509_get_issuer_name(certificate));
  info.commonName = commonName(X509_get_subject_name(certificate));
  info.notBefore = timeOf(X509_get0_notBefore(certificate));
  info.notAfter = timeOf(X509_get0_notAfter(certificate));
  info.serialHex = serialText(certificate);
  info.sha256Fingerprint = fingerprint(certificate);
  info.publicKey = keyText(X509_get0_pubkey(certificate));
  info.ca = (X509_get_extension_flags(certificate) & EXFLAG_CA) != 0;
  ERR_clear_error();
  return info;
}

bool isHostLabel(std::string_view s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
  });
}

Status checkSerial(std::string_view serial) {
  if (serial.empty()) return Error{"The device serial number is empty."};
  if (serial.size() > kMaxSerialLength) {
    return Error{fmt::format("The device serial number is longer than {} characters.", kMaxSerialLength)};
  }
  for (unsigned char c : serial) {
    if (c < 0x20 || c == 0x7f) return Error{"The device serial number contains a control character."};
  }
  return {};
}

Status addExtension(X509* certificate, X509V3_CTX* ctx, int nid, const std::string& value) {
  std::unique_ptr<X509_EXTENSION, ossl::Deleter<X509_EXTENSION_free>> ext(
      X509V3_EXT_nconf_nid(nullptr, ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(certificate, ext.get(), -1) != 1) {
    return ossl::failure(fmt::format("Cannot add the extension {} = {}", OBJ_nid2sn(nid), value));
  }
  return {};
}

Status setName(X509_NAME* name, std::string_view serial) {
  std::string cn(serial);
  const std::pair<const char*, const char*> entries[] = {{"O", "bulwark"}, {"OU", "Device"}, {"CN", cn.c_str()}};
  for (const auto& [field, value] : entries) {
    if (X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(value), -1,
                                   -1, 0) != 1) {
      return ossl::failure(fmt::format("Cannot put {}={} into the certificate subject", field, value));
    }
  }
  return {};
}

Status setRandomSerial(X509* certificate) {
  ossl::Bignum serial(BN_new());
  // 128 random bits with the top one set: always 16 bytes, always positive.
  if (!serial || BN_rand(serial.get(), 128, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1 ||
      !BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(certificate))) {
    return ossl::failure("Cannot make a certificate serial number");
  }
  return {};
}

Status setValidity(X509* certificate, system_clock::time_point now) {
  std::time_t from = system_clock::to_time_t(now - kBackdate);
  std::time_t until = system_clock::to_time_t(now + kValidity);
  if (!ASN1_TIME_set(X509_getm_notBefore(certificate), from) ||
      !ASN1_TIME_set(X509_getm_notAfter(certificate), until)) {
    return ossl::failure("Cannot set the certificate validity");
  }
  return {};
}

Status addServerExtensions(X509* certificate, std::string_view serial) {
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, certificate, certificate, nullptr, nullptr, 0);
  std::vector<std::pair<int, std::string>> extensions = {
      {NID_basic_constraints, "critical,CA:FALSE"},
      {NID_key_usage, "critical,digitalSignature"},
      {NID_ext_key_usage, "serverAuth"},
      {NID_subject_key_identifier, "hash"},
  };
  if (isHostLabel(serial)) extensions.emplace_back(NID_subject_alt_name, "DNS:" + std::string(serial));
  for (const auto& [nid, value] : extensions) {
    if (Status s = addExtension(certificate, &ctx, nid, value); !s) return s;
  }
  return {};
}

}  // namespace

Result<std::vector<std::string>> parsePemCertificates(std::string_view pem) {
  ERR_clear_error();
  ossl::Bio in = ossl::readBio(pem);
  if (!in) return Error{"The certificate file is too large."};
  std::vector<std::string> certificates;
  for (;;) {
    PemBlock block;
    if (PEM_read_bio(in.get(), &block.name, &block.header, &block.data, &block.length) != 1) {
      unsigned long code = ERR_peek_last_error();
      if (ERR_GET_LIB(code) == ERR_LIB_PEM && ERR_GET_REASON(code) == PEM_R_NO_START_LINE) break;
      return ossl::failure(fmt::format("PEM block {} is damaged", certificates.size() + 1));
    }
    auto certificate = readCertificateBlock(block, certificates.size() + 1);
    if (!certificate) return Error{certificate.error()};
    certificates.push_back(std::move(*certificate));
  }
  ERR_clear_error();
  if (certificates.empty()) return Error{"No PEM certificate found (expected \"-----BEGIN CERTIFICATE-----\")."};
  return certificates;
}

namespace {

using Crl = std::unique_ptr<X509_CRL, ossl::Deleter<X509_CRL_free>>;

Result<std::string> crlPem(X509_CRL* crl) {
  ossl::Bio out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509_CRL(out.get(), crl) != 1) return ossl::failure("Cannot write the CRL");
  return ossl::bioText(out.get());
}

// The one CRL of `pem`, or why there is none.
Result<Crl> readPemCrl(std::string_view pem) {
  ossl::Bio in = ossl::readBio(pem);
  if (!in) return Error{"The CRL is too large."};
  Crl crl(PEM_read_bio_X509_CRL(in.get(), nullptr, nullptr, nullptr));
  if (!crl) return ossl::failure("The PEM block is not a valid CRL");
  Crl second(PEM_read_bio_X509_CRL(in.get(), nullptr, nullptr, nullptr));
  ERR_clear_error();
  if (second) return Error{"The upload holds more than one CRL; upload each on its own."};
  return crl;
}

}  // namespace

Result<std::string> parseCrl(std::string_view data) {
  ERR_clear_error();
  if (data.find("-----BEGIN") != std::string_view::npos) {
    if (data.find("-----BEGIN X509 CRL-----") == std::string_view::npos) {
      return Error{"No PEM CRL found (expected \"-----BEGIN X509 CRL-----\")."};
    }
    auto crl = readPemCrl(data);
    if (!crl) return Error{crl.error()};
    return crlPem(crl->get());
  }
  const auto* p = reinterpret_cast<const unsigned char*>(data.data());
  if (data.size() > static_cast<std::size_t>(std::numeric_limits<long>::max())) return Error{"The CRL is too large."};
  Crl crl(d2i_X509_CRL(nullptr, &p, static_cast<long>(data.size())));
  if (!crl) return ossl::failure("The upload is neither a PEM nor a DER CRL");
  if (p != reinterpret_cast<const unsigned char*>(data.data()) + data.size()) {
    return Error{"The DER CRL has bytes after its end."};
  }
  return crlPem(crl.get());
}

Result<CrlInfo> describeCrl(std::string_view pem) {
  ERR_clear_error();
  auto crl = readPemCrl(pem);
  if (!crl) return Error{crl.error()};
  X509_CRL* c = crl->get();
  CrlInfo info;
  info.issuer = nameText(X509_CRL_get_issuer(c));
  info.issuerDerHex = derHex(X509_CRL_get_issuer(c));
  info.lastUpdate = timeOf(X509_CRL_get0_lastUpdate(c));
  info.nextUpdate = timeOf(X509_CRL_get0_nextUpdate(c));
  STACK_OF(X509_REVOKED)* revoked = X509_CRL_get_REVOKED(c);
  info.revoked = revoked ? static_cast<std::size_t>(sk_X509_REVOKED_num(revoked)) : 0;
  info.authorityKeyId = X509_CRL_get_ext_by_NID(c, NID_authority_key_identifier, -1) >= 0;
  return info;
}

Result<std::string> crlDer(std::string_view pem) {
  ERR_clear_error();
  auto crl = readPemCrl(pem);
  if (!crl) return Error{crl.error()};
  unsigned char* der = nullptr;
  int length = i2d_X509_CRL(crl->get(), &der);
  if (length < 0) return ossl::failure("Cannot encode the CRL");
  std::string out(reinterpret_cast<char*>(der), static_cast<std::size_t>(length));
  OPENSSL_free(der);
  return out;
}

Result<std::string> usableCrl(std::string_view data) {
  auto crl = parseCrl(data);
  if (!crl) return crl;
  auto der = crlDer(*crl);
  if (!der) return Error{der.error()};
  if (der->size() > kMaxCrlDer) {
    return Error{fmt::format("The CRL is {} bytes in DER; IPsec takes CRLs of at most {} bytes.", der->size(),
                             kMaxCrlDer)};
  }
  auto info = describeCrl(*crl);
  if (!info) return Error{info.error()};
  if (!info->authorityKeyId) {
    return Error{fmt::format("The CRL of {} has no authorityKeyIdentifier extension: IPsec finds a CA's CRL by the "
                             "CA's key, so this one would never be consulted. Issue it with the extension (XCA does "
                             "by default; openssl ca: crl_extensions with authorityKeyIdentifier = keyid:always).",
                             info->issuer)};
  }
  return crl;
}

Result<CertificateInfo> describeCertificate(std::string_view pem) {
  auto blocks = parsePemCertificates(pem);
  if (!blocks) return Error{blocks.error()};
  if (blocks->size() != 1) return Error{fmt::format("Expected one certificate, found {}.", blocks->size())};
  auto certificate = ossl::readCertificate(blocks->front());
  if (!certificate) return Error{certificate.error()};
  return describe(certificate->get());
}

std::string formatUtc(std::time_t t) {
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return "?";
  char text[64];
  std::size_t n = std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S UTC", &tm);
  return std::string(text, n);
}

bool keyMatchesCertificate(std::string_view certificatePem, std::string_view privateKeyPem) {
  auto certificate = ossl::readCertificate(certificatePem);
  auto key = ossl::readPrivateKey(privateKeyPem);
  return certificate && key && ossl::keyMatches(certificate->get(), key->get());
}

Status checkIdentity(const TlsIdentity& identity) {
  auto chain = parsePemCertificates(identity.certificateChainPem);
  if (!chain) return Error{"The certificate: " + chain.error()};
  auto certificate = ossl::readCertificate(chain->front());
  if (!certificate) return certificate.status();
  auto key = ossl::readPrivateKey(identity.privateKeyPem);
  if (!key) return key.status();
  if (!ossl::keyMatches(certificate->get(), key->get())) {
    return Error{"The private key does not belong to the certificate."};
  }
  return {};
}

Result<TlsIdentity> makeSelfSignedCertificate(std::string_view deviceSerial, system_clock::time_point now) {
  if (Status s = checkSerial(deviceSerial); !s) return Error{s.message()};
  ERR_clear_error();
  ossl::Key key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return ossl::failure("Cannot make an EC P-256 key");
  ossl::Certificate certificate(X509_new());
  if (!certificate) return ossl::failure("Cannot make a certificate");
  X509* x = certificate.get();
  if (X509_set_version(x, X509_VERSION_3) != 1 || X509_set_pubkey(x, key.get()) != 1) {
    return ossl::failure("Cannot make a certificate");
  }
  if (Status s = setRandomSerial(x); !s) return Error{s.message()};
  if (Status s = setValidity(x, now); !s) return Error{s.message()};
  if (Status s = setName(X509_get_subject_name(x), deviceSerial); !s) return Error{s.message()};
  if (X509_set_issuer_name(x, X509_get_subject_name(x)) != 1) return ossl::failure("Cannot set the issuer");
  if (Status s = addServerExtensions(x, deviceSerial); !s) return Error{s.message()};
  if (X509_sign(x, key.get(), EVP_sha256()) <= 0) return ossl::failure("Cannot sign the certificate");

  auto certificatePem = ossl::certificatePem(x);
  if (!certificatePem) return Error{certificatePem.error()};
  auto keyPem = ossl::privateKeyPem(key.get());
  if (!keyPem) return Error{keyPem.error()};
  return TlsIdentity{std::move(*certificatePem), std::move(*keyPem)};
}

}  // namespace bulwark::pki
