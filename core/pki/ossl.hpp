// OpenSSL glue shared by the sources of the pki room, and only by them: owning
// pointers with the right deleters, memory BIOs to and from strings, PEM
// reading that never prompts for a pass phrase, and operator-readable text
// for what is on the OpenSSL error queue. Other rooms use certificate.hpp,
// pkcs12.hpp and store.hpp; they never see an OpenSSL type.
#pragma once

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "common/status.hpp"

namespace bulwark::pki::ossl {

template <auto free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    free(p);
  }
};

using Bio = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using Bignum = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using Key = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using Certificate = std::unique_ptr<X509, Deleter<X509_free>>;

// A read-only BIO over `data` (not copied: `data` must outlive it). Null when
// `data` is larger than a BIO can address.
Bio readBio(std::string_view data);
// Everything written so far into a memory BIO.
std::string bioText(BIO* bio);

// The reason of the newest error on the queue ("unsupported", "bad decrypt"),
// or "unknown error"; the queue is emptied.
std::string takeError();
// `what` + ": " + takeError().
Error failure(std::string_view what);

// One PEM certificate or private key. Encrypted keys are refused: nothing
// here may ever wait for a pass phrase on a terminal.
Result<Certificate> readCertificate(std::string_view pem);
Result<Key> readPrivateKey(std::string_view pem);

Result<std::string> certificatePem(X509* certificate);
Result<std::string> privateKeyPem(EVP_PKEY* key);

// True when `key` is the private half of the certificate's public key.
bool keyMatches(X509* certificate, EVP_PKEY* key);

}  // namespace bulwark::pki::ossl
