#include "config/gaiconfig.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <iterator>
#include <optional>

#include <boost/asio/io_context.hpp>
#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/command_line.hpp"
#include "common/file_lock.hpp"
#include "config/atv.hpp"
#include "config/commands.hpp"
#include "log/log_store.hpp"
#include "runtime/control_socket.hpp"

namespace bulwark::config {

namespace po = boost::program_options;
using json = nlohmann::json;

namespace {

constexpr const char* kUsage =
    "Usage: gaiconfig [--data-dir D] [--run-dir R] COMMAND\n"
    "\n"
    "Reads and changes the configuration of bulwark. It talks to the running\n"
    "core over <run-dir>/bulwark.sock; when no core runs it works on the store\n"
    "in <data-dir> directly. Exit status 0 on success, 1 with a one-line reason\n"
    "on standard error otherwise.\n";

int fail(const std::string& message) {
  std::fprintf(stderr, "gaiconfig: %s\n", message.c_str());
  return 1;
}

Result<std::string> readStdin() {
  std::string text;
  char buf[65536];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
    text.append(buf, n);
    if (text.size() > kMaxProfileBytes) {
      return Error{fmt::format("The profile on standard input is larger than 16 MiB.")};
    }
  }
  if (std::ferror(stdin)) return Error{"cannot read standard input"};
  return text;
}

// Runs one request on the store directly, with the same code the core runs.
Result<std::string> runDirect(const std::filesystem::path& dataDir, const std::filesystem::path& runDir,
                              const std::string& request) {
  // The data directory is the appliance's /data partition: it must exist. A
  // mistyped --data-dir is reported, not silently made into a new store.
  std::error_code ec;
  if (!std::filesystem::is_directory(dataDir, ec)) {
    return Error{fmt::format("The core is not running and there is no data directory {}.", dataDir.string())};
  }
  // Another gaiconfig on the store is waited for; a core is not (it would answer on its socket).
  FileLock::Busy busy;
  auto lock = FileLock::acquire(dataDir / "config.lock", "gaiconfig", &busy, "gaiconfig", std::chrono::seconds(30));
  if (!lock) {
    if (!busy.holder) return Error{lock.error()};
    return Error{fmt::format("The configuration store in {} is in use (pid {}), and no core answers on {}.",
                             dataDir.string(), busy.holder, (runDir / "bulwark.sock").string())};
  }
  boost::asio::io_context io;
  runtime::SystemClock clock;
  log::Log log(clock);
  auto logStore = log::LogStore::open({.path = dataDir / "logs.db"}, clock);
  if (!logStore) return Error{logStore.error()};
  log.addSink(**logStore);
  auto store = Store::open(dataDir / "config.db");
  if (!store) return Error{store.error()};
  auto initial = ConfigService::loadInitial(**store, Schema::builtin());
  if (!initial) return Error{initial.error()};
  runtime::WorkerPool workers(io, 1, 64);
  runtime::ModuleSet modules;  // no modules run without the core
  ConfigService service(workers, **store, log, Schema::builtin(), modules, std::move(*initial));
  std::string reply;
  handleConfigRequest(service, request, {Actor{}, dataDir}, [&](std::string r) { reply = std::move(r); });
  io.run();
  workers.drain();
  (*logStore)->flush();
  if (reply.empty()) return Error{"no answer"};
  return reply;
}

}  // namespace

