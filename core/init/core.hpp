// The composition root of the appliance core (`bulwark init`): constructs
// every module in start order, runs the one event loop on this thread, and
// stops everything in reverse order on SIGTERM or SIGINT.
#pragma once

#include <filesystem>
#include <string>

namespace bulwark::init {

class WatchdogDevice;

struct CoreOptions {
  std::filesystem::path dataDir = "/data";
  std::filesystem::path runDir = "/run/bulwark";
  std::string board = "sim";
  std::string listen;        // ADDR:PORT of the HTTPS management (issue 3)
  bool consoleLog = false;   // also print log lines to stdout
  std::filesystem::path servicesFile;  // extra services (services_file.hpp), for development and tests
  bool kernelLog = false;    // the kernel's messages into the log (PID 1)
  bool console = false;      // the login prompt and CLI on stdin/stdout (console.hpp)
  bool ownsClock = false;    // NTP may set the system clock (PID 1 of the image only)
  bool ownsAccounts = false; // SSH: /etc/passwd and friends are ours to bind over (PID 1)
  // The hardware watchdog to arm and kick on the loop (watchdog.hpp); PID 1
  // owns it and decides at shutdown whether to disarm it.
  WatchdogDevice* watchdog = nullptr;
  // Power off when an input device's power key is pressed (power_button.hpp;
  // PID 1: QEMU's system_powerdown).
  bool powerButton = false;
};

// Returns the process exit code; `stopSignal` (when given) receives the signal
// that stopped the core (SIGTERM, SIGINT, or SIGUSR2 as PID 1).
int runCore(const CoreOptions& options, int* stopSignal = nullptr);

}  // namespace bulwark::init
