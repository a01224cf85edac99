// libFuzzer target for the parsers of uploaded certificates and keys
// (core/pki): importPkcs12() with a fixed password and with a password taken
// from the input, parsePemCertificates() and describeCertificate(), and the
// CRL parser parseCrl() (PEM or DER) with describeCrl(). Refusing
// is fine; crashing, a sanitizer report, or an answer that breaks the
// parsers' promises is a bug: an imported identity must pass checkIdentity(),
// and every certificate parsePemCertificates() returns must parse again, alone,
// to itself and be describable; a CRL parseCrl() returns must parse again to
// itself and be describable.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "pki/certificate.hpp"
#include "pki/pkcs12.hpp"

namespace {

using namespace bulwark;
using namespace bulwark::pki;

[[noreturn]] void broken(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "pki_fuzz: %.*s: %.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(detail.size()), detail.data());
  std::abort();
}

void checkImport(std::string_view der, std::string_view password) {
  auto identity = importPkcs12(der, password);
  if (!identity) return;
  if (Status s = checkIdentity(*identity); !s) broken("an imported identity does not check", s.message());
}

void checkPem(std::string_view pem) {
  auto certificates = parsePemCertificates(pem);
  if (!certificates) return;
  for (const std::string& one : *certificates) {
    auto again = parsePemCertificates(one);
    if (!again || again->size() != 1 || again->front() != one) broken("a returned certificate does not reparse", one);
    if (auto info = describeCertificate(one); !info) broken("a returned certificate cannot be described", info.error());
  }
}

void checkCrl(std::string_view input) {
  auto crl = parseCrl(input);
  if (!crl) return;
  auto again = parseCrl(*crl);
  if (!again || *again != *crl) broken("a returned CRL does not reparse", *crl);
  if (auto info = describeCrl(*crl); !info) broken("a returned CRL cannot be described", info.error());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The seed files are exported with the password "fuzz".
  checkImport(input, "fuzz");
  // The first byte says how many of the following bytes are the password.
  if (!input.empty()) {
    std::size_t length = std::min<std::size_t>(static_cast<unsigned char>(input[0]) % 16, input.size() - 1);
    checkImport(input.substr(1 + length), input.substr(1, length));
  }
  checkPem(input);
  checkCrl(input);
  (void)describeCertificate(input);
  return 0;
}
