#include "init/pid1.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>

#include "board.hpp"
#include "init/core.hpp"
#include "init/watchdog.hpp"
#include "net/rtnl.hpp"

namespace bulwark::init {

namespace {

void say(const std::string& line) {
  std::string text = "init: " + line + "\n";
  (void)!write(2, text.data(), text.size());
}

// A fatal signal in PID 1 would panic the kernel. Instead: one line on the
// console with async-signal-safe calls only, sync, reboot.
void fatalSignal(int sig) {
  static const char kPrefix[] = "init: fatal signal ";
  char digits[4] = {static_cast<char>('0' + sig / 10 % 10), static_cast<char>('0' + sig % 10), '\n', 0};
  (void)!write(2, kPrefix, sizeof kPrefix - 1);
  (void)!write(2, digits, 3);
  static const char kReboot[] = "init: syncing and rebooting\n";
  (void)!write(2, kReboot, sizeof kReboot - 1);
  sync();
  reboot(RB_AUTOBOOT);
  _exit(1);
}

void mountOne(const char* source, const char* target, const char* type, unsigned long flags, const char* data) {
  mkdir(target, 0755);
  if (mount(source, target, type, flags, data) != 0 && errno != EBUSY) {
    say(fmt::format("mount {} on {}: {}", type, target, std::strerror(errno)));
  }
}

void attachConsole() {
  int fd = open("/dev/console", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0) return;
  for (int target = 0; target < 3; ++target) dup2(fd, target);
  if (fd > 2) close(fd);
}

std::string kernelRelease() {
  utsname u{};
  uname(&u);
  return u.release;
}

// "bulwark.board=qemu" from the kernel command line.
std::string commandLineValue(const std::string& key, const std::string& fallback) {
  std::ifstream in("/proc/cmdline");
  std::string word;
  while (in >> word) {
    if (word.rfind(key + "=", 0) == 0) return word.substr(key.size() + 1);
  }
  return fallback;
}

// Loads `modules` and what they depend on (modules.dep), dependencies first.
void loadModules(const std::vector<std::string>& modules) {
  std::string base = "/lib/modules/" + kernelRelease() + "/";
  std::ifstream dep(base + "modules.dep");
  std::map<std::string, std::pair<std::string, std::vector<std::string>>> byName;  // name -> path, deps
  std::string line;
  auto nameOf = [](const std::string& path) {
    std::string file = path.substr(path.rfind('/') + 1);
    std::string name = file.substr(0, file.find(".ko"));
    for (char& c : name) c = c == '-' ? '_' : c;
    return name;
  };
  while (std::getline(dep, line)) {
    auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::istringstream rest(line.substr(colon + 1));
    std::vector<std::string> deps;
    std::string d;
    while (rest >> d) deps.push_back(d);
    std::string path = line.substr(0, colon);
    byName[nameOf(path)] = {path, deps};
  }
  std::set<std::string> loaded;
  std::function<void(const std::string&)> load = [&](const std::string& name) {
    if (loaded.count(name)) return;
    loaded.insert(name);
    auto it = byName.find(name);
    if (it == byName.end()) {
      say(fmt::format("module {}: not in modules.dep (built in?)", name));
      return;
    }
    // modules.dep lists every dependency, deepest last: load from the back.
    for (auto d = it->second.second.rbegin(); d != it->second.second.rend(); ++d) load(nameOf(*d));
    int fd = open((base + it->second.first).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
      say(fmt::format("module {}: {}", name, std::strerror(errno)));
      return;
    }
    if (syscall(SYS_finit_module, fd, "", 0) != 0 && errno != EEXIST) {
      say(fmt::format("module {}: {}", name, std::strerror(errno)));
    }
    close(fd);
  };
  for (const std::string& m : modules) load(m);
}

void mountData(const platform::Board& board) {
  mkdir("/data", 0700);
  if (!board.dataDevice.empty()) {
    // The device node appears once its driver has probed.
    for (int i = 0; i < 100 && access(board.dataDevice.c_str(), F_OK) != 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    if (mount(board.dataDevice.c_str(), "/data", "ext4", MS_NOATIME | MS_NODEV | MS_NOSUID, "") == 0) return;
    say(fmt::format("cannot mount {} on /data ({}); the data is NOT persistent this boot", board.dataDevice,
                    std::strerror(errno)));
  }
  mountOne("tmpfs", "/data", "tmpfs", MS_NODEV | MS_NOSUID, "mode=0700");
}

}  // namespace

[[noreturn]] int runAsPid1() {
  // Namespace mode (tests, benchmarks: unshare --pid --mount --net --fork):
  // the environment names the board, the data directory and extra services,
  // and the machine's console is left alone.
  const char* envBoard = std::getenv("BULWARK_BOARD");
  const char* envData = std::getenv("BULWARK_DATA_DIR");
  const char* envServices = std::getenv("BULWARK_SERVICES");
  const char* envListen = std::getenv("BULWARK_LISTEN");
  bool namespaceMode = envBoard != nullptr;
  if (!namespaceMode) attachConsole();
  for (int sig : {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT}) {
    struct sigaction sa {};
    sa.sa_handler = fatalSignal;
    sigaction(sig, &sa, nullptr);
  }
  // Ctrl-Alt-Del becomes SIGINT (reboot) instead of an immediate reset.
  reboot(RB_DISABLE_CAD);
  mountOne("proc", "/proc", "proc", MS_NODEV | MS_NOSUID | MS_NOEXEC, nullptr);
  mountOne("sysfs", "/sys", "sysfs", MS_NODEV | MS_NOSUID | MS_NOEXEC, nullptr);
  if (!namespaceMode) {
    mountOne("devtmpfs", "/dev", "devtmpfs", MS_NOSUID, "mode=0755");
    attachConsole();
  }
  mountOne("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620,ptmxmode=0666");
  mountOne("tmpfs", "/run", "tmpfs", MS_NODEV | MS_NOSUID, "mode=0755");
  // In a namespace the caller's /tmp stays visible: its files (a data
  // directory, a services file) may live there.
  if (!namespaceMode) mountOne("tmpfs", "/tmp", "tmpfs", MS_NODEV | MS_NOSUID, "mode=1777");
  const char kHostname[] = "bulwark";
  sethostname(kHostname, sizeof kHostname - 1);
  umask(0077);

  std::string boardName = envBoard ? envBoard : commandLineValue("bulwark.board", "qemu");
  auto board = platform::findBoard(boardName);
  if (!board) {
    say(board.error() + "; using qemu");
    board = platform::findBoard("qemu");
  }
  auto started = std::chrono::steady_clock::now();
  if (Status s = net::setLinkUp("lo"); !s) say(s.message());
  // Modules, like the clock, belong to the whole machine: not in a namespace.
  if (!namespaceMode) loadModules(board->modules);
  if (!envData) mountData(*board);
  say(fmt::format("board {}, modules and /data ready in {} ms", board->name,
                  std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started)
                      .count()));

