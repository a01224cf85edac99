#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>

#include "auth/credentials.hpp"
#include "config/atv.hpp"
#include "config/password.hpp"
#include "config/service.hpp"
#include "support/support.hpp"

using namespace bulwark;
using namespace bulwark::config;

namespace {

// A module that records what it is handed and fails on demand.
class FakeModule final : public runtime::Module {
 public:
  explicit FakeModule(std::string name) : name_(std::move(name)) {}
  std::string_view name() const override { return name_; }
  Status start(const Snapshot& s) override {
    seen.push_back(s);
    return {};
  }
  Status reconfigure(const Snapshot& s, const Diff& d) override {
    seen.push_back(s);
    diffs.push_back(d);
    if (failWhen && failWhen(*s)) return Error{"cannot apply this"};
    return {};
  }
  void stop() override {}

  std::function<bool(const Config&)> failWhen;
  std::vector<Snapshot> seen;
  std::vector<Diff> diffs;

 private:
  std::string name_;
};

struct Fixture {
  test::TempDir dir;
  boost::asio::io_context io;
  runtime::ManualClock clock;
  log::Log log{clock};
  test::MemorySink sink;
  std::unique_ptr<Store> store;
  runtime::WorkerPool workers{io, 2, 64};
  runtime::ModuleSet modules;
  runtime::EventBus bus{io};
  std::vector<std::uint64_t> applied;
  FakeModule first{"first"};
  FakeModule second{"second"};
  std::unique_ptr<ConfigService> service;
  Actor admin{"admin", "admin", "Webinterface"};

  Fixture() {
    log.addSink(sink);
    auto s = Store::open(dir / "config.db");
    REQUIRE(s);
    store = std::move(*s);
    modules.add(first);
    modules.add(second);
    bus.subscribe<runtime::ConfigApplied>([this](const runtime::ConfigApplied& e) { applied.push_back(e.generation); });
    reopen();
  }

  void reopen() {
    auto initial = ConfigService::loadInitial(*store, Schema::builtin());
    REQUIRE(initial);
    service = std::make_unique<ConfigService>(workers, *store, log, Schema::builtin(), modules, std::move(*initial),
                                              &bus);
  }

  Status set(const std::string& path, const std::string& value) {
    std::optional<Status> result;
    service->set(admin, path, value, [&](Status s) { result = s; });
    test::runUntil(io, [&] { return result.has_value(); });
    return *result;
  }

  template <typename T, typename Call>
  T wait(Call call) {
    std::optional<T> result;
    call([&](T r) { result.emplace(std::move(r)); });
    test::runUntil(io, [&] { return result.has_value(); });
    return std::move(*result);
  }

  std::string stored() {
    auto current = store->load();
    REQUIRE(current);
    REQUIRE(*current);
    return (*current)->atv;
  }
};

}  // namespace

TEST_CASE("an empty store starts with the factory default", "[service]") {
  Fixture f;
  CHECK(*f.service->snapshot() == factoryDefault(Schema::builtin()));
  CHECK(f.stored() == writeAtv(Schema::builtin(), factoryDefault(Schema::builtin())));
}

TEST_CASE("a change is validated, committed, handed to the modules in order and logged", "[service]") {
  Fixture f;
  REQUIRE(f.set("WWW_TIMEOUT", "900"));
  CHECK(f.service->snapshot()->get("WWW_TIMEOUT") == "900");
  CHECK(f.stored().find("WWW_TIMEOUT = \"900\"") != std::string::npos);
  REQUIRE(f.first.diffs.size() == 1);
  REQUIRE(f.second.diffs.size() == 1);
  CHECK(f.first.diffs[0].touches("WWW_TIMEOUT"));
  CHECK(f.first.seen.back() == f.service->snapshot());
  CHECK(f.sink.messages("maid") == std::vector<std::string>{
                                       "User 'admin' performed a configuration change with role 'admin':",
                                       "WWW_TIMEOUT set to '900'",
                                   });
  test::runUntil(f.io, [&] { return !f.applied.empty(); });
  CHECK(f.applied == std::vector<std::uint64_t>{f.service->generation()});
  // It survives a restart.
  f.reopen();
  CHECK(f.service->snapshot()->get("WWW_TIMEOUT") == "900");
}

