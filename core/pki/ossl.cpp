#include "pki/ossl.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>

#include <climits>

namespace bulwark::pki::ossl {

namespace {

// Refuses instead of prompting: OpenSSL's default would read the terminal.
int noPassphrase(char*, int, int, void*) { return -1; }

}  // namespace

Bio readBio(std::string_view data) {
  if (data.size() > static_cast<std::size_t>(INT_MAX)) return nullptr;
  return Bio(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

std::string bioText(BIO* bio) {
  char* data = nullptr;
  long size = BIO_get_mem_data(bio, &data);
  if (size <= 0 || !data) return {};
  return std::string(data, static_cast<std::size_t>(size));
}

std::string takeError() {
  unsigned long code = ERR_peek_last_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  const char* reason = ERR_reason_error_string(code);
  return reason ? reason : "error " + std::to_string(ERR_GET_REASON(code));
}

Error failure(std::string_view what) { return Error{std::string(what) + ": " + takeError()}; }

Result<Certificate> readCertificate(std::string_view pem) {
  Bio in = readBio(pem);
  if (!in) return Error{"The certificate is too large."};
  Certificate certificate(PEM_read_bio_X509(in.get(), nullptr, noPassphrase, nullptr));
  if (!certificate) return failure("No PEM certificate could be read");
  return certificate;
}

Result<Key> readPrivateKey(std::string_view pem) {
  Bio in = readBio(pem);
  if (!in) return Error{"The private key is too large."};
  Key key(PEM_read_bio_PrivateKey(in.get(), nullptr, noPassphrase, nullptr));
  if (!key) return failure("No unencrypted PEM private key could be read");
  return key;
}

Result<std::string> certificatePem(X509* certificate) {
  Bio out(BIO_new(BIO_s_mem()));
  if (!out || PEM_write_bio_X509(out.get(), certificate) != 1) return failure("Cannot write the certificate");
  return bioText(out.get());
}

Result<std::string> privateKeyPem(EVP_PKEY* key) {
  // A secure-memory BIO is cleared when it is freed.
  Bio out(BIO_new(BIO_s_secmem()));
  if (!out || PEM_write_bio_PrivateKey(out.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return failure("Cannot write the private key");
  }
  return bioText(out.get());
}

bool keyMatches(X509* certificate, EVP_PKEY* key) {
  EVP_PKEY* pub = X509_get0_pubkey(certificate);
  bool match = pub && key && EVP_PKEY_eq(pub, key) == 1;
  ERR_clear_error();
  return match;
}

}  // namespace bulwark::pki::ossl
