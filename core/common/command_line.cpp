#include "common/command_line.hpp"

#include <cstdio>
#include <cstdlib>
#include <iostream>

namespace bulwark {

namespace po = boost::program_options;

namespace {
std::string fromEnvironment(const char* variable, const char* fallback) {
  const char* value = std::getenv(variable);
  return value && *value ? value : fallback;
}
}  // namespace

std::string defaultDataDir() { return fromEnvironment("BULWARK_DATA_DIR", "/data"); }
std::string defaultRunDir() { return fromEnvironment("BULWARK_RUN_DIR", "/run/bulwark"); }

std::optional<int> parseCommandLine(const std::vector<std::string>& args, const po::options_description& options,
                                    po::variables_map& vm, std::string_view program, std::string_view help) {
  try {
    po::store(po::command_line_parser(args).options(options).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(program.size()), program.data(), e.what());
    return 1;
  }
  if (vm.count("help")) {
    std::cout << help << options;
    return 0;
  }
  return std::nullopt;
}

}  // namespace bulwark
