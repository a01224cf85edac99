#include "support/support.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <stdexcept>

#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

extern char** environ;

namespace bulwark::test {

TempDir::TempDir() {
  std::string templ = (std::filesystem::temp_directory_path() / "bulwark-test-XXXXXX").string();
  if (!mkdtemp(templ.data())) throw std::runtime_error("mkdtemp failed");
  path_ = templ;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::vector<std::string> MemorySink::messages(std::string_view tag) const {
  std::vector<std::string> out;
  for (const auto& e : entries) {
    if (tag.empty() || e.tag == tag) out.push_back(e.message);
  }
  return out;
}

void runUntil(boost::asio::io_context& io, const std::function<bool()>& done, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  io.restart();
  while (!done()) {
    REQUIRE(std::chrono::steady_clock::now() < deadline);
    io.run_for(std::chrono::milliseconds(10));
    io.restart();
  }
}

namespace {

std::vector<char*> cArgv(const std::vector<std::string>& argv) {
  std::vector<char*> out;
  for (const auto& a : argv) out.push_back(const_cast<char*>(a.c_str()));
  out.push_back(nullptr);
  return out;
}

int decode(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

}  // namespace

ProcessResult runProcess(const std::vector<std::string>& argv, const std::string& input) {
  signal(SIGPIPE, SIG_IGN);  // a child that stops reading must not kill the test
  int in[2], out[2], err[2];
  REQUIRE(pipe2(in, O_CLOEXEC) == 0);
  REQUIRE(pipe2(out, O_CLOEXEC) == 0);
  REQUIRE(pipe2(err, O_CLOEXEC) == 0);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, in[0], 0);
  posix_spawn_file_actions_adddup2(&fa, out[1], 1);
  posix_spawn_file_actions_adddup2(&fa, err[1], 2);
  pid_t pid = 0;
  auto args = cArgv(argv);
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  close(in[0]);
  close(out[1]);
  close(err[1]);
  REQUIRE(rc == 0);
  ProcessResult result;
  std::size_t written = 0;
  int fdOut = out[0], fdErr = err[0], fdIn = in[1];
  if (input.empty()) {
    close(fdIn);
    fdIn = -1;
  } else {
    fcntl(fdIn, F_SETFL, O_NONBLOCK);
  }
  while (fdOut >= 0 || fdErr >= 0) {
    // poll() ignores negative descriptors: closed ones drop out by themselves.
    pollfd fds[3] = {{fdOut, POLLIN, 0}, {fdErr, POLLIN, 0}, {fdIn, POLLOUT, 0}};
    poll(fds, 3, -1);
    char buf[65536];
    int* fd[2] = {&fdOut, &fdErr};
    for (int i = 0; i < 2; ++i) {
      if (*fd[i] < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      ssize_t n = read(*fd[i], buf, sizeof buf);
      if (n > 0) {
        (i == 0 ? result.out : result.err).append(buf, static_cast<std::size_t>(n));
      } else {
        close(*fd[i]);
        *fd[i] = -1;
      }
    }
    if (fdIn >= 0 && (fds[2].revents & (POLLOUT | POLLERR | POLLHUP))) {
      ssize_t n = write(fdIn, input.data() + written, input.size() - written);
      if (n > 0) written += static_cast<std::size_t>(n);
      if (n < 0 || written == input.size()) {
        close(fdIn);
        fdIn = -1;
      }
    }
  }
  if (fdIn >= 0) close(fdIn);
  int status = 0;
  waitpid(pid, &status, 0);
  result.exitCode = decode(status);
  return result;
}

pid_t spawnBackground(const std::vector<std::string>& argv, const std::filesystem::path& logFile) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, logFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  auto args = cArgv(argv);
  // A name without a slash is looked up in PATH ("curl").
  int rc = posix_spawnp(&pid, args[0], &fa, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  REQUIRE(rc == 0);
  return pid;
}

int stopProcess(pid_t pid, int signal) {
  kill(pid, signal);
  return waitProcess(pid);
}

int waitProcess(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return decode(status);
}

std::string bulwarkBinary() { return BULWARK_BINARY; }

int udpOnLoopback(std::uint16_t& port, int flags) {
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | flags, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
    close(fd);
    return -1;
  }
  port = ntohs(a.sin_port);
  return fd;
}

}  // namespace bulwark::test
