#include "init/ssh.hpp"
#include "common/number.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fstream>
#include <regex>

#include <fmt/format.h>
#include <openssl/evp.h>

#include "net/net_module.hpp"

namespace bulwark::init {

namespace {

constexpr const char* kDropbear = "/usr/sbin/dropbear";

struct Account {
  const char* user;
  const char* passwordVariable;
  unsigned uid;
  auth::Role role;
};
constexpr Account kAccounts[] = {
    {"root", "ROOT_PASSWORD", 0, auth::Role::Root},
    {"admin", "WWW_PASSWORD_RAW", 1000, auth::Role::Admin},
    {"netadmin", "NETADMIN_PASSWORD", 1001, auth::Role::Netadmin},
    {"audit", "AUDIT_PASSWORD", 1002, auth::Role::Audit},
};

// Writes `text` to `path` with `mode`, in place: the file may be bound over
// /etc, and a bind mount follows the inode, not the name. Written first and
// cut to length after, so a reader never finds it empty.
Status writeInPlace(const std::filesystem::path& path, const std::string& text, mode_t mode) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, mode);
  if (fd < 0) return Error{fmt::format("cannot write {}: {}", path.string(), std::strerror(errno))};
  bool ok = fchmod(fd, mode) == 0 && pwrite(fd, text.data(), text.size(), 0) == static_cast<ssize_t>(text.size()) &&
            ftruncate(fd, static_cast<off_t>(text.size())) == 0;
  int e = errno;
  close(fd);
  if (!ok) return Error{fmt::format("cannot write {}: {}", path.string(), std::strerror(e))};
  return {};
}

// dropbear's own private key format for Ed25519: string "ssh-ed25519",
// string (32-byte seed, then the 32-byte public key).
Status makeHostKey(const std::filesystem::path& path) {
  EVP_PKEY* key = nullptr;
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr);
  bool ok = ctx && EVP_PKEY_keygen_init(ctx) == 1 && EVP_PKEY_keygen(ctx, &key) == 1;
  EVP_PKEY_CTX_free(ctx);
  unsigned char seed[32], pub[32];
  std::size_t seedLen = sizeof seed, pubLen = sizeof pub;
  ok = ok && EVP_PKEY_get_raw_private_key(key, seed, &seedLen) == 1 &&
       EVP_PKEY_get_raw_public_key(key, pub, &pubLen) == 1 && seedLen == 32 && pubLen == 32;
  EVP_PKEY_free(key);
  if (!ok) return Error{"cannot make an Ed25519 host key"};
  auto string = [](std::string& out, const void* data, std::uint32_t n) {
    unsigned char len[4] = {static_cast<unsigned char>(n >> 24), static_cast<unsigned char>(n >> 16),
                            static_cast<unsigned char>(n >> 8), static_cast<unsigned char>(n)};
    out.append(reinterpret_cast<const char*>(len), 4);
    out.append(static_cast<const char*>(data), n);
  };
  std::string blob;
  string(blob, "ssh-ed25519", 11);
  unsigned char both[64];
  std::copy(seed, seed + 32, both);
  std::copy(pub, pub + 32, both + 32);
  string(blob, both, 64);
  OPENSSL_cleanse(seed, sizeof seed);
  OPENSSL_cleanse(both, sizeof both);
  auto temporary = path;
  temporary += ".new";
  // Synced before the rename: after a power cut the key is whole or absent.
  int fd = open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  bool written = fd >= 0 && write(fd, blob.data(), blob.size()) == static_cast<ssize_t>(blob.size()) && fsync(fd) == 0;
  if (fd >= 0) close(fd);
  OPENSSL_cleanse(blob.data(), blob.size());
  if (!written) return Error{fmt::format("cannot write {}", temporary.string())};
  std::error_code ec;
  std::filesystem::rename(temporary, path, ec);
  if (ec) return Error{fmt::format("cannot write {}: {}", path.string(), ec.message())};
  return {};
}

}  // namespace