  CoreOptions options;
  options.dataDir = envData ? envData : "/data";
  if (envServices) options.servicesFile = envServices;
  if (envListen) options.listen = envListen;
  options.runDir = "/run/bulwark";
  options.board = board->name;
  options.consoleLog = true;
  options.console = !namespaceMode;
  options.kernelLog = !namespaceMode;
  options.powerButton = !namespaceMode;
  std::unique_ptr<LinuxWatchdogDevice> watchdog;
  if (!namespaceMode && !board->watchdog.empty()) {
    watchdog = std::make_unique<LinuxWatchdogDevice>(board->watchdog);
    options.watchdog = watchdog.get();
  }
  options.ownsClock = !namespaceMode;  // CLOCK_REALTIME is not namespaced: in a namespace it is the host's
  options.ownsAccounts = true;         // the mount namespace is ours in both modes
  int stopSignal = 0;
  int code = runCore(options, &stopSignal);
  if (code != 0) say(fmt::format("the core ended with status {}", code));

  // Power off on SIGTERM / SIGUSR2 (and when the core could not run), reboot on SIGINT.
  bool rebootWanted = stopSignal == SIGINT;
  say(rebootWanted ? "rebooting" : "powering off");
  kill(-1, SIGTERM);
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  kill(-1, SIGKILL);
  sync();
  umount2("/data", MNT_DETACH);
  sync();
  // The watchdog stayed armed through all this: a shutdown that hangs resets
  // the device. A reboot is what it would do anyway; a device told to power
  // off must stay off, even where it can only halt.
  if (watchdog && !rebootWanted) {
    if (Status s = watchdog->disarm(); !s) say(s.message());
  }
  reboot(rebootWanted ? RB_AUTOBOOT : RB_POWER_OFF);
  // Never exit: PID 1 ending panics the kernel.
  for (;;) pause();
}

}  // namespace bulwark::init