int gaiconfigMain(int argc, char** argv) {
  po::options_description commands("Commands");
  commands.add_options()
      ("get", po::value<std::string>()->value_name("NAME"), "print the value of NAME (a variable, a table, TABLE:N or a cell path)")
      ("set", po::value<std::vector<std::string>>()->multitoken()->value_name("NAME VALUE"), "set NAME to VALUE (taken verbatim)")
      ("get-all", "print the whole configuration as an ATV profile")
      ("set-all", "apply the ATV profile on standard input")
      ("setall", "the same as --set-all")
      ("goto", po::value<std::string>()->value_name("TABLE:N"), "select a table row, for --get-rowid")
      ("get-rowid", "print the row id of the row selected with --goto")
      ("diff", po::value<std::string>()->value_name("PROFILE"), "list what restoring PROFILE would change")
      ("profile-list", "list the saved profiles: name, size, active")
      ("profile-save", po::value<std::string>()->value_name("NAME"), "save the configuration as profile NAME")
      ("profile-import", po::value<std::string>()->value_name("NAME"), "store the profile on standard input as NAME")
      ("profile-export", po::value<std::string>()->value_name("NAME"), "print profile NAME")
      ("profile-restore", po::value<std::string>()->value_name("NAME"), "apply profile NAME")
      ("profile-delete", po::value<std::string>()->value_name("NAME"), "delete profile NAME")
      ("profile-compare", po::value<std::vector<std::string>>()->multitoken()->value_name("A B"), "list the differences from profile A to B");
  po::options_description options("Options");
  options.add_options()
      ("help,h", "print this help")
      ("data-dir", po::value<std::string>()->default_value(defaultDataDir()),
       "data directory of the store (default: $BULWARK_DATA_DIR or /data)")
      ("run-dir", po::value<std::string>()->default_value(defaultRunDir()),
       "run directory of the control socket (default: $BULWARK_RUN_DIR or /run/bulwark)")
      ("silent", "print no notes (errors are still printed)")
      ("factory-default", "with --set-all: apply the profile on top of the factory default");
  po::options_description all;
  all.add(commands).add(options);

  // --set takes its two words verbatim, whatever they look like ("-1",
  // "--x", ""), so they are taken out before the option parser sees them.
  std::vector<std::string> args(argv + 1, argv + argc);
  std::optional<std::pair<std::string, std::string>> setArgs;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] != "--set") continue;
    if (setArgs) return fail("give one command at a time");
    if (i + 2 >= args.size()) return fail("--set takes NAME and VALUE");
    setArgs.emplace(args[i + 1], args[i + 2]);
    args.erase(args.begin() + static_cast<std::ptrdiff_t>(i), args.begin() + static_cast<std::ptrdiff_t>(i) + 3);
    --i;
  }

  po::variables_map vm;
  if (auto exit = parseCommandLine(args, all, vm, "gaiconfig", kUsage)) return *exit;

  json request;
  int chosen = 0;
  auto pick = [&](json r) {
    ++chosen;
    request = std::move(r);
  };
  if (vm.count("get")) pick({{"op", "get"}, {"path", vm["get"].as<std::string>()}});
  if (setArgs) pick({{"op", "set"}, {"path", setArgs->first}, {"value", setArgs->second}});
  if (vm.count("get-all")) pick({{"op", "get-all"}});
  if (vm.count("set-all") || vm.count("setall")) pick({{"op", "set-all"}, {"factory_default", vm.count("factory-default") > 0}});
  if (vm.count("get-rowid")) {
    if (!vm.count("goto")) return fail("--get-rowid needs --goto TABLE:N");
    pick({{"op", "rowid"}, {"path", vm["goto"].as<std::string>()}});
  } else if (vm.count("goto")) {
    return fail("--goto is used with --get-rowid");
  }
  if (vm.count("diff")) pick({{"op", "diff"}, {"profile", vm["diff"].as<std::string>()}});
  if (vm.count("profile-list")) pick({{"op", "profile-list"}});
  for (const char* op : {"profile-save", "profile-import", "profile-export", "profile-restore", "profile-delete"}) {
    if (vm.count(op)) pick({{"op", op}, {"name", vm[op].as<std::string>()}});
  }
  if (vm.count("profile-compare")) {
    auto args = vm["profile-compare"].as<std::vector<std::string>>();
    if (args.size() != 2) return fail("--profile-compare takes two profile names");
    pick({{"op", "profile-compare"}, {"from", args[0]}, {"to", args[1]}});
  }
  if (chosen != 1) return fail(chosen == 0 ? "no command given (see --help)" : "give one command at a time");
  if (vm.count("factory-default") && request["op"] != "set-all") return fail("--factory-default goes with --set-all");

  std::string op = request["op"];
  if (op == "set-all" || op == "profile-import") {
    auto text = readStdin();
    if (!text) return fail(text.error());
    // Bytes that are not UTF-8 are refused here, where the profile's own
    // checks can still say on which line and column they stand.
    if (!isValidUtf8(*text)) {
      auto parsed = parseAtv(*text);
      return fail(parsed ? std::string("The profile is not valid UTF-8.") : parsed.error());
    }
    request["atv"] = std::move(*text);
  }
  if (setArgs && !isValidUtf8(setArgs->second)) {
    return fail(errorFor(setArgs->first, "...", "The value is not valid UTF-8."));
  }
  if (!isValidUtf8(request.value("path", "") + request.value("name", "") + request.value("profile", ""))) {
    return fail("The names given are not valid UTF-8.");
  }

  std::filesystem::path dataDir = vm["data-dir"].as<std::string>();
  std::filesystem::path runDir = vm["run-dir"].as<std::string>();
  // A data directory the caller chose is checked by the core that answers:
  // with two cores on one machine, a request must not reach the wrong one.
  if (!vm["data-dir"].defaulted() || std::getenv("BULWARK_DATA_DIR")) {
    request["data_dir"] = std::filesystem::absolute(dataDir).lexically_normal().string();
  }

  std::string wire = request.dump();
  bool unavailable = false;
  auto reply = runtime::controlRequest(runDir / "bulwark.sock", wire, unavailable);
  if (!reply && unavailable) reply = runDirect(dataDir, runDir, wire);
  if (!reply) return fail(reply.error());

  json answer = json::parse(*reply, nullptr, false);
  if (answer.is_discarded() || !answer.is_object()) return fail("the core gave an answer that is not JSON");
  if (!answer.value("ok", false)) return fail(answer.value("error", std::string("failed")));

  bool silent = vm.count("silent") > 0;
  if (answer.contains("value")) {
    std::string value = answer["value"];
    std::cout << value;
    if (value.empty() || value.back() != '\n') std::cout << '\n';
  }
  if (answer.contains("atv")) std::cout << answer["atv"].get<std::string>();
  if (answer.contains("lines")) {
    for (const auto& line : answer["lines"]) std::cout << line.get<std::string>() << '\n';
  }
  if (answer.contains("notes") && !silent) {
    for (const auto& note : answer["notes"]) std::cerr << "gaiconfig: note: " << note.get<std::string>() << '\n';
  }
  if (answer.contains("profiles")) {
    for (const auto& p : answer["profiles"]) {
      std::cout << fmt::format("{}\t{}\t{}\n", p["name"].get<std::string>(), p["size"].get<std::size_t>(),
                               p["active"].get<bool>() ? "active" : "-");
    }
  }
  std::cout.flush();
  return std::cout ? 0 : fail("cannot write the answer");
}

}  // namespace bulwark::config
