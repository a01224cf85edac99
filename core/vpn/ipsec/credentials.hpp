// What X.509 connections authenticate with, for charon: the machine
// certificate of each connection read from the data directory
// (pki/store.hpp), and the load-cert and load-key requests that give charon
// the certificates and the private key before the connection that uses them
// is loaded (VICI answers in order).
//
// The private key is read when it is loaded and not kept: it is in no
// Connection value (those are compared, kept and shown as state) and in no
// error text or log line. charon keeps a loaded key until it stops, which
// it does when no connection is wanted any more.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "vpn/ipsec/connection.hpp"
#include "vpn/ipsec/vici.hpp"

namespace bulwark::ipsec {

// Fills in x509.localCert and x509.localSubject of every X.509 connection
// that names a machine certificate, or x509.problem when it cannot be read.
// Two small files per certificate, read on the loop when the configuration
// changes, as the web server reads its certificate.
void resolveMachineCertificates(std::vector<Connection>& connections, const std::filesystem::path& dataDir);

struct ViciRequest {
  std::string command;  // "load-cert", "load-key"
  vici::Message message;
  std::string what;     // for the log: "its machine certificate", ...
};

// The requests that give charon what the X.509 connection authenticates
// with, in order: load-cert of the machine certificate, of the CA
// certificate (flag CA: a trust anchor), of the pinned peer certificate,
// of every CRL (type X509_CRL), then load-key of `privateKeyPem` (the machine certificate's key). Empty
// for a pre-shared key connection.
std::vector<ViciRequest> credentialRequests(const Connection& connection, std::string_view privateKeyPem);

}  // namespace bulwark::ipsec
