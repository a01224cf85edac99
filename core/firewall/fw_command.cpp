#include "firewall/fw_command.hpp"

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>

#include <boost/program_options.hpp>

#include "board.hpp"
#include "common/command_line.hpp"
#include "config/atv.hpp"
#include "config/schema.hpp"
#include "firewall/compiler.hpp"
#include "firewall/firewall_module.hpp"
#include "firewall/nft_backend.hpp"

namespace bulwark::firewall {

namespace po = boost::program_options;

int fwMain(int argc, char** argv) {
  static const char kHelp[] =
      "Usage: bulwark fw show|check [--board NAME] [--atv FILE]\n\n"
      "show prints the packet filter the configuration makes, in nft syntax (nft -f\n"
      "reads it); check has the kernel validate it without applying anything (as\n"
      "nft -c; needs CAP_NET_ADMIN). The configuration is the ATV profile FILE (- for standard\n"
      "input) on top of the factory default, or the factory default alone; for\n"
      "the running one: bulwark gaiconfig --get-all | bulwark fw show --atv -\n"
      "The board (default qemu) names the interfaces. Rule records (FW_RULESETS)\n"
      "are shown in their INITIAL_STATE; the running core may have switched them.\n";
  po::options_description options("Options");
  options.add_options()
      ("help,h", "print this help")
      ("board", po::value<std::string>()->default_value("qemu"), "the board whose interfaces the rules name")
      ("atv", po::value<std::string>()->value_name("FILE"), "an ATV profile (- for standard input)");
  po::positional_options_description positional;
  positional.add("command", 1);
  po::options_description all;
  all.add(options).add_options()("command", po::value<std::string>());
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "fw: %s\n", e.what());
    return 1;
  }
  if (vm.count("help") || !vm.count("command")) {
    std::fputs(kHelp, vm.count("help") ? stdout : stderr);
    return vm.count("help") ? 0 : 1;
  }
  std::string command = vm["command"].as<std::string>();
  if (command != "show" && command != "check") {
    std::fprintf(stderr, "fw: unknown command '%s'\n%s", vm["command"].as<std::string>().c_str(), kHelp);
    return 1;
  }
  auto board = platform::findBoard(vm["board"].as<std::string>());
  if (!board) {
    std::fprintf(stderr, "fw: %s\n", board.error().c_str());
    return 1;
  }
  const config::Schema& schema = config::Schema::builtin();
  config::Config cfg = config::factoryDefault(schema);
  if (vm.count("atv")) {
    std::string file = vm["atv"].as<std::string>();
    std::stringstream text;
    if (file == "-") {
      text << std::cin.rdbuf();
    } else {
      std::ifstream in(file);
      if (!in) {
        std::fprintf(stderr, "fw: cannot read %s\n", file.c_str());
        return 1;
      }
      text << in.rdbuf();
    }
    config::RowIdGenerator ids(1);  // rows without ROWID: the same ids, and log ids, every time
    auto loaded = config::importProfile(schema, text.str(), cfg, ids);
    if (!loaded) {
      std::fprintf(stderr, "fw: %s\n", loaded.error().c_str());
      return 1;
    }
    cfg = std::move(*loaded);
  }
  auto ruleset = compile(cfg, interfacesOf(*board), initialState(cfg));
  if (!ruleset) {
    std::fprintf(stderr, "fw: %s\n", ruleset.error().c_str());
    return 1;
  }
  if (command == "check") {
    if (Status s = check(*ruleset); !s) {
      std::fprintf(stderr, "fw: %s\n", s.message().c_str());
      return 1;
    }
    std::size_t rules = 0;
    for (const Chain& c : ruleset->chains) rules += c.rules.size();
    std::size_t elements = 0;
    for (const Set& s : ruleset->sets) elements += s.elements.size();
    std::printf("fw: %zu chains, %zu rules, %zu sets of %zu elements: accepted by the kernel, nothing applied\n",
                ruleset->chains.size(), rules, ruleset->sets.size(), elements);
    return 0;
  }
  std::fputs(toNft(*ruleset).c_str(), stdout);
  return 0;
}

}  // namespace bulwark::firewall
