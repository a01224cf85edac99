// A certification authority made the way chapter 5 of the reference makes
// one, with the openssl command line: its openssl.conf, index.txt, serial,
// certs/, newcerts/ and private/, then `openssl req`, `openssl ca` and
// `openssl pkcs12 -export`. Pass phrases come on the command line instead of
// the terminal. The PKI tests use it for files "as a user makes them".
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "support/support.hpp"

namespace bulwark::test {

// Runs the openssl program (found by CMake) with `args`; fails the test
// when it does not exit with 0. Returns its standard output.
std::string openssl(const std::vector<std::string>& args);
// The same, but hands back the whole result for tests that expect a failure.
ProcessResult tryOpenssl(const std::vector<std::string>& args);

std::string readFile(const std::filesystem::path& path);
void writeFile(const std::filesystem::path& path, const std::string& data);

class ReferenceCa {
 public:
  // Chapter 5.2 to 5.4: the directory tree, openssl.conf and certs/ca.crt
  // with private/ca.key.
  ReferenceCa();

  // Chapter 5.5 and 5.6: private/NAME.key and certs/NAME.crt, signed by the CA.
  void issue(const std::string& name);
  // Chapter 5.7: certs/NAME.p12 protected by `password`; `extra` options go
  // before -out (e.g. {"-legacy"}, {"-certfile", ca()}).
  std::filesystem::path exportPkcs12(const std::string& name, const std::string& password,
                                     const std::vector<std::string>& extra = {});

  // Revokes certs/NAME.crt (openssl ca -revoke; reference 6.8 does it with XCA).
  void revoke(const std::string& name);
  // The CA's CRL of the certificates revoked so far, in PEM (openssl ca
  // -gencrl, valid 30 days), naming the CA's key (authorityKeyIdentifier)
  // unless `authorityKeyId` is false.
  std::string crl(bool authorityKeyId = true);

  std::filesystem::path dir() const { return tmp_.path(); }
  std::string ca() const { return (tmp_.path() / "certs" / "ca.crt").string(); }
  std::string certificate(const std::string& name) const;
  std::string key(const std::string& name) const;
  // The private key of NAME, decrypted, as unencrypted PKCS#8 PEM.
  std::string clearKey(const std::string& name) const;

  static constexpr const char* kKeyPassphrase = "key pass phrase";

 private:
  TempDir tmp_;
};

// One CA for the whole test program, with "mGuard" and "other" issued (RSA
// key generation is what makes these tests slow). Tests only read it and
// export from it.
ReferenceCa& sharedCa();

}  // namespace bulwark::test
