// PKCS#12 import of machine certificates, as the reference's
// "Authentication >> Certificates >> Machine Certificates" takes them: a
// password-protected file with one private key, its certificate and,
// optionally, the CA chain (reference ch. 5.7 makes such files with
// `openssl pkcs12 -export -in mGuard.crt -inkey mGuard.key -out mGuard.p12`).
//
// Files of OpenSSL 3 (AES-256-CBC, PBKDF2, HMAC-SHA256) and files with
// 3DES keys read with OpenSSL's default algorithms. Files of OpenSSL 1.x
// and many Windows exports encrypt the certificates with RC2-40, which
// OpenSSL 3 has only in its legacy provider: such a file is read a second
// time in a private OpenSSL library context that loads the legacy provider
// (the process-wide default context is never changed). Where that provider
// cannot be loaded, the import fails and says how to re-export the file. The
// static appliance binary never tries: the provider module (legacy.so) links
// the shared libcrypto, which must not come into a static process.
//
// CPU work (key derivation): call it from a worker, not from the loop.
#pragma once

#include <string_view>

#include "common/status.hpp"
#include "pki/certificate.hpp"

namespace bulwark::pki {

enum class LegacyPkcs12 {
  LoadProviderIfAvailable,  // read RC2/RC4/DES files when OpenSSL's legacy provider can be loaded (dynamic builds)
  Refuse,                   // never load it; such files fail with the re-export advice
};

// The identity in a PKCS#12 file (DER bytes): its private key, the
// certificate of that key first in the chain, then the file's other
// certificates, issuer after subject where they chain. Fails on a wrong
// password, a damaged file, a file without a private key or without the
// certificate of its key, a file without an integrity check (MAC, which
// `openssl pkcs12 -export` always writes unless told -nomac), more than
// 1000000 key derivation iterations, and (with a message that says how to
// re-export) legacy algorithms that cannot be read.
Result<TlsIdentity> importPkcs12(std::string_view der, std::string_view password,
                                 LegacyPkcs12 legacy = LegacyPkcs12::LoadProviderIfAvailable);

}  // namespace bulwark::pki
