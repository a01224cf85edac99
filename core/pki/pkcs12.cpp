#include "pki/pkcs12.hpp"

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/pkcs12.h>
#include <openssl/provider.h>
#include <openssl/x509v3.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "build_config.hpp"
#include "pki/ossl.hpp"

namespace bulwark::pki {

namespace {

constexpr std::size_t kMaxFileSize = 1 << 20;
// OpenSSL and Windows write 2048 or 2000, some tools 600000. A file that asks
// for more would hold a worker for seconds per key derivation.
constexpr std::int64_t kMaxIterations = 1'000'000;

constexpr const char* kWrongPassword = "Wrong password, or a damaged PKCS#12 file.";
constexpr const char* kNoMac =
    "The PKCS#12 file has no integrity check (MAC). Export it again without \"-nomac\".";
constexpr const char* kLegacyAdvice =
    "The PKCS#12 file is encrypted with a legacy algorithm (RC2-40, the default of OpenSSL 1.x and of many "
    "Windows exports) that this device cannot read. Export it again with OpenSSL 3, or add "
    "\"-certpbe AES-256-CBC -keypbe AES-256-CBC -macalg sha256\" to the \"openssl pkcs12 -export\" command.";

void freeCertificates(STACK_OF(X509) * certificates) { sk_X509_pop_free(certificates, X509_free); }
void freeSafes(STACK_OF(PKCS7) * safes) { sk_PKCS7_pop_free(safes, PKCS7_free); }
void freeBags(STACK_OF(PKCS12_SAFEBAG) * bags) { sk_PKCS12_SAFEBAG_pop_free(bags, PKCS12_SAFEBAG_free); }

using Pkcs12 = std::unique_ptr<PKCS12, ossl::Deleter<PKCS12_free>>;
using Certificates = std::unique_ptr<STACK_OF(X509), ossl::Deleter<freeCertificates>>;
using Safes = std::unique_ptr<STACK_OF(PKCS7), ossl::Deleter<freeSafes>>;
using Bags = std::unique_ptr<STACK_OF(PKCS12_SAFEBAG), ossl::Deleter<freeBags>>;
using LibContext = std::unique_ptr<OSSL_LIB_CTX, ossl::Deleter<OSSL_LIB_CTX_free>>;
using Provider = std::unique_ptr<OSSL_PROVIDER, ossl::Deleter<OSSL_PROVIDER_unload>>;

// Makes `context` this thread's default OpenSSL library context while it
// lives: PKCS12_parse() has no parameter for one.
class ScopedDefaultContext {
 public:
  explicit ScopedDefaultContext(OSSL_LIB_CTX* context) : previous_(OSSL_LIB_CTX_set0_default(context)) {}
  ~ScopedDefaultContext() {
    if (previous_) OSSL_LIB_CTX_set0_default(previous_);
  }
  bool active() const { return previous_ != nullptr; }
  ScopedDefaultContext(const ScopedDefaultContext&) = delete;
  ScopedDefaultContext& operator=(const ScopedDefaultContext&) = delete;

