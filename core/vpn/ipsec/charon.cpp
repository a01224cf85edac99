#include "vpn/ipsec/charon.hpp"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>

#include <fmt/format.h>

namespace bulwark::ipsec {

namespace {

// Crypto through OpenSSL (with random and nonce), keys and certificates
// (pem, pkcs1, pkcs8, x509, pubkey, revocation with local CRLs,
// constraints), attr for mode configuration, the IKE socket, the kernel
// interfaces and VICI. kernel-libipsec comes first so that its ESP, not the
// kernel's, is used; kernel-netlink still does addresses and routes.
constexpr const char* kPlugins =
    "random nonce openssl kdf pem pkcs1 pkcs8 x509 pubkey revocation constraints attr socket-default";

bool fileHasLine(const std::filesystem::path& path, const std::function<bool(const std::string&)>& match) {
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line)) {
    if (match(line)) return true;
  }
  return false;
}

// A modules.builtin or modules.dep line naming esp4.ko (compressed or not).
bool namesEsp4(const std::string& line) {
  auto end = line.find(':');
  std::string_view file = std::string_view(line).substr(0, end);
  auto slash = file.rfind('/');
  std::string_view base = slash == std::string_view::npos ? file : file.substr(slash + 1);
  return base.starts_with("esp4.ko");
}

}  // namespace

std::string strongswanConf(const CharonSettings& s) {
  return fmt::format(R"(# written by bulwark (core/vpn/ipsec/charon.cpp); rewritten at every start
charon-systemd {{
  load = {} {}kernel-netlink vici
  filelog {{
    stderr {{
      default = 1
      time_format =
    }}
  }}
  journal {{
    default = -1
  }}
  plugins {{
    vici {{
      socket = unix://{}
    }}
  }}
}}
)",
                     kPlugins, s.kernelEsp ? "" : "kernel-libipsec ", s.viciSocket.string());
}

bool kernelHasEsp(const std::filesystem::path& root, const std::string& release) {
  if (fileHasLine(root / "proc/modules", [](const std::string& line) { return line.starts_with("esp4 "); })) {
    return true;
  }
  auto modules = root / "lib/modules" / release;
  return fileHasLine(modules / "modules.builtin", namesEsp4) || fileHasLine(modules / "modules.dep", namesEsp4);
}

bool kernelHasEsp() {
  utsname u{};
  if (uname(&u) != 0) return false;
  return kernelHasEsp("/", u.release);
}

bool networkIsOurs() {
  if (getpid() == 1) return true;
  struct stat mine {}, other {};
  if (stat("/proc/self/ns/net", &mine) != 0) return false;
  auto same = [&mine, &other] { return mine.st_dev == other.st_dev && mine.st_ino == other.st_ino; };
  // PID 1's may be out of reach (another user namespace): then a namespace
  // made with `ip netns add` (bound under /run/netns) counts as its own.
  if (stat("/proc/1/ns/net", &other) == 0) return !same();
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/run/netns", ec)) {
    if (stat(entry.path().c_str(), &other) == 0 && same()) return true;
  }
  return false;
}

init::ServiceSpec charonService(const std::filesystem::path& conf, const CharonSettings& settings) {
  init::ServiceSpec spec;
  spec.name = "charon";
  spec.argv = {kCharon};
  spec.env = {"STRONGSWAN_CONF=" + conf.string(), "PATH=/usr/sbin:/usr/bin:/sbin:/bin"};
  spec.readiness = {init::Readiness::Kind::Socket, settings.viciSocket.string(), std::chrono::milliseconds(10000)};
  spec.logTag = "charon";
  return spec;
}

}  // namespace bulwark::ipsec
