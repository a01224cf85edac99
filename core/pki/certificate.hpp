// Certificates and keys as the rest of bulwark sees them: PEM text in, PEM
// text out. Splits and checks uploaded CA certificates, describes a
// certificate for the WBM and the log, checks that a key belongs to a
// certificate, and makes the device's self-signed HTTPS certificate. OpenSSL
// stays inside the pki room. Key generation is CPU work: call these from a
// worker, not from the loop.
#pragma once

#include <chrono>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace bulwark::pki {

// A certificate with its private key, as a TLS server or an IPsec peer uses it.
struct TlsIdentity {
  std::string certificateChainPem;  // the leaf first, then the chain certificates that came with it
  std::string privateKeyPem;        // unencrypted PKCS#8 ("BEGIN PRIVATE KEY")
};

struct CertificateInfo {
  std::string subject;     // one line, RFC 2253: "CN=mGuard,OU=Support,O=PHOENIX CONTACT Cyber Security AG,C=DE"
  std::string subjectDerHex;  // the subject's DER encoding in lower-case hex, as it is (IKE's ID_DER_ASN1_DN)
  std::string issuer;      // the same form
  std::string commonName;  // the subject's CN, empty when it has none
  std::time_t notBefore = 0;
  std::time_t notAfter = 0;
  std::string serialHex;          // upper case, no separators: "01", "5A0F..."
  std::string sha256Fingerprint;  // upper case pairs with colons: "AB:01:..."
  std::string publicKey;          // "EC P-256", "RSA 4096", "ED25519"
  bool ca = false;                // basicConstraints CA:TRUE
};

// Splits PEM text into its certificates, one canonical PEM block each, in
// input order. Text outside the blocks (what `openssl x509 -text` or
// `openssl pkcs12` print around them) is ignored; a block that is not a
// certificate (a private key, a request), a damaged block, or no certificate
// at all is an error.
Result<std::vector<std::string>> parsePemCertificates(std::string_view pem);

// Describes the one certificate in `pem`.
Result<CertificateInfo> describeCertificate(std::string_view pem);

// A certificate revocation list (reference 6.8), as the WBM shows it.
struct CrlInfo {
  std::string issuer;        // RFC 2253, as CertificateInfo::subject
  std::string issuerDerHex;  // as CertificateInfo::subjectDerHex: compare with the CA's
  std::time_t lastUpdate = 0;
  std::time_t nextUpdate = 0;  // 0: the CRL names none
  std::size_t revoked = 0;     // how many certificates it revokes
  bool authorityKeyId = false;  // it names its CA's key (authorityKeyIdentifier), as strongSwan looks CRLs up
};

// One CRL in PEM ("-----BEGIN X509 CRL-----", text around it ignored) or
// DER, as XCA and `openssl ca -gencrl` export it, as one canonical PEM block.
// Anything else, or more than one CRL, is an error.
Result<std::string> parseCrl(std::string_view pemOrDer);
// Describes the CRL in `pem` (parseCrl's form).
Result<CrlInfo> describeCrl(std::string_view pem);
// parseCrl(), and the CRL must name its CA's key: strongSwan finds the CRL
// of a CA by the CA's key identifier, so one without authorityKeyIdentifier
// would never be consulted (the error says how to issue one that is); and
// its DER must fit one VICI value (kMaxCrlDer).
Result<std::string> usableCrl(std::string_view pemOrDer);
inline constexpr std::size_t kMaxCrlDer = 65535;
// The DER encoding of the CRL in `pem`.
Result<std::string> crlDer(std::string_view pem);

// "2046-05-01 12:00:00 UTC"
std::string formatUtc(std::time_t t);

// True when the private key is the one of the (first) certificate; false
// when either does not parse.
bool keyMatchesCertificate(std::string_view certificatePem, std::string_view privateKeyPem);

// Checks an identity before it is stored or used: at least one certificate,
// every block a certificate, one unencrypted private key that belongs to the
// first certificate.
Status checkIdentity(const TlsIdentity& identity);

// A fresh ECDSA P-256 key and a self-signed X.509 v3 server certificate for
// it: subject CN=<deviceSerial>, OU=Device, O=bulwark; a random 128-bit
// serial number; SHA-256; valid from an hour before `now` for 20 years;
// basicConstraints CA:FALSE (critical), keyUsage digitalSignature (critical),
// extendedKeyUsage serverAuth, subjectKeyIdentifier, and subjectAltName
// DNS:<deviceSerial> when the serial is a valid host name label.
Result<TlsIdentity> makeSelfSignedCertificate(std::string_view deviceSerial,
                                              std::chrono::system_clock::time_point now);

}  // namespace bulwark::pki
