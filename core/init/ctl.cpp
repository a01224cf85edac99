#include "init/ctl.hpp"

#include <chrono>
#include <cstdio>
#include <iostream>
#include <map>
#include <optional>
#include <thread>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "common/command_line.hpp"
#include "runtime/control_socket.hpp"

namespace bulwark::init {

namespace po = boost::program_options;
using nlohmann::json;

namespace {
// How long `bulwark ctl input NAME press` holds the contact closed.
constexpr std::chrono::milliseconds kPressLength{200};
}  // namespace

bool isCtlRequest(const std::string& request) { return request.rfind("{\"ctl\":", 0) == 0; }

std::string handleCtlRequest(const Supervisor& supervisor, const std::string& request) {
  json doc = json::parse(request, nullptr, false);
  if (doc.is_discarded() || !doc.is_object() || !doc["ctl"].is_string()) {
    return json{{"ok", false}, {"error", "malformed ctl request"}}.dump();
  }
  std::string what = doc["ctl"].get<std::string>();
  if (what == "services") {
    json list = json::array();
    for (const ServiceStatus& s : supervisor.list()) {
      json item{{"name", s.name},
                {"state", stateName(s.state)},
                {"pid", s.pid},
                {"restarts", s.restarts},
                {"uptime", s.uptime.count()}};
      if (s.lastExit) item["last_exit"] = *s.lastExit;
      list.push_back(std::move(item));
    }
    return json{{"ok", true}, {"services", list}}.dump();
  }
  return json{{"ok", false}, {"error", fmt::format("unknown ctl request '{}'", what)}}.dump();
}

std::vector<std::pair<std::string, std::string>> ledLines(const std::string& answer) {
  json doc = json::parse(answer, nullptr, false);
  std::vector<std::pair<std::string, std::string>> lines;
  if (doc.is_discarded() || !doc.is_object() || !doc["leds"].is_array()) return lines;
  for (const json& led : doc["leds"]) {
    if (led.is_object() && led.value("name", json()).is_string() && led.value("pattern", json()).is_string()) {
      lines.emplace_back(led["name"], led["pattern"]);
    }
  }
  if (doc.contains("display") && doc["display"].is_string()) {
    std::string text = doc["display"].get<std::string>();
    lines.emplace_back("7SEG", text.empty() ? "off" : text);
  }
  return lines;
}

namespace {

// One request to the core: its JSON answer, or the error (already printed).
std::optional<json> request(const std::filesystem::path& socket, const std::string& text) {
  bool unavailable = false;
  auto answer = runtime::controlRequest(socket, text, unavailable);
  if (!answer) {
    std::fprintf(stderr, "bulwark ctl: %s\n", answer.error().c_str());
    return std::nullopt;
  }
  json doc = json::parse(*answer, nullptr, false);
  if (doc.is_discarded() || !doc.value("ok", false)) {
    std::fprintf(stderr, "bulwark ctl: %s\n", doc.is_discarded() ? "malformed answer" : doc.value("error", "").c_str());
    return std::nullopt;
  }
  return doc;
}

// One question to the core.
std::optional<json> ask(const std::filesystem::path& socket, const std::string& what) {
  return request(socket, json{{"ctl", what}}.dump());
}

int printServices(const std::filesystem::path& socket) {
  auto doc = ask(socket, "services");
  if (!doc) return 1;
  std::printf("%-16s %-9s %7s %8s %8s %s\n", "SERVICE", "STATE", "PID", "RESTARTS", "UPTIME", "LAST-EXIT");
  for (const json& s : (*doc)["services"]) {
    std::string last = s.contains("last_exit") ? std::to_string(s["last_exit"].get<int>()) : "-";
    std::printf("%-16s %-9s %7d %8d %7llds %s\n", s["name"].get<std::string>().c_str(),
                s["state"].get<std::string>().c_str(), s["pid"].get<int>(), s["restarts"].get<int>(),
                static_cast<long long>(s["uptime"].get<std::int64_t>()), last.c_str());
  }
  return 0;
}

// "STAT heartbeat", one line an LED, and "7SEG 51" for a 7-segment display
// ("7SEG off" while dark); with `follow`, then a line whenever one changes
// (asked every 200 ms) until the core goes away.
int printLeds(const std::filesystem::path& socket, bool follow) {
  std::map<std::string, std::string> shown;
  for (;;) {
    auto doc = ask(socket, "leds");
    if (!doc) return 1;
    for (const auto& [name, pattern] : ledLines(doc->dump())) {
      auto [it, added] = shown.try_emplace(name, pattern);
      if (!added && it->second == pattern) continue;
      it->second = pattern;
      std::printf("%s %s\n", name.c_str(), pattern.c_str());
    }
    std::fflush(stdout);
    if (!follow) return 0;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
}

// "CMD1 open", an input a line, then "ACK1 on", an output a line.
int printIo(const std::filesystem::path& socket) {
  auto doc = ask(socket, "leds");
  if (!doc) return 1;
  for (const json& input : (*doc)["inputs"]) {
    std::printf("%s %s\n", input["name"].get<std::string>().c_str(), input["closed"].get<bool>() ? "closed" : "open");
  }
  for (const json& output : (*doc)["outputs"]) {
    std::printf("%s %s\n", output["name"].get<std::string>().c_str(), output["pattern"].get<std::string>().c_str());
  }
  return 0;
}

// Closes or opens a simulated input.
bool setInput(const std::filesystem::path& socket, const std::string& name, bool closed) {
  // The control server recognises the request by its start: "ctl" first.
  return request(socket, fmt::format(R"({{"ctl":"input","name":{},"closed":{}}})", json(name).dump(), closed))
      .has_value();
}

// `bulwark ctl input NAME on|off|press`.
int input(const std::filesystem::path& socket, const std::vector<std::string>& args) {
  if (args.size() != 2 || (args[1] != "on" && args[1] != "off" && args[1] != "press")) {
    std::fprintf(stderr, "bulwark ctl: input wants a name and on, off or press (bulwark ctl input CMD1 press)\n");
    return 1;
  }
  if (args[1] != "press") return setInput(socket, args[0], args[1] == "on") ? 0 : 1;
  if (!setInput(socket, args[0], true)) return 1;
  // Longer than the core's debounce, so that the press counts.
  std::this_thread::sleep_for(kPressLength);
  return setInput(socket, args[0], false) ? 0 : 1;
}

}  // namespace

int ctlMain(int argc, char** argv) {
  po::options_description options(
      "Usage: bulwark ctl services|leds|io [--run-dir R] [--follow]\n"
      "       bulwark ctl input NAME on|off|press [--run-dir R]\n"
      "\n"
      "Asks the running core.\n"
      "  services  one line per supervised service with its state, pid, restarts,\n"
      "            uptime in seconds and last exit status\n"
      "  leds      one line per LED of the board: its name and the pattern it shows\n"
      "            (\"STAT heartbeat\"), and \"7SEG 51\" for a 7-segment display (\"7SEG\n"
      "            off\" while dark); with --follow, then a line whenever one changes\n"
      "  io        one line per service contact (\"CMD1 open\"), then one per output\n"
      "            with its pattern (\"ACK1 on\", \"O3 off\")\n"
      "  input     closes (on) or opens (off) a simulated input, or closes it for\n"
      "            200 ms (press); inputs on GPIO lines are not set by hand\n"
      "\n"
      "Options");
  options.add_options()("help,h", "print this help")(
      "run-dir", po::value<std::string>()->default_value(defaultRunDir()),
      "run directory of the core (default: $BULWARK_RUN_DIR or /run/bulwark)")(
      "follow,f", "leds: keep printing changes until the core stops");
  po::options_description hidden;
  hidden.add_options()("what", po::value<std::string>(), "services, leds, io or input")(
      "args", po::value<std::vector<std::string>>(), "input: the name and on, off or press");
  po::options_description all;
  all.add(options).add(hidden);
  po::positional_options_description positional;
  positional.add("what", 1).add("args", -1);
  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    po::notify(vm);
  } catch (const po::error& e) {
    std::fprintf(stderr, "bulwark ctl: %s\n", e.what());
    return 1;
  }
  if (vm.count("help") || !vm.count("what")) {
    std::cout << options;
    return vm.count("help") ? 0 : 1;
  }
  std::string what = vm["what"].as<std::string>();
  std::filesystem::path socket = std::filesystem::path(vm["run-dir"].as<std::string>()) / "bulwark.sock";
  if (what == "services") return printServices(socket);
  if (what == "leds") return printLeds(socket, vm.count("follow") > 0);
  if (what == "io") return printIo(socket);
  if (what == "input") return input(socket, vm.count("args") ? vm["args"].as<std::vector<std::string>>() : std::vector<std::string>{});
  std::fprintf(stderr, "bulwark ctl: unknown question \"%s\" (known: services, leds, io, input)\n", what.c_str());
  return 1;
}

}  // namespace bulwark::init