TEST_CASE("passwords in table cells are stored as hashes, by set-all and by set", "[service]") {
  Fixture f;
  auto imported = f.wait<Result<std::vector<std::string>>>([&](auto done) {
    f.service->setAll(f.admin,
                      "USERFW_USERS = {\n  { USERNAME = \"fred\" PASSWORD = \"fred-Secret1\" }\n}\n"
                      "// End of configuration profile\n",
                      false, std::move(done));
  });
  REQUIRE(imported);
  const std::string& first = f.service->snapshot()->find("USERFW_USERS")->rows.at(0).fields.at("PASSWORD").text;
  CHECK(isPasswordHash(first));
  CHECK(auth::verifyPassword("fred-Secret1", first));
  REQUIRE(f.set("USERFW_USERS:0.PASSWORD", "other-Secret2"));
  const Config& now = *f.service->snapshot();
  const std::string& second = now.find("USERFW_USERS")->rows.at(0).fields.at("PASSWORD").text;
  CHECK(auth::verifyPassword("other-Secret2", second));
  CHECK(now.values.count("USERFW_USERS:0.PASSWORD") == 0);  // no stray top-level value
  CHECK(f.stored().find("Secret") == std::string::npos);
  for (const auto& m : f.sink.messages("maid")) CHECK(m.find("Secret") == std::string::npos);
}

TEST_CASE("an invalid change is refused and changes nothing", "[service]") {
  Fixture f;
  std::string before = f.stored();
  auto generation = f.service->generation();
  Status s = f.set("WWW_TIMEOUT", "5");
  CHECK(s.message() == "Error for WWW_TIMEOUT=\"5\": The value must be an integer from 30 to 86400.");
  CHECK(f.set("NO_SUCH", "1").message() == "Unknown variable NO_SUCH.");
  CHECK(f.stored() == before);
  CHECK(f.service->generation() == generation);
  CHECK(f.first.diffs.empty());
  CHECK(f.sink.entries.empty());
  f.io.poll();
  CHECK(f.applied.empty());
}

TEST_CASE("a change a module cannot apply is rolled back everywhere", "[service]") {
  Fixture f;
  REQUIRE(f.set("WWW_TIMEOUT", "900"));
  Snapshot good = f.service->snapshot();
  std::string before = f.stored();
  f.sink.entries.clear();
  f.second.failWhen = [](const Config& c) { return c.get("WWW_TIMEOUT") == "600"; };

  Status s = f.set("WWW_TIMEOUT", "600");
  CHECK(s.message() == "second: cannot apply this");
  CHECK(f.service->snapshot() == good);
  CHECK(f.stored() == before);
  // The first module had accepted the change: it was handed the previous snapshot again.
  REQUIRE(f.first.seen.size() >= 3);
  CHECK(f.first.seen.back()->get("WWW_TIMEOUT") == "900");
  CHECK(f.second.seen.back()->get("WWW_TIMEOUT") == "900");
  CHECK(f.sink.messages("maid") ==
        std::vector<std::string>{"Configuration change by 'admin' was rolled back: second: cannot apply this"});
  f.reopen();
  CHECK(f.service->snapshot()->get("WWW_TIMEOUT") == "900");
}

TEST_CASE("changes submitted together run one after the other", "[service]") {
  Fixture f;
  std::vector<Status> results;
  f.service->set(f.admin, "WWW_TIMEOUT", "900", [&](Status s) { results.push_back(s); });
  f.service->set(f.admin, "WWW_TIMEOUT", "bad", [&](Status s) { results.push_back(s); });
  f.service->set(f.admin, "WWW_LANGUAGE", "de", [&](Status s) { results.push_back(s); });
  test::runUntil(f.io, [&] { return results.size() == 3; });
  CHECK(results[0]);
  CHECK_FALSE(results[1]);
  CHECK(results[2]);
  CHECK(f.service->snapshot()->get("WWW_TIMEOUT") == "900");
  CHECK(f.service->snapshot()->get("WWW_LANGUAGE") == "de");
}

