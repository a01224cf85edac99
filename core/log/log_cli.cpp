#include "log/log_cli.hpp"

#include <cstdio>
#include <iostream>

#include <boost/program_options.hpp>

#include "common/command_line.hpp"
#include "log/log_store.hpp"

namespace bulwark::log {

namespace po = boost::program_options;

int logMain(int argc, char** argv) {
  po::options_description options(
      "Usage: bulwark log [--data-dir D] [--tag T] [--since TIME] [--until TIME] [--grep TEXT] [--tail N]\n"
      "\n"
      "Prints the stored log lines, oldest first, in the reference's format. TIME is\n"
      "2025-03-06, 2025-03-06_13:41 or 2025-03-06_13:41:43 (local time), or -30m, -2h, -7d.\n"
      "\n"
      "Options");
  options.add_options()
      ("help,h", "print this help")
      ("data-dir", po::value<std::string>()->default_value(defaultDataDir()),
       "data directory holding logs.db (default: $BULWARK_DATA_DIR or /data)")
      ("tag", po::value<std::string>()->default_value(""), "only lines of this tag (maid, action, uptime-audit, ...)")
      ("since", po::value<std::string>(), "only lines at or after TIME")
      ("until", po::value<std::string>(), "only lines at or before TIME")
      ("grep", po::value<std::string>()->default_value(""), "only lines whose message contains TEXT")
      ("tail", po::value<std::size_t>()->default_value(0), "only the last N lines");
  po::variables_map vm;
  if (auto exit = parseCommandLine({argv + 1, argv + argc}, options, vm, "bulwark log")) return *exit;
  Query q;
  auto now = std::chrono::system_clock::now();
  for (const char* key : {"since", "until"}) {
    if (!vm.count(key)) continue;
    auto t = parseTime(vm[key].as<std::string>(), now);
    if (!t) {
      std::fprintf(stderr, "bulwark log: cannot read the time \"%s\"\n", vm[key].as<std::string>().c_str());
      return 1;
    }
    (std::string_view(key) == "since" ? q.since : q.until) = t;
  }
  q.tag = vm["tag"].as<std::string>();
  q.text = vm["grep"].as<std::string>();
  q.tail = vm["tail"].as<std::size_t>();
  auto path = std::filesystem::path(vm["data-dir"].as<std::string>()) / "logs.db";
  if (!std::filesystem::exists(path)) {
    std::fprintf(stderr, "bulwark log: there is no log store at %s\n", path.c_str());
    return 1;
  }
  auto entries = query(path, q);
  if (!entries) {
    std::fprintf(stderr, "bulwark log: %s\n", entries.error().c_str());
    return 1;
  }
  for (const Entry& e : *entries) std::cout << formatLine(e) << '\n';
  return 0;
}

}  // namespace bulwark::log
