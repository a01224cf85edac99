#include "pki/reference_ca.hpp"

#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

namespace bulwark::test {

namespace {

// The CA's openssl.conf is the reference's (chapter 5.3,
// test/fixtures/pki/reference-openssl.conf) with dir pointing at the test's
// CA and 2048-bit keys: 4096 bits (the reference's default_bits) only make
// the test slower and change nothing in the PKCS#12 format.
constexpr const char* kCaPassphrase = "ca pass phrase";

std::string subject(const std::string& commonName) {
  return "/C=DE/O=PHOENIX CONTACT Cyber Security AG/OU=Support/CN=" + commonName;
}

}  // namespace

ProcessResult tryOpenssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv{BULWARK_OPENSSL};
  argv.insert(argv.end(), args.begin(), args.end());
  return runProcess(argv);
}

std::string openssl(const std::vector<std::string>& args) {
  auto r = tryOpenssl(args);
  INFO("openssl " << args.front() << ": " << r.err);
  REQUIRE(r.exitCode == 0);
  return r.out;
}

std::string readFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  REQUIRE(in);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

void writeFile(const std::filesystem::path& path, const std::string& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  REQUIRE(out);
  out << data;
  REQUIRE(out.good());
}

ReferenceCa::ReferenceCa() {
  auto root = tmp_.path();
  for (auto sub : {"certs", "newcerts", "private"}) std::filesystem::create_directory(root / sub);
  writeFile(root / "index.txt", "");
  writeFile(root / "serial", "0001\n");
  std::ifstream in(std::string(BULWARK_FIXTURES) + "/pki/reference-openssl.conf");
  std::string config((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (config.find("@DIR@") == std::string::npos) throw std::runtime_error("no test/fixtures/pki/reference-openssl.conf");
  config.replace(config.find("@DIR@"), 5, root.string());
  writeFile(root / "openssl.conf", config);
  // openssl req -new -config openssl.conf -x509 -extensions ca_ext -keyout private/ca.key -out certs/ca.crt -days 3640
  openssl({"req", "-new", "-config", (root / "openssl.conf").string(), "-x509", "-extensions", "ca_ext", "-keyout",
           (root / "private" / "ca.key").string(), "-out", ca(), "-days", "3640", "-subj", subject("CA"),
           "-passout", std::string("pass:") + kCaPassphrase, "-batch"});
}

std::string ReferenceCa::certificate(const std::string& name) const {
  return (tmp_.path() / "certs" / (name + ".crt")).string();
}

std::string ReferenceCa::key(const std::string& name) const {
  return (tmp_.path() / "private" / (name + ".key")).string();
}

void ReferenceCa::issue(const std::string& name) {
  auto root = tmp_.path();
  std::string config = (root / "openssl.conf").string();
  std::string request = (root / (name + ".csr")).string();
  // openssl req -new -config openssl.conf -keyout private/NAME.key -out NAME.csr -days 364
  openssl({"req", "-new", "-config", config, "-keyout", key(name), "-out", request, "-days", "364", "-subj",
           subject(name), "-passout", std::string("pass:") + kKeyPassphrase, "-batch"});
  // openssl ca -config openssl.conf -out certs/NAME.crt -infiles NAME.csr
  openssl({"ca", "-config", config, "-out", certificate(name), "-batch", "-passin",
           std::string("pass:") + kCaPassphrase, "-infiles", request});
}

void ReferenceCa::revoke(const std::string& name) {
  openssl({"ca", "-config", (tmp_.path() / "openssl.conf").string(), "-revoke", certificate(name), "-batch",
           "-passin", std::string("pass:") + kCaPassphrase});
}

std::string ReferenceCa::crl(bool authorityKeyId) {
  auto out = tmp_.path() / "crl.pem";
  std::vector<std::string> args{"ca", "-config", (tmp_.path() / "openssl.conf").string(), "-gencrl", "-crldays",
                                "30", "-out", out.string(), "-batch", "-passin",
                                std::string("pass:") + kCaPassphrase};
  if (authorityKeyId) {
    // The reference's openssl.conf has no CRL section: one of the test's own.
    auto conf = tmp_.path() / "crl.conf";
    writeFile(conf, readFile(tmp_.path() / "openssl.conf") + "\n[crl_ext]\nauthorityKeyIdentifier = keyid:always\n");
    args[2] = conf.string();
    args.insert(args.end(), {"-crlexts", "crl_ext"});
  }
  openssl(args);
  return readFile(out);
}

std::filesystem::path ReferenceCa::exportPkcs12(const std::string& name, const std::string& password,
                                                const std::vector<std::string>& extra) {
  auto out = tmp_.path() / "certs" / (name + ".p12");
  // openssl pkcs12 -export -in certs/NAME.crt -inkey private/NAME.key -out certs/NAME.p12
  std::vector<std::string> args{"pkcs12",  "-export", "-in",      certificate(name),
                                "-inkey",  key(name), "-passin", std::string("pass:") + kKeyPassphrase,
                                "-passout", "pass:" + password};
  args.insert(args.end(), extra.begin(), extra.end());
  args.insert(args.end(), {"-out", out.string()});
  openssl(args);
  return out;
}

std::string ReferenceCa::clearKey(const std::string& name) const {
  return openssl({"pkey", "-in", key(name), "-passin", std::string("pass:") + kKeyPassphrase});
}

ReferenceCa& sharedCa() {
  // Destroyed at exit, which removes its directory.
  static ReferenceCa ca;
  static const bool issued = [] {
    ca.issue("mGuard");
    ca.issue("other");
    return true;
  }();
  (void)issued;
  return ca;
}

}  // namespace bulwark::test