TEST_CASE("clear-text passwords are hashed on a worker and masked in the log", "[service]") {
  Fixture f;
  REQUIRE(f.set("WWW_PASSWORD_RAW", "correct horse"));
  const std::string& hash = f.service->snapshot()->get("WWW_PASSWORD_RAW");
  CHECK(hash.starts_with("$y$"));
  CHECK(f.stored().find("correct horse") == std::string::npos);
  CHECK(f.sink.messages("maid").back() == "WWW_PASSWORD_RAW set to '******'");
  for (const auto& e : f.sink.entries) CHECK(e.message.find("correct horse") == std::string::npos);
}

TEST_CASE("set-all applies a profile on the current configuration or on the factory default", "[service]") {
  Fixture f;
  REQUIRE(f.set("WWW_TIMEOUT", "900"));
  std::string profile = "WWW_LANGUAGE = \"de\"\n// End of configuration profile\n";
  auto notes = f.wait<Result<std::vector<std::string>>>(
      [&](auto done) { f.service->setAll(f.admin, profile, false, done); });
  REQUIRE(notes);
  CHECK(f.service->snapshot()->get("WWW_LANGUAGE") == "de");
  CHECK(f.service->snapshot()->get("WWW_TIMEOUT") == "900");
  notes = f.wait<Result<std::vector<std::string>>>([&](auto done) { f.service->setAll(f.admin, profile, true, done); });
  REQUIRE(notes);
  CHECK(f.service->snapshot()->get("WWW_LANGUAGE") == "de");
  CHECK(f.service->snapshot()->get("WWW_TIMEOUT") == "1800");
}

TEST_CASE("exporting and importing the configuration changes nothing", "[service]") {
  Fixture f;
  REQUIRE(f.set("NTP_SERVERS:0.NTP_SERVER", "ntp.example.org"));
  std::string exported = writeAtv(Schema::builtin(), *f.service->snapshot());
  auto generation = f.service->generation();
  f.sink.entries.clear();
  auto notes = f.wait<Result<std::vector<std::string>>>(
      [&](auto done) { f.service->setAll(f.admin, exported, true, done); });
  REQUIRE(notes);
  CHECK(f.service->generation() == generation);  // nothing to commit
  CHECK(f.sink.entries.empty());
  CHECK(writeAtv(Schema::builtin(), *f.service->snapshot()) == exported);
}

TEST_CASE("a malformed profile is refused with line, column and reason, and nothing changes", "[service]") {
  Fixture f;
  std::string before = f.stored();
  auto notes = f.wait<Result<std::vector<std::string>>>([&](auto done) {
    f.service->setAll(f.admin, "WWW_LANGUAGE = \"de\"\nWWW_TIMEOUT = \"x\"\n// End of configuration profile\n", true,
                      done);
  });
  REQUIRE_FALSE(notes);
  CHECK(notes.error() == "line 2, column 15: Error for WWW_TIMEOUT=\"x\": The value must be an integer from 30 to 86400.");
  CHECK(f.stored() == before);
  CHECK(f.service->snapshot()->get("WWW_LANGUAGE") == "en");
}