 private:
  OSSL_LIB_CTX* previous_;
};

// True when OpenSSL failed for want of an algorithm (RC2 without the legacy
// provider). Empties the error queue.
bool takeUnsupported() {
  bool unsupported = false;
  while (unsigned long code = ERR_get_error()) {
    if (ERR_GET_REASON(code) == ERR_R_UNSUPPORTED) unsupported = true;
  }
  return unsupported;
}

template <typename T, auto decode, auto free>
std::int64_t decodeIterations(const ASN1_STRING* params, ASN1_INTEGER* T::*field) {
  const unsigned char* p = ASN1_STRING_get0_data(params);
  std::unique_ptr<T, ossl::Deleter<free>> decoded(decode(nullptr, &p, ASN1_STRING_length(params)));
  std::int64_t n = 0;
  if (!decoded || !(decoded.get()->*field)) return 0;
  // Larger than 64 bits counts as too many.
  return ASN1_INTEGER_get_int64(&n, decoded.get()->*field) == 1 ? n : INT64_MAX;
}

// The iteration count of a PKCS#12 or PKCS#5 v2 (PBKDF2) password-based
// encryption; 0 when there is none or it does not decode (OpenSSL then fails
// on it by itself).
std::int64_t iterationsOf(const X509_ALGOR* algorithm) {
  if (!algorithm) return 0;
  const ASN1_OBJECT* oid = nullptr;
  int type = 0;
  const void* value = nullptr;
  X509_ALGOR_get0(&oid, &type, &value, algorithm);
  if (type != V_ASN1_SEQUENCE || !value) return 0;
  const auto* params = static_cast<const ASN1_STRING*>(value);
  if (OBJ_obj2nid(oid) != NID_pbes2) {
    return decodeIterations<PBEPARAM, d2i_PBEPARAM, PBEPARAM_free>(params, &PBEPARAM::iter);
  }
  const unsigned char* p = ASN1_STRING_get0_data(params);
  std::unique_ptr<PBE2PARAM, ossl::Deleter<PBE2PARAM_free>> pbes2(
      d2i_PBE2PARAM(nullptr, &p, ASN1_STRING_length(params)));
  if (!pbes2 || !pbes2->keyfunc) return 0;
  X509_ALGOR_get0(&oid, &type, &value, pbes2->keyfunc);
  if (OBJ_obj2nid(oid) != NID_id_pbkdf2 || type != V_ASN1_SEQUENCE || !value) return 0;
  return decodeIterations<PBKDF2PARAM, d2i_PBKDF2PARAM, PBKDF2PARAM_free>(static_cast<const ASN1_STRING*>(value),
                                                                         &PBKDF2PARAM::iter);
}

Status checkIterationCount(std::int64_t iterations, std::string_view what) {
  if (iterations <= kMaxIterations) return {};
  return Error{fmt::format("The PKCS#12 file asks for {} iterations of its {}; at most {} are accepted.",
                           iterations, what, kMaxIterations)};
}

// Refuses absurd iteration counts before anything is derived: those of the
// MAC, of the encrypted parts and of the keys outside them. (A key inside an
// encrypted part is read by OpenSSL with whatever count it has.)
Status checkIterations(const PKCS12* p12) {
  const ASN1_INTEGER* macIterations = nullptr;
  PKCS12_get0_mac(nullptr, nullptr, nullptr, &macIterations, p12);
  std::int64_t n = 0;
  if (macIterations && ASN1_INTEGER_get_int64(&n, macIterations) != 1) n = INT64_MAX;
  if (Status s = checkIterationCount(n, "integrity check"); !s) return s;
  Safes safes(PKCS12_unpack_authsafes(p12));
  for (int i = 0; safes && i < sk_PKCS7_num(safes.get()); ++i) {
    PKCS7* safe = sk_PKCS7_value(safes.get(), i);
    int nid = OBJ_obj2nid(safe->type);
    if (nid == NID_pkcs7_encrypted && safe->d.encrypted && safe->d.encrypted->enc_data) {
      std::int64_t n = iterationsOf(safe->d.encrypted->enc_data->algorithm);
      if (Status s = checkIterationCount(n, "encryption"); !s) return s;
    } else if (nid == NID_pkcs7_data) {
      Bags bags(PKCS12_unpack_p7data(safe));
      for (int j = 0; bags && j < sk_PKCS12_SAFEBAG_num(bags.get()); ++j) {
        const PKCS12_SAFEBAG* bag = sk_PKCS12_SAFEBAG_value(bags.get(), j);
        if (PKCS12_SAFEBAG_get_nid(bag) != NID_pkcs8ShroudedKeyBag) continue;
        const X509_ALGOR* algorithm = nullptr;
        X509_SIG_get0(PKCS12_SAFEBAG_get0_pkcs8(bag), &algorithm, nullptr);
        if (Status s = checkIterationCount(iterationsOf(algorithm), "key encryption"); !s) return s;
      }
    }
  }
  ERR_clear_error();
  return {};
}

bool macMatches(PKCS12* p12, const std::string& password) {
  if (PKCS12_verify_mac(p12, password.c_str(), -1) == 1) return true;
  // Like PKCS12_parse(): an empty password is tried both as "" and as absent.
  return password.empty() && PKCS12_verify_mac(p12, nullptr, 0) == 1;
}

// The leaf, then its issuer, that one's issuer and so on as far as the file
// has them, then whatever else the file holds, in file order.
std::vector<X509*> chainOrder(X509* leaf, STACK_OF(X509) * others) {
  std::vector<X509*> rest;
  // PKCS12_parse() hands the other certificates over in reverse file order.
  for (int i = sk_X509_num(others) - 1; i >= 0; --i) rest.push_back(sk_X509_value(others, i));
  std::vector<X509*> chain{leaf};
  for (bool found = true; found;) {
    found = false;
    for (auto it = rest.begin(); it != rest.end(); ++it) {
      if (X509_check_issued(*it, chain.back()) == X509_V_OK) {
        chain.push_back(*it);
        rest.erase(it);
        found = true;
        break;
      }
    }
  }
  chain.insert(chain.end(), rest.begin(), rest.end());
  return chain;
}

Result<TlsIdentity> toIdentity(X509* leaf, STACK_OF(X509) * others, EVP_PKEY* key) {
  TlsIdentity identity;
  for (X509* certificate : chainOrder(leaf, others)) {
    auto pem = ossl::certificatePem(certificate);
    if (!pem) return Error{pem.error()};
    identity.certificateChainPem += *pem;
  }
  auto keyPem = ossl::privateKeyPem(key);
  if (!keyPem) return Error{keyPem.error()};
  identity.privateKeyPem = std::move(*keyPem);
  return identity;
}

// Reads the file with the current default library context. `unsupported` is
// set when it failed for want of an algorithm.
Result<TlsIdentity> readPkcs12(std::string_view der, const std::string& password, bool& unsupported) {
  unsupported = false;
  ossl::Bio in = ossl::readBio(der);
  Pkcs12 p12(in ? d2i_PKCS12_bio(in.get(), nullptr) : nullptr);
  if (!p12) {
    ERR_clear_error();
    return Error{"The file is not a PKCS#12 file, or it is damaged."};
  }
  // PKCS12_parse() of OpenSSL 3.0 cannot read these with a password anyway.
  if (!PKCS12_mac_present(p12.get())) return Error{kNoMac};
  if (Status s = checkIterations(p12.get()); !s) return Error{s.message()};
  if (!macMatches(p12.get(), password)) {
    unsupported = takeUnsupported();
    return Error{kWrongPassword};
  }

  EVP_PKEY* rawKey = nullptr;
  X509* rawLeaf = nullptr;
  STACK_OF(X509)* rawOthers = nullptr;
  int parsed = PKCS12_parse(p12.get(), password.c_str(), &rawKey, &rawLeaf, &rawOthers);
  ossl::Key key(rawKey);
  ossl::Certificate leaf(rawLeaf);
  Certificates others(rawOthers);
  if (parsed != 1) {
    unsupported = takeUnsupported();
    // With the integrity check passed, the password was right.
    return Error{"The PKCS#12 file is damaged."};
  }
  ERR_clear_error();
  if (!key) return Error{"The PKCS#12 file contains no private key."};
  if (!leaf) {
    if (sk_X509_num(others.get()) > 0) {
      return Error{"The private key in the PKCS#12 file does not belong to any of its certificates."};
    }
    return Error{"The PKCS#12 file contains no certificate."};
  }
  if (!ossl::keyMatches(leaf.get(), key.get())) {
    return Error{"The private key in the PKCS#12 file does not belong to its certificate."};
  }
  return toIdentity(leaf.get(), others.get(), key.get());
}

// Reads the file again in a private library context with the default and
// the legacy provider. Every OpenSSL object made there is gone before the
// context is.
Result<TlsIdentity> readWithLegacyProvider(std::string_view der, const std::string& password) {
  LibContext context(OSSL_LIB_CTX_new());
  Provider base(context ? OSSL_PROVIDER_load(context.get(), "default") : nullptr);
  Provider legacy(base ? OSSL_PROVIDER_load(context.get(), "legacy") : nullptr);
  ERR_clear_error();
  if (!legacy) return Error{kLegacyAdvice};
  ScopedDefaultContext scope(context.get());
  if (!scope.active()) return Error{kLegacyAdvice};
  bool unsupported = false;
  auto identity = readPkcs12(der, password, unsupported);
  if (!identity && unsupported) {
    return Error{"The PKCS#12 file uses an algorithm that OpenSSL does not have, not even in its legacy provider."};
  }
  return identity;
}

}  // namespace

Result<TlsIdentity> importPkcs12(std::string_view der, std::string_view password, LegacyPkcs12 legacy) {
  if (der.empty()) return Error{"The PKCS#12 file is empty."};
  if (der.size() > kMaxFileSize) return Error{"The PKCS#12 file is larger than 1 MiB."};
  if (password.find('\0') != std::string_view::npos) return Error{"A password must not contain a NUL byte."};
  std::string pass(password);
  ERR_clear_error();
  bool unsupported = false;
  auto identity = readPkcs12(der, pass, unsupported);
  if (identity || !unsupported) return identity;
  // The legacy module links the shared libcrypto: a static binary must not load it.
  if (legacy == LegacyPkcs12::Refuse || build::staticBinary) return Error{kLegacyAdvice};
  return readWithLegacyProvider(der, pass);
}

}  // namespace bulwark::pki