AccountFiles accountFiles(const config::Config& config, const std::string& shell) {
  AccountFiles f;
  for (const Account& a : kAccounts) {
    std::string hash = config.get(a.passwordVariable);
    if (hash.empty() || hash[0] != '$' || hash.find(':') != std::string::npos) hash = "!";
    std::string home = a.uid == 0 ? "/root" : "/";
    f.passwd += fmt::format("{}:x:{}:{}:{}:{}:{}\n", a.user, a.uid, a.uid, a.user, home,
                            a.uid == 0 ? "/bin/sh" : shell);
    f.shadow += fmt::format("{}:{}:0:0:99999:7:::\n", a.user, hash);
    f.group += fmt::format("{}:x:{}:\n", a.user, a.uid);
  }
  // The unprivileged user of daemons that drop root (dnsmasq); no login.
  f.passwd += "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n";
  f.shadow += "nobody:!:0:0:99999:7:::\n";
  f.group += "nogroup:x:65534:\n";
  f.shells = fmt::format("/bin/sh\n{}\n", shell);
  return f;
}

std::optional<auth::Role> roleOfUid(unsigned uid) {
  for (const Account& a : kAccounts) {
    if (a.uid == uid) return a.role;
  }
  return std::nullopt;
}

unsigned sessionLimit(const config::Config& config, auth::Role role) {
  const char* variable = role == auth::Role::Admin      ? "SSH_ADMIN_LOGIN_ALLOWED_MAX"
                         : role == auth::Role::Netadmin ? "SSH_NETADMIN_LOGIN_ALLOWED_MAX"
                         : role == auth::Role::Audit    ? "SSH_AUDIT_LOGIN_ALLOWED_MAX"
                                                        : nullptr;
  if (!variable) return 0;
  return toNumber<unsigned>(config.get(variable)).value_or(4);
}

ServiceLogLine sshdLogLine(const std::string& line) {
  // "[pid] Mon DD HH:MM:SS message"
  static const std::regex head(R"(^\[(\d{1,10})\] [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d (.*)$)");
  std::smatch m;
  // std::regex backtracks recursively: long lines (dropbear writes none) stay as they are.
  if (line.size() > 512 || !std::regex_match(line, m, head)) return {"sshd", line, std::nullopt};
  std::optional<int> pid;
  pid = toNumber<int>(m[1].str());
  auto tag = [&pid](std::string text) { return ServiceLogLine{"sshd", std::move(text), pid}; };
  std::string text = m[2].str();
  static const std::regex accepted(R"(^Password auth succeeded for '([^']*)' from (.+):(\d+)$)");
  static const std::regex failed(R"(^Bad password attempt for '([^']*)' from (.+):(\d+)$)");
  static const std::regex closing(R"(^Exit \(([^)]*)\) from <(.+):(\d+)>: .*$)");
  static const std::regex unknown(R"(^Login attempt for nonexistent user from (.+):(\d+)$)");
  if (std::regex_match(text, m, accepted)) {
    return tag(fmt::format("Accepted password for {} from {} port {} ssh2", m[1].str(), m[2].str(), m[3].str()));
  }
  if (std::regex_match(text, m, failed)) {
    return tag(fmt::format("Failed password for {} from {} port {} ssh2", m[1].str(), m[2].str(), m[3].str()));
  }
  if (std::regex_match(text, m, closing)) {
    return tag(fmt::format("Closing connection for {} from {} port {}", m[1].str(), m[2].str(), m[3].str()));
  }
  if (std::regex_match(text, m, unknown)) {
    return tag(fmt::format("Failed password for invalid user from {} port {} ssh2", m[1].str(), m[2].str()));
  }
  return tag(text);
}

Status SshModule::writeAccounts(const config::Config& config) {
  AccountFiles files = accountFiles(config, (runDir_ / "bulwark-shell").string());
  if (Status s = writeInPlace(runDir_ / "passwd", files.passwd, 0644); !s) return s;
  if (Status s = writeInPlace(runDir_ / "group", files.group, 0644); !s) return s;
  if (Status s = writeInPlace(runDir_ / "shells", files.shells, 0644); !s) return s;
  return writeInPlace(runDir_ / "shadow", files.shadow, 0600);
}

