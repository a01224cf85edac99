// libFuzzer target for the small parsers of names and times that come from
// the command line and the control socket: variable paths
// ("USERFW_TEMPLATE:0.TEMPLATE_RULE:0.DST_IP") with resolve() and setScalar(),
// log query times ("2025-03-06_13:41", "-7d"), and dropbear's log lines
// (init/ssh.hpp). The input is split at the
// first NUL byte into a path and a value. Rejecting is fine; crashing, a
// sanitizer report, or a setScalar() that leaves an invalid configuration is a bug.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "config/config.hpp"
#include "init/ssh.hpp"
#include "log/log.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark;
  static const config::Config factory = config::factoryDefault(config::Schema::builtin());
  std::string input(reinterpret_cast<const char*>(data), size);
  auto nul = input.find('\0');
  std::string path = input.substr(0, nul);
  std::string value = nul == std::string::npos ? std::string() : input.substr(nul + 1);

  (void)init::sshdLogLine(input);  // dropbear's lines carry names a remote client chose
  (void)config::parsePath(path);
  (void)config::resolve(config::Schema::builtin(), factory, path);
  config::Config copy = factory;
  if (config::setScalar(config::Schema::builtin(), copy, path, value)) {
    if (Status s = config::validate(config::Schema::builtin(), copy); !s) {
      // A cell may be valid alone yet refer to a row that does not exist: only
      // row references may fail the whole-configuration check.
      if (s.message().find("row has this row id") == std::string::npos) {
        std::fprintf(stderr, "path_fuzz: setScalar accepted what validate refuses: %s\n", s.message().c_str());
        std::abort();
      }
    }
  } else if (copy != factory) {
    std::fprintf(stderr, "path_fuzz: a refused setScalar changed the configuration\n");
    std::abort();
  }
  (void)log::parseTime(path, std::chrono::system_clock::time_point{});
  return 0;
}
