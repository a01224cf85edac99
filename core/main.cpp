// bulwark: one binary, many names. It dispatches on the name it was called
// by (argv[0]) and on its first argument:
//   bulwark init ...       the appliance core
//   gaiconfig ...          the configuration command line (also: bulwark gaiconfig)
//   bulwark log ...        stored log lines
//   bulwark board NAME     what the core knows of a board (image/build reads it)
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <string>

#include <boost/program_options.hpp>

#include "board.hpp"
#include "build_config.hpp"
#include "common/command_line.hpp"
#include "config/gaiconfig.hpp"
#include "firewall/fw_command.hpp"
#include "init/core.hpp"
#include "init/ctl.hpp"
#include "init/pid1.hpp"
#include "init/shell_server.hpp"
#include "net/dhcp_event.hpp"
#include "log/log_cli.hpp"

namespace {

namespace po = boost::program_options;

constexpr const char* kUsage =
    "Usage: bulwark COMMAND [ARGS...]\n"
    "\n"
    "The appliance core of bulwark, an open-source OS core for industrial\n"
    "security routers. One binary; commands:\n"
    "  init        run the appliance core (see bulwark init --help)\n"
    "  gaiconfig   read and change the configuration (also installed as gaiconfig)\n"
    "  log         print stored log lines\n"
    "  ctl         ask the running core (bulwark ctl services, leds, io; input sets a contact)\n"
    "  board NAME  print a board's facts: ports, LEDs, I/O, modules... (--list: the boards)\n"
    "  fw show     print the packet filter the configuration makes, in nft syntax\n"
    "  fw check    have the kernel validate it, applying nothing\n"
    "  --version   print the version\n"
    "  --help      print this help\n";

int initMain(int argc, char** argv) {
  po::options_description options(
      "Usage: bulwark init [--data-dir D] [--run-dir R] [--board NAME] [--listen ADDR:PORT]\n"
      "\n"
      "Runs the appliance core in the foreground until SIGTERM or SIGINT. As PID 1\n"
      "it will also do the duties of init; as an ordinary process it runs the rest,\n"
      "so it can be started in a temporary directory.\n"
      "\n"
      "Options");
  options.add_options()
      ("help,h", "print this help")
      ("data-dir", po::value<std::string>()->default_value("/data"), "persistent data: config.db, logs.db")
      ("run-dir", po::value<std::string>()->default_value("/run/bulwark"), "runtime files: the control socket, the daemons' configurations and sockets (charon.vici)")
      ("board", po::value<std::string>()->default_value("sim"), "board the core runs on")
      ("listen", po::value<std::string>()->default_value(""),
       "address of the HTTPS management (ADDR:PORT); default: HTTPS_PORT on the internal address")
      ("services", po::value<std::string>()->default_value(""),
       "a JSON file of extra services to supervise (development and tests)")
      ("console-log", "also print log lines to standard output")
      ("console", "the login prompt and CLI on standard input and output (as on the serial console)");
  po::variables_map vm;
  if (auto exit = bulwark::parseCommandLine({argv + 1, argv + argc}, options, vm, "bulwark init")) return *exit;
  bulwark::init::CoreOptions o;
  o.dataDir = vm["data-dir"].as<std::string>();
  o.runDir = vm["run-dir"].as<std::string>();
  o.board = vm["board"].as<std::string>();
  o.listen = vm["listen"].as<std::string>();
  o.consoleLog = vm.count("console-log") > 0;
  o.servicesFile = vm["services"].as<std::string>();
  o.console = vm.count("console") > 0;
  return bulwark::init::runCore(o);
}

// One "key: value" line a fact (platform/board.hpp: describe).
int boardMain(int argc, char** argv) {
  po::options_description options(
      "Usage: bulwark board NAME | --list\n"
      "\n"
      "Prints what the core knows of the board NAME (platform/boards/NAME.json),\n"
      "one \"key: value\" line a fact: product, hardware ids, CPU architecture, ports\n"
      "(name, kernel interface, role, name in the other generation), LEDs, inputs\n"
      "and outputs with how each is driven, modem, kernel modules, data device,\n"
      "watchdog. image/build takes the kernel modules of the image from it.\n"
      "\n"
      "Options");
  options.add_options()("help,h", "print this help")("list", "print the names of the boards built in")(
      "name", po::value<std::string>(), "the board");
  po::positional_options_description positional;
  positional.add("name", 1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(options).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << options;
      return 0;
    }
  } catch (const po::error& e) {
    std::fprintf(stderr, "bulwark board: %s\n", e.what());
    return 1;
  }
  if (vm.count("list")) {
    for (const std::string& name : bulwark::platform::boardNames()) std::printf("%s\n", name.c_str());
    return 0;
  }
  if (!vm.count("name")) {
    std::fputs("bulwark board: which board? (bulwark board --help)\n", stderr);
    return 1;
  }
  auto board = bulwark::platform::findBoard(vm["name"].as<std::string>());
  if (!board) {
    std::fprintf(stderr, "bulwark board: %s\n", board.error().c_str());
    return 1;
  }
  std::fputs(bulwark::platform::describe(*board).c_str(), stdout);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  // Everything bulwark creates (stores, logs, sockets) holds secrets or
  // controls the device: for its owner only.
  umask(0077);
  // The image's /init.
  if (getpid() == 1) bulwark::init::runAsPid1();
  std::string self = argc > 0 ? std::filesystem::path(argv[0]).filename().string() : "bulwark";
  if (self == "gaiconfig") return bulwark::config::gaiconfigMain(argc, argv);
  if (self == "udhcpc-event") return bulwark::net::dhcpEventMain(argc, argv);
  // The login shell of admin, netadmin and audit ("-bulwark-shell" as a login shell).
  if (self == "bulwark-shell" || self == "-bulwark-shell") return bulwark::init::shellMain(argc, argv);
  if (argc < 2) {
    std::fputs(kUsage, stderr);
    return 1;
  }
  std::string command = argv[1];
  // The sub-command sees itself as argv[0].
  if (command == "init") return initMain(argc - 1, argv + 1);
  if (command == "gaiconfig") return bulwark::config::gaiconfigMain(argc - 1, argv + 1);
  if (command == "log") return bulwark::log::logMain(argc - 1, argv + 1);
  if (command == "ctl") return bulwark::init::ctlMain(argc - 1, argv + 1);
  if (command == "fw") return bulwark::firewall::fwMain(argc - 1, argv + 1);
  if (command == "board") return boardMain(argc - 1, argv + 1);
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(kUsage, stdout);
    return 0;
  }
  if (command == "--version") {
    std::printf("bulwark %s\n", bulwark::build::version);
    return 0;
  }
  std::fprintf(stderr, "bulwark: unknown command \"%s\"\n%s", command.c_str(), kUsage);
  return 1;
}