TEST_CASE("profiles are saved, listed, exported, restored, compared and deleted", "[service]") {
  Fixture f;
  using Done = std::function<void(Status)>;
  auto status = [&](auto call) { return f.wait<Status>([&](Done d) { call(d); }); };

  REQUIRE(f.set("WWW_TIMEOUT", "900"));
  REQUIRE(status([&](Done d) { f.service->saveProfile(f.admin, "site-a", d); }));
  auto list = f.wait<Result<std::vector<ProfileInfo>>>([&](auto d) { f.service->listProfiles(d); });
  REQUIRE(list);
  REQUIRE(list->size() == 2);
  CHECK((*list)[0].name == "Factory Default");
  CHECK_FALSE((*list)[0].active);
  CHECK((*list)[1].name == "site-a");
  CHECK((*list)[1].active);
  CHECK((*list)[1].size == writeAtv(Schema::builtin(), *f.service->snapshot()).size());

  auto exported = f.wait<Result<std::string>>([&](auto d) { f.service->exportProfile(f.admin, "site-a", d); });
  REQUIRE(exported);
  CHECK(*exported == writeAtv(Schema::builtin(), *f.service->snapshot()));

  REQUIRE(f.set("WWW_LANGUAGE", "de"));
  list = f.wait<Result<std::vector<ProfileInfo>>>([&](auto d) { f.service->listProfiles(d); });
  CHECK_FALSE((*list)[1].active);  // the configuration moved on

  auto d = f.wait<Result<Diff>>([&](auto done) { f.service->compare("", "site-a", done); });
  REQUIRE(d);
  CHECK(compareLines(*d) == std::vector<std::string>{"WWW_LANGUAGE: 'de' -> 'en'"});
  d = f.wait<Result<Diff>>([&](auto done) { f.service->compare("Factory Default", "site-a", done); });
  CHECK(compareLines(*d) == std::vector<std::string>{"WWW_TIMEOUT: '1800' -> '900'"});

  REQUIRE(status([&](Done done) { f.service->restoreProfile(f.admin, "site-a", done); }));
  CHECK(f.service->snapshot()->get("WWW_LANGUAGE") == "en");
  CHECK(f.service->snapshot()->get("WWW_TIMEOUT") == "900");
  list = f.wait<Result<std::vector<ProfileInfo>>>([&](auto d2) { f.service->listProfiles(d2); });
  CHECK((*list)[1].active);
  CHECK(f.sink.messages("action").back() == "admin:admin performed the action 'profile/restore' via Webinterface");

  REQUIRE(status([&](Done done) { f.service->restoreProfile(f.admin, "Factory Default", done); }));
  CHECK(*f.service->snapshot() == factoryDefault(Schema::builtin()));
  list = f.wait<Result<std::vector<ProfileInfo>>>([&](auto d2) { f.service->listProfiles(d2); });
  CHECK((*list)[0].active);

  CHECK(status([&](Done done) { f.service->deleteProfile(f.admin, "Factory Default", done); }).message() ==
        "The profile \"Factory Default\" cannot be changed or deleted.");
  CHECK(status([&](Done done) { f.service->saveProfile(f.admin, "Factory Default", done); }).message() ==
        "The profile \"Factory Default\" cannot be changed or deleted.");
  REQUIRE(status([&](Done done) { f.service->deleteProfile(f.admin, "site-a", done); }));
  CHECK(status([&](Done done) { f.service->deleteProfile(f.admin, "site-a", done); }).message() ==
        "There is no profile \"site-a\".");
  CHECK(status([&](Done done) { f.service->restoreProfile(f.admin, "site-a", done); }).message() ==
        "There is no profile \"site-a\".");
}

TEST_CASE("an uploaded profile is checked before it is stored and kept verbatim", "[service]") {
  Fixture f;
  using Done = std::function<void(Status)>;
  auto status = [&](auto call) { return f.wait<Status>([&](Done d) { call(d); }); };
  std::string bad = "WWW_TIMEOUT = \"1\"\n// End of configuration profile\n";
  CHECK(status([&](Done d) { f.service->importProfile(f.admin, "bad", bad, d); }).message() ==
        "line 1, column 15: Error for WWW_TIMEOUT=\"1\": The value must be an integer from 30 to 86400.");
  std::string good = "// hand made\nWWW_TIMEOUT = \"60\"\n// End of configuration profile\n#sig AAAA\n";
  REQUIRE(status([&](Done d) { f.service->importProfile(f.admin, "good", good, d); }));
  auto exported = f.wait<Result<std::string>>([&](auto d) { f.service->exportProfile(f.admin, "good", d); });
  CHECK(*exported == good);
  CHECK(status([&](Done d) { f.service->importProfile(f.admin, "../etc", good, d); }).message() ==
        "Invalid profile name \"../etc\": use 1 to 64 letters, digits, spaces, \".\", \"_\" or \"-\".");
}