Status SshModule::bindAccounts() {
  for (const char* name : {"passwd", "shadow", "group", "shells"}) {
    auto target = std::filesystem::path("/etc") / name;
    auto source = runDir_ / name;
    struct stat st {};
    if (stat(target.c_str(), &st) != 0) std::ofstream(target).flush();  // a mount point must exist
    if (mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) != 0) {
      return Error{fmt::format("cannot bind {} over {}: {}", source.string(), target.string(), std::strerror(errno))};
    }
  }
  return {};
}

Status SshModule::start(const config::Snapshot& snapshot) {
  if (!enabled_) return {};
  // A failure here (a full /data, say) leaves the appliance without shell
  // access, not without its web management: logged, not fatal.
  if (Status s = setUp(*snapshot); !s) log_.write("sshd", fmt::format("no shell access: {}", s.message()));
  return {};
}

Status SshModule::setUp(const config::Config& config) {
  // The accounts first: daemons that drop root (dnsmasq, as nobody) need them too.
  if (Status s = writeAccounts(config); !s) return s;
  if (Status s = bindAccounts(); !s) return s;
  accounts_ = true;
  struct stat st {};
  if (stat(kDropbear, &st) != 0) {
    log_.write("sshd", fmt::format("shell access needs {}, which this system lacks", kDropbear));
    return {};
  }
  // The login shell of admin, netadmin and audit: this binary as bulwark-shell.
  std::error_code ec;
  auto shell = runDir_ / "bulwark-shell";
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return Error{fmt::format("cannot find the running binary: {}", ec.message())};
  std::filesystem::remove(shell, ec);
  std::filesystem::create_symlink(self, shell, ec);
  if (ec) return Error{fmt::format("cannot link {}: {}", shell.string(), ec.message())};
  // The login shells run as their users: they must reach the shell socket.
  chmod(runDir_.c_str(), 0711);

  auto keyDir = dataDir_ / "ssh";
  std::filesystem::create_directories(keyDir, ec);
  chmod(keyDir.c_str(), 0700);
  if (stat((keyDir / "host_ed25519").c_str(), &st) != 0 || st.st_size == 0) {
    if (Status s = makeHostKey(keyDir / "host_ed25519"); !s) return s;
    log_.write("sshd", "made a new Ed25519 host key");
  }
  running_ = true;
  return declareService(config);
}

// dropbear listens on the internal address only, unless SSH_REMOTE_ACCESS
// allows the external side or an access row the DMZ (the packet filter then
// decides who).
Status SshModule::declareService(const config::Config& config) {
  std::string internal = net::internalAddress(config);
  std::string listen = net::listensEverywhere(config, "SSH_REMOTE_ACCESS", "SSH_REMOTE_ACCESS_RULES") ? std::string("22")
                       : internal.empty()                      ? std::string("127.0.0.1:22")
                                                               : internal.substr(0, internal.find('/')) + ":22";
  ServiceSpec spec;
  spec.name = "sshd";
  // -F -E: foreground, log to stderr; -j -k: no port forwarding; -m: no
  // motd; -T 3: three password tries per connection.
  spec.argv = {kDropbear, "-F", "-E", "-j", "-k", "-m", "-T", "3", "-r", (dataDir_ / "ssh" / "host_ed25519").string(),
               "-p", listen, "-P", (runDir_ / "dropbear.pid").string()};
  spec.logTag = "sshd";
  spec.logLine = sshdLogLine;
  return supervisor_.update(std::move(spec));
}

Status SshModule::reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) {
  if (accounts_) {
    for (const Account& a : kAccounts) {
      if (!diff.touches(a.passwordVariable)) continue;
      if (Status s = writeAccounts(*snapshot); !s) return s;
      break;
    }
  }
  if (running_ && (diff.touches("SSH_REMOTE_ACCESS") || diff.touches("SSH_REMOTE_ACCESS_RULES") ||
                   diff.touches("INT_ADDRESSES"))) {
    return declareService(*snapshot);
  }
  return {};
}

}  // namespace bulwark::init
