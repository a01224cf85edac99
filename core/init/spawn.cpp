#include "init/spawn.hpp"

#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/streambuf.hpp>

#include <fmt/format.h>

namespace bulwark::init {

namespace {

constexpr std::size_t kChildStack = 64 * 1024;
constexpr std::size_t kMaxLine = 4096;

// Everything the child needs, prepared by the parent: after clone the child
// only makes system calls (no allocation, no locks).
struct ChildArgs {
  const char* path;
  char* const* argv;
  char* const* envp;
  int outFd;
  int nullFd;
  const char* cwd;
  bool setUser;
  uid_t uid;
  gid_t gid;
  int error;  // written by the child when exec fails (CLONE_VM: same memory)
  const char* step;
};

int childMain(void* p) {
  auto* a = static_cast<ChildArgs*>(p);
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  for (int sig = 1; sig < NSIG; ++sig) {
    if (sig != SIGKILL && sig != SIGSTOP) sigaction(sig, &dfl, nullptr);
  }
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  setsid();
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  auto fail = [a](const char* step) {
    a->error = errno;
    a->step = step;
    _exit(127);
  };
  if (dup2(a->nullFd, 0) < 0 || dup2(a->outFd, 1) < 0 || dup2(a->outFd, 2) < 0) fail("dup2");
  // Nothing else of the core's reaches the program: descriptors Asio and
  // the libraries open without O_CLOEXEC (the HTTPS listener, netlink
  // sockets) would otherwise stay open in every daemon, holding the port.
  if (syscall(SYS_close_range, 3U, ~0U, 0U) != 0) {
    for (int fd = 3; fd < 65536; ++fd) close(fd);
  }
  if (chdir(a->cwd) != 0) fail("chdir");
  if (a->setUser) {
    if (setgroups(0, nullptr) != 0) fail("setgroups");
    if (setgid(a->gid) != 0) fail("setgid");
    if (setuid(a->uid) != 0) fail("setuid");
  }
  execve(a->path, a->argv, a->envp);
  fail("execve");
  return 127;
}

std::vector<char*> cStrings(const std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (const std::string& s : strings) out.push_back(const_cast<char*>(s.c_str()));
  out.push_back(nullptr);
  return out;
}

// Reads a child's output line by line until it closes.
struct OutputReader : std::enable_shared_from_this<OutputReader> {
  OutputReader(boost::asio::io_context& io, int fd, Spawner::Output output)
      : stream(io, fd), buffer(kMaxLine), output(std::move(output)) {}
  void read() {
    boost::asio::async_read_until(stream, buffer, '\n',
                                  [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
                                    self->onRead(ec, n);
                                  });
  }
  void onRead(boost::system::error_code ec, std::size_t n) {
    if (!ec || ec == boost::asio::error::not_found) {
      // not_found: the line is longer than the buffer; it is passed on in pieces.
      std::size_t take = ec ? buffer.size() : n;
      std::string line(boost::asio::buffers_begin(buffer.data()), boost::asio::buffers_begin(buffer.data()) + take);
      buffer.consume(take);
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      if (!line.empty()) output.line(std::move(line));
      return read();
    }
    if (buffer.size() > 0) {
      std::string rest(boost::asio::buffers_begin(buffer.data()), boost::asio::buffers_end(buffer.data()));
      buffer.consume(buffer.size());
      if (!rest.empty()) output.line(std::move(rest));
    }
  }
  boost::asio::posix::stream_descriptor stream;
  boost::asio::streambuf buffer;
  Spawner::Output output;
};

}  // namespace

struct ProcessSpawner::Impl {
  boost::asio::io_context& io;
  int nullFd = -1;
};

ProcessSpawner::ProcessSpawner(boost::asio::io_context& io) : impl_(std::make_unique<Impl>(Impl{io})) {
  impl_->nullFd = open("/dev/null", O_RDWR | O_CLOEXEC);
}

ProcessSpawner::~ProcessSpawner() {
  if (impl_->nullFd >= 0) close(impl_->nullFd);
}

Result<pid_t> ProcessSpawner::spawn(const ServiceSpec& spec, Output output) {
  if (impl_->nullFd < 0) return Error{"/dev/null cannot be opened"};
  ChildArgs args{};
  std::vector<std::string> argv = spec.argv;
  std::vector<std::string> env = spec.env;
  auto cArgv = cStrings(argv);
  auto cEnv = cStrings(env);
  args.path = argv[0].c_str();
  args.argv = cArgv.data();
  args.envp = cEnv.data();
  args.nullFd = impl_->nullFd;
  std::string cwd = spec.workingDir.empty() ? "/" : spec.workingDir;
  args.cwd = cwd.c_str();
  if (!spec.user.empty()) {
    passwd pw{};
    passwd* found = nullptr;
    std::vector<char> buf(4096);
    if (getpwnam_r(spec.user.c_str(), &pw, buf.data(), buf.size(), &found) != 0 || !found) {
      return Error{fmt::format("unknown user '{}'", spec.user)};
    }
    args.setUser = true;
    args.uid = found->pw_uid;
    args.gid = found->pw_gid;
  }
  int pipeFds[2];
  if (pipe2(pipeFds, O_CLOEXEC) != 0) return Error{fmt::format("pipe: {}", std::strerror(errno))};
  args.outFd = pipeFds[1];
  std::vector<char> stack(kChildStack);
  pid_t pid = clone(childMain, stack.data() + stack.size(), CLONE_VM | CLONE_VFORK | SIGCHLD, &args);
  int cloneErrno = errno;
  close(pipeFds[1]);
  if (pid < 0) {
    close(pipeFds[0]);
    return Error{fmt::format("clone: {}", std::strerror(cloneErrno))};
  }
  if (args.error != 0) {
    // The child has exited (127); the reaper collects it. Its output pipe is empty.
    close(pipeFds[0]);
    return Error{fmt::format("{} {}: {}", args.step, spec.argv[0], std::strerror(args.error))};
  }
  auto reader = std::make_shared<OutputReader>(impl_->io, pipeFds[0], std::move(output));
  reader->read();
  return pid;
}

void ProcessSpawner::signal(pid_t pid, int sig) {
  if (pid <= 0) return;
  // The child leads its own session and process group: signal all of it.
  if (kill(-pid, sig) != 0) kill(pid, sig);
}

bool ProcessSpawner::fileExists(const std::string& path) {
  struct stat st {};
  return stat(path.c_str(), &st) == 0;
}

bool ProcessSpawner::socketAccepts(const std::string& path) {
  sockaddr_un addr{};
  if (path.size() >= sizeof addr.sun_path) return false;
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  close(fd);
  return ok;
}

struct Reaper::Impl {
  boost::asio::signal_set signals;
  std::function<bool(pid_t, int)> exited;
  std::size_t orphans = 0;

  Impl(boost::asio::io_context& io, std::function<bool(pid_t, int)> exited)
      : signals(io, SIGCHLD), exited(std::move(exited)) {}

  void wait() {
    signals.async_wait([this](boost::system::error_code ec, int) {
      if (ec) return;
      reap();
      wait();
    });
  }
  void reap() {
    for (;;) {
      int status = 0;
      pid_t pid = waitpid(-1, &status, WNOHANG);
      if (pid <= 0) return;
      if (!exited(pid, status)) ++orphans;
    }
  }
};

Reaper::Reaper(boost::asio::io_context& io, std::function<bool(pid_t, int)> exited)
    : impl_(std::make_unique<Impl>(io, std::move(exited))) {
  impl_->wait();
  impl_->reap();  // children that ended before the handler was there
}

Reaper::~Reaper() = default;

std::size_t Reaper::orphans() const { return impl_->orphans; }

void Reaper::reapNow() { impl_->reap(); }

Status becomeSubreaper() {
  if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) return Error{fmt::format("PR_SET_CHILD_SUBREAPER: {}", std::strerror(errno))};
  return {};
}

}  // namespace bulwark::init
