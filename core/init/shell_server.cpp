#include "init/shell_server.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <exception>
#include <map>
#include <string>

#include <fmt/format.h>

#include "common/command_line.hpp"
#include "runtime/fd_watch.hpp"

namespace bulwark::init {

namespace {

constexpr const char* kTag = "inno-sshlimitd";
constexpr std::size_t kMaxCommand = 4096;
constexpr std::size_t kMaxWaiting = 8;                 // connections that have not handed over yet
constexpr std::chrono::milliseconds kHandOver{5000};  // time to hand over the terminal

// A terminal, a pipe or a socket: what a login session's stdin and stdout are.
bool isStream(int fd) {
  struct stat st {};
  return fstat(fd, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
}

// The reference's "class" of a role in inno-sshlimitd's lines.
int roleClass(auth::Role role) {
  switch (role) {
    case auth::Role::Admin: return 1;
    case auth::Role::Netadmin: return 2;
    case auth::Role::Audit: return 3;
    default: return 0;
  }
}

}  // namespace

struct ShellServer::Impl : std::enable_shared_from_this<Impl> {
  struct Session {
    int fd = -1;
    std::unique_ptr<runtime::FdWatch> watch;
    std::optional<auth::Identity> who;
    std::unique_ptr<Console> console;
    bool counted = false;
    runtime::Timers::Id deadline = 0;
    pid_t pid = 0;
  };

  boost::asio::io_context& io;
  runtime::Timers& timers;
  log::Log& log;
  std::filesystem::path path;
  Hooks hooks;
  int listenFd = -1;
  std::unique_ptr<runtime::FdWatch> listenWatch;
  std::map<int, std::unique_ptr<Session>> sessions;  // by connection fd

  Impl(boost::asio::io_context& io, runtime::Timers& timers, log::Log& log, std::filesystem::path path, Hooks hooks)
      : io(io), timers(timers), log(log), path(std::move(path)), hooks(std::move(hooks)) {}

  ~Impl() {
    listenWatch.reset();
    if (listenFd >= 0) close(listenFd);
    for (auto& [fd, s] : sessions) {
      s->watch.reset();
      if (s->console) s->console.reset();
      close(fd);
    }
    unlink(path.c_str());
  }

  std::size_t count(auth::Role role) const {
    std::size_t n = 0;
    for (const auto& [fd, s] : sessions) n += s->counted && s->who && s->who->role == role;
    return n;
  }

  std::size_t waiting() const {
    std::size_t n = 0;
    for (const auto& [fd, s] : sessions) n += !s->console;
    return n;
  }

  void acceptAll() {
    for (;;) {
      int fd = accept4(listenFd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      // Who it is, from the kernel, before anything else: other users of
      // this machine (a daemon's uid) get nothing, not even a log line each.
      ucred peer{};
      socklen_t len = sizeof peer;
      std::optional<auth::Identity> who;
      if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &len) == 0) who = hooks.identify(peer.uid);
      if (!who || waiting() >= kMaxWaiting) {
        close(fd);
        continue;
      }
      log.write(kTag, fmt::format("accepting new connection at fd {}", fd));
      auto session = std::make_unique<Session>();
      session->fd = fd;
      session->who = who;
      session->pid = peer.pid;
      session->deadline = timers.after(kHandOver, [weak = weak_from_this(), fd] {
        auto self = weak.lock();
        if (!self) return;
        auto it = self->sessions.find(fd);
        if (it == self->sessions.end() || it->second->console) return;
        it->second->deadline = 0;
        self->log.write(kTag, fmt::format("no session handed over at fd {}", fd));
        self->end(fd, '1');
      });
      session->watch = std::make_unique<runtime::FdWatch>(io, fd, [weak = weak_from_this(), fd] {
        if (auto self = weak.lock()) self->readable(fd);
      });
      sessions[fd] = std::move(session);
    }
  }

