// Helpers shared by the unit tests: temporary directories, a memory log sink,
// running a loop until a condition holds, and running a subprocess.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "log/log.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::test {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

class MemorySink final : public log::Sink {
 public:
  void write(const log::Entry& entry) override { entries.push_back(entry); }
  std::vector<std::string> messages(std::string_view tag = {}) const;
  std::vector<log::Entry> entries;
};

// Runs the loop until `done()` is true (or fails the test after `limit`).
void runUntil(boost::asio::io_context& io, const std::function<bool()>& done,
              std::chrono::milliseconds limit = std::chrono::seconds(20));

struct ProcessResult {
  int exitCode = -1;  // 128 + signal when killed
  std::string out;
  std::string err;
};
// Runs argv (no shell; argv[0] is looked up in PATH) with `input` on stdin and
// collects stdout and stderr.
ProcessResult runProcess(const std::vector<std::string>& argv, const std::string& input = {});

// Starts argv in the background (argv[0] looked up in PATH unless it has a
// slash), stdout/stderr to `logFile`.
pid_t spawnBackground(const std::vector<std::string>& argv, const std::filesystem::path& logFile);
// Sends `signal` and waits for the process; returns its exit code (128+signal when killed).
int stopProcess(pid_t pid, int signal);
// Waits for the process to end by itself; returns its exit code.
int waitProcess(pid_t pid);

// The bulwark binary under test (set by CMake).
std::string bulwarkBinary();

// A UDP socket bound to 127.0.0.1 on a port the kernel chose (returned in
// `port`); -1 when that fails. The caller closes it.
int udpOnLoopback(std::uint16_t& port, int flags = 0);

}  // namespace bulwark::test