TEST_CASE("a full worker queue is answered with busy, never a crash", "[service]") {
  test::TempDir dir;
  boost::asio::io_context io;
  runtime::ManualClock clock;
  log::Log log(clock);
  auto store = Store::open(dir / "config.db");
  REQUIRE(store);
  auto initial = ConfigService::loadInitial(**store, Schema::builtin());
  REQUIRE(initial);
  runtime::WorkerPool full(io, 1, 0);  // refuses every job
  runtime::ModuleSet modules;
  ConfigService service(full, **store, log, Schema::builtin(), modules, std::move(*initial));
  Actor admin;
  std::vector<std::string> errors;
  auto status = [&](Status s) { errors.push_back(s.message()); };
  service.set(admin, "WWW_TIMEOUT", "900", status);
  service.setAll(admin, "// End of configuration profile\n", false,
                 [&](Result<std::vector<std::string>> r) { errors.push_back(r.error()); });
  service.saveProfile(admin, "p", status);
  service.importProfile(admin, "p", "// End of configuration profile\n", status);
  service.deleteProfile(admin, "p", status);
  service.restoreProfile(admin, "p", status);
  service.exportProfile(admin, "p", [&](Result<std::string> r) { errors.push_back(r.error()); });
  service.listProfiles([&](Result<std::vector<ProfileInfo>> r) { errors.push_back(r.error()); });
  service.compare("", "Factory Default", [&](Result<Diff> r) { errors.push_back(r.error()); });
  io.poll();
  REQUIRE(errors.size() == 9);
  for (const auto& e : errors) CHECK(e == "The device is busy; try again.");
  CHECK(service.snapshot()->get("WWW_TIMEOUT") == "1800");
}

TEST_CASE("no ConfigApplied event follows a change that was rolled back", "[service]") {
  Fixture f;
  f.second.failWhen = [](const Config&) { return true; };
  CHECK_FALSE(f.set("WWW_TIMEOUT", "900"));
  f.io.poll();
  CHECK(f.applied.empty());
}

TEST_CASE("a profile restored and still in force stays active after a rolled-back change", "[service]") {
  Fixture f;
  using Done = std::function<void(Status)>;
  auto status = [&](auto call) { return f.wait<Status>([&](Done d) { call(d); }); };
  REQUIRE(status([&](Done d) { f.service->saveProfile(f.admin, "p", d); }));
  f.second.failWhen = [](const Config& c) { return c.get("WWW_TIMEOUT") == "900"; };
  CHECK_FALSE(f.set("WWW_TIMEOUT", "900"));
  auto list = f.wait<Result<std::vector<ProfileInfo>>>([&](auto d) { f.service->listProfiles(d); });
  REQUIRE(list->size() == 2);
  CHECK((*list)[1].active);
  // Uploading other content under its name makes it no longer the one in force.
  REQUIRE(status([&](Done d) {
    f.service->importProfile(f.admin, "p", "WWW_TIMEOUT = \"60\"\n// End of configuration profile\n", d);
  }));
  list = f.wait<Result<std::vector<ProfileInfo>>>([&](auto d) { f.service->listProfiles(d); });
  CHECK_FALSE((*list)[1].active);
}

TEST_CASE("a change whose profile would exceed 16 MiB is refused", "[service]") {
  Fixture f;
  // Small as input, large in canonical form: every row gets all its cells written out.
  std::string rows;
  for (int i = 0; i < 100000; ++i) rows += " {}\n";
  auto notes = f.wait<Result<std::vector<std::string>>>([&](auto done) {
    f.service->setAll(f.admin, "FW_INCOMING = {\n" + rows + "}\n// End of configuration profile\n", false, done);
  });
  REQUIRE_FALSE(notes);
  CHECK(notes.error().starts_with("The configuration would be "));
  CHECK(notes.error().ends_with(" bytes as a profile; profiles are limited to 16 MiB."));
  CHECK(f.service->snapshot()->find("FW_INCOMING")->rows.empty());
}

TEST_CASE("a change of many cells logs its first thousand lines and a count", "[service]") {
  Fixture f;
  std::string rows;
  for (int i = 0; i < 200; ++i) rows += " { COMMENT = \"r" + std::to_string(i) + "\" }\n";
  auto notes = f.wait<Result<std::vector<std::string>>>([&](auto done) {
    f.service->setAll(f.admin, "FW_INCOMING = {\n" + rows + "}\n// End of configuration profile\n", false, done);
  });
  REQUIRE(notes);
  auto lines = f.sink.messages("maid");
  REQUIRE(lines.size() == 1002);  // header, 1,000 lines, the count
  CHECK(lines.front() == "User 'admin' performed a configuration change with role 'admin':");
  CHECK(lines[1] == "FW_INCOMING new row 0");
  CHECK(lines.back() == "... and 800 more changes");  // 200 rows x (1 + 8 cells) = 1,800
}