  // Ends a session on the next turn of the loop (never inside the console's
  // own callbacks), telling bulwark-shell how it went.
  void end(int fd, char status) {
    auto it = sessions.find(fd);
    if (it == sessions.end()) return;
    Session& s = *it->second;
    s.watch.reset();
    if (s.deadline) timers.cancel(s.deadline);
    s.deadline = 0;
    (void)!send(fd, &status, 1, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (s.who && s.counted) {
      log.write(kTag, fmt::format("session of role {} at fd {} ended", auth::roleName(s.who->role), fd));
      s.counted = false;
    }
    timers.after(std::chrono::milliseconds(0), [weak = weak_from_this(), fd] {
      auto self = weak.lock();
      if (!self) return;
      auto it = self->sessions.find(fd);
      if (it == self->sessions.end()) return;
      auto session = std::move(it->second);
      self->sessions.erase(it);
      session->console.reset();
      close(fd);
    });
  }

  void readable(int fd) {
    auto it = sessions.find(fd);
    if (it == sessions.end()) return;
    Session& s = *it->second;
    if (s.console) {
      // After the hand-over only the end can come: bulwark-shell hung up.
      char byte;
      ssize_t n = recv(fd, &byte, 1, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK)) s.console->stop();
      return;
    }
    char data[kMaxCommand + 1];
    alignas(cmsghdr) char control[CMSG_SPACE(2 * sizeof(int))];
    iovec iov{data, sizeof data};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    int fds[2] = {-1, -1};
    int received = 0;
    for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
      if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS) continue;
      std::size_t count = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
      for (std::size_t i = 0; i < count; ++i) {
        int got = -1;
        std::memcpy(&got, CMSG_DATA(c) + i * sizeof(int), sizeof(int));
        if (received < 2) fds[received] = got;
        else close(got);
        ++received;
      }
    }
    auto closeReceived = [&] {
      for (int f : fds) {
        if (f >= 0) close(f);
      }
    };
    if (n <= 0 || received != 2 || (msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) || (data[0] != 'I' && data[0] != 'C') ||
        !isStream(fds[0]) || !isStream(fds[1])) {
      closeReceived();
      log.write(kTag, fmt::format("malformed request at fd {}", fd));
      return end(fd, '1');
    }
    std::string command = data[0] == 'C' ? std::string(data + 1, static_cast<std::size_t>(n) - 1) : std::string();
    if (s.deadline) timers.cancel(s.deadline);
    s.deadline = 0;
    // Nothing the session's end does may block the loop.
    for (int f : fds) fcntl(f, F_SETFL, fcntl(f, F_GETFL) | O_NONBLOCK);
    std::string role(auth::roleName(s.who->role));
    unsigned limit = hooks.limit(s.who->role);
    std::size_t number = count(s.who->role) + 1;
    if (limit != 0 && number > limit) {
      log.write(kTag, fmt::format("deny session {} of maximum {} for role {} (class {}) at fd {}", number, limit, role,
                                  roleClass(s.who->role), fd));
      std::string text = fmt::format("Too many shell sessions of role {} (at most {}).\n", role, limit);
      (void)!write(fds[1], text.data(), text.size());
      closeReceived();
      return end(fd, '1');
    }
    log.write(kTag, fmt::format("allow session {} of maximum {} for role {} (class {}) at fd {}", number,
                                limit == 0 ? std::string("unlimited") : std::to_string(limit), role,
                                roleClass(s.who->role), fd));
    log.write("sshd", fmt::format("session start for user '{}'", s.who->user), s.pid);
    s.counted = true;
    try {
      s.console = hooks.console(fds[0], fds[1], [weak = weak_from_this(), fd] {
        if (auto self = weak.lock()) self->end(fd, '0');
      });
    } catch (const std::exception& e) {  // no descriptors left, say
      closeReceived();
      log.write(kTag, fmt::format("no console for the session at fd {}: {}", fd, e.what()));
      return end(fd, '1');
    }
    closeReceived();  // the console holds duplicates
    s.console->startSession(*s.who, command);
  }
};

Result<std::unique_ptr<ShellServer>> ShellServer::listen(boost::asio::io_context& io, runtime::Timers& timers,
                                                         log::Log& log, const std::filesystem::path& path,
                                                         Hooks hooks) {
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.string().size() >= sizeof address.sun_path) return Error{fmt::format("{}: path too long", path.string())};
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return Error{fmt::format("shell socket: {}", std::strerror(errno))};
  unlink(path.c_str());
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 || ::listen(fd, 8) != 0) {
    int e = errno;
    close(fd);
    return Error{fmt::format("shell socket {}: {}", path.string(), std::strerror(e))};
  }
  // Any local user may connect; who it is comes from SO_PEERCRED.
  chmod(path.c_str(), 0666);
  auto impl = std::make_shared<Impl>(io, timers, log, path, std::move(hooks));
  impl->listenFd = fd;
  impl->listenWatch = std::make_unique<runtime::FdWatch>(io, fd, [raw = impl.get()] { raw->acceptAll(); });
  return std::unique_ptr<ShellServer>(new ShellServer(impl));
}

ShellServer::~ShellServer() = default;

std::size_t ShellServer::sessions(auth::Role role) const { return impl_->count(role); }

int shellMain(int argc, char** argv) {
  std::string command;
  if (argc >= 3 && std::string(argv[1]) == "-c") command = argv[2];
  if (command.size() > kMaxCommand) {
    std::fputs("bulwark-shell: the command is too long\n", stderr);
    return 1;
  }
  // Ctrl-C, Ctrl-\ and Ctrl-Z belong to the CLI, not to this process; a
  // hang-up (SIGHUP) ends it, and with it the session.
  signal(SIGINT, SIG_IGN);
  signal(SIGQUIT, SIG_IGN);
  signal(SIGTSTP, SIG_IGN);
  std::string path = (std::filesystem::path(defaultRunDir()) / "shell.sock").string();
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  std::strncpy(address.sun_path, path.c_str(), sizeof address.sun_path - 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    std::fprintf(stderr, "bulwark-shell: the appliance's CLI is not available (%s)\n", std::strerror(errno));
    return 1;
  }
  std::string payload = command.empty() ? std::string("I") : "C" + command;
  int fds[2] = {0, 1};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof fds)] = {};
  iovec iov{payload.data(), payload.size()};
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  cmsghdr* c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = SOL_SOCKET;
  c->cmsg_type = SCM_RIGHTS;
  c->cmsg_len = CMSG_LEN(sizeof fds);
  std::memcpy(CMSG_DATA(c), fds, sizeof fds);
  if (sendmsg(fd, &msg, MSG_NOSIGNAL) != static_cast<ssize_t>(payload.size())) {
    std::fprintf(stderr, "bulwark-shell: %s\n", std::strerror(errno));
    return 1;
  }
  // The session runs in the core; its end is one status byte and EOF.
  char status = '1';
  for (;;) {
    char byte;
    ssize_t n = read(fd, &byte, 1);
    if (n == 1) {
      status = byte;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    break;
  }
  return status == '0' ? 0 : 1;
}

}  // namespace bulwark::init
