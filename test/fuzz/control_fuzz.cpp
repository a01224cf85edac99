// libFuzzer target for the control protocol (core/config/commands.hpp): the
// JSON requests gaiconfig and later tools send to the core. Each input is one
// request, handled by a real ConfigService on a store in a temporary
// directory, exactly as the core handles it. Rejecting a request is fine;
// crashing, hanging, a sanitizer report, or an answer that is not a JSON
// object with "ok" is a bug. After every request the configuration in force
// must still be valid.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include <boost/asio/io_context.hpp>
#include <nlohmann/json.hpp>

#include "config/commands.hpp"
#include "config/service.hpp"

namespace {

using namespace bulwark;

struct Environment {
  std::filesystem::path dir;
  boost::asio::io_context io;
  runtime::ManualClock clock;
  log::Log log{clock};
  std::unique_ptr<config::Store> store;
  std::unique_ptr<runtime::WorkerPool> workers;
  runtime::ModuleSet modules;
  std::unique_ptr<config::ConfigService> service;

  Environment() {
    std::string templ = "/dev/shm/bulwark-control-fuzz-XXXXXX";
    if (!mkdtemp(templ.data())) {
      templ = (std::filesystem::temp_directory_path() / "bulwark-control-fuzz-XXXXXX").string();
      if (!mkdtemp(templ.data())) std::abort();
    }
    dir = templ;
    auto s = config::Store::open(dir / "config.db");
    if (!s) std::abort();
    store = std::move(*s);
    workers = std::make_unique<runtime::WorkerPool>(io, 2, 64);
    auto initial = config::ConfigService::loadInitial(*store, config::Schema::builtin());
    if (!initial) std::abort();
    service = std::make_unique<config::ConfigService>(*workers, *store, log, config::Schema::builtin(), modules,
                                                      std::move(*initial));
  }
};

Environment& environment() {
  static Environment* env = new Environment();  // lives until the fuzzer exits
  return *env;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Environment& env = environment();
  std::string request(reinterpret_cast<const char*>(data), size);
  std::string reply;
  bool answered = false;
  config::handleConfigRequest(*env.service, request, {config::Actor{}, env.dir}, [&](std::string r) {
    reply = std::move(r);
    answered = true;
  });
  env.io.restart();
  env.io.run();
  if (!answered) {
    std::fprintf(stderr, "control_fuzz: no answer\n");
    std::abort();
  }
  auto answer = nlohmann::json::parse(reply, nullptr, false);
  if (answer.is_discarded() || !answer.is_object() || !answer.contains("ok") || !answer["ok"].is_boolean()) {
    std::fprintf(stderr, "control_fuzz: malformed answer: %s\n", reply.c_str());
    std::abort();
  }
  if (Status s = config::validate(config::Schema::builtin(), *env.service->snapshot()); !s) {
    std::fprintf(stderr, "control_fuzz: the configuration in force is invalid: %s\n", s.message().c_str());
    std::abort();
  }
  return 0;
}
