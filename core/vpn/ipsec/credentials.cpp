#include "vpn/ipsec/credentials.hpp"

#include "pki/certificate.hpp"
#include "pki/store.hpp"

namespace bulwark::ipsec {

namespace {

vici::Message certificate(std::string_view flag, const std::string& pem) {
  return vici::Message{}.add("type", "X509").add("flag", flag).add("data", pem);
}

}  // namespace

void resolveMachineCertificates(std::vector<Connection>& connections, const std::filesystem::path& dataDir) {
  for (Connection& c : connections) {
    X509Credentials& x = c.x509;
    if (c.auth != AuthMethod::X509 || x.localCertRef.empty()) continue;
    auto identity = pki::loadMachineIdentity(dataDir, x.localCertRef);
    if (!identity) {
      x.problem = "the machine certificate of LOCAL_CERT_REF is not usable: " + identity.error();
      continue;
    }
    auto chain = pki::parsePemCertificates(identity->certificateChainPem);
    auto info = chain ? pki::describeCertificate(chain->front()) : Result<pki::CertificateInfo>(Error{chain.error()});
    if (!info) {
      x.problem = "the machine certificate of LOCAL_CERT_REF is not usable: " + info.error();
      continue;
    }
    x.localCert = chain->front();
    x.localSubject = info->subjectDerHex;
  }
}

std::vector<ViciRequest> credentialRequests(const Connection& c, std::string_view privateKeyPem) {
  std::vector<ViciRequest> out;
  if (c.auth != AuthMethod::X509) return out;
  const X509Credentials& x = c.x509;
  out.push_back({"load-cert", certificate("NONE", x.localCert), "its machine certificate"});
  if (!x.remoteCa.empty()) out.push_back({"load-cert", certificate("CA", x.remoteCa), "its CA certificate"});
  if (!x.remoteCert.empty()) {
    out.push_back({"load-cert", certificate("NONE", x.remoteCert), "its peer certificate"});
  }
  // In DER: a quarter smaller than PEM, for VICI's 64 KiB values.
  for (const std::string& crl : x.crls) {
    auto der = pki::crlDer(crl);
    out.push_back({"load-cert",
                   vici::Message{}.add("type", "X509_CRL").add("flag", "NONE").add("data", der ? *der : crl),
                   "a CRL"});
  }
  out.push_back({"load-key", vici::Message{}.add("type", "any").add("data", privateKeyPem), "its private key"});
  return out;
}

}  // namespace bulwark::ipsec
