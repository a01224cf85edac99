// ConfigService: the one door every configuration change goes through (WBM,
// CGI, gaiconfig, pull configuration, profile restore). A change is one
// transaction:
//   build the candidate -> hash clear-text passwords (worker) -> validate
//   against the schema -> commit to the store (serial worker lane) -> hand
//   snapshot + diff to the modules in order -> if a module fails, hand every
//   module the previous snapshot again, restore it in the store, log and
//   return the error. Committed changes are logged as the maid lines of
//   reference 4.3.3. Changes are queued and run one at a time.
//
// All methods are called on the loop; results come back on the loop.
#pragma once

#include <deque>
#include <functional>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "config/config.hpp"
#include "config/store.hpp"
#include "log/log.hpp"
#include "runtime/event_bus.hpp"
#include "runtime/module_set.hpp"
#include "runtime/worker_pool.hpp"

namespace bulwark::config {

struct Actor {
  std::string user = "root";
  std::string role = "root";
  std::string via = "gaiconfig";  // "Webinterface", "CGI", ...
};

class ConfigService {
 public:
  using Done = std::function<void(Status)>;
  template <typename T>
  using Then = std::function<void(Result<T>)>;

  // `bus` (optional) receives a ConfigApplied event after every committed change.
  ConfigService(runtime::WorkerPool& workers, Store& store, log::Log& log, const Schema& schema,
                runtime::ModuleSet& modules, Config initial, std::uint64_t generation,
                runtime::EventBus* bus = nullptr);

  // Loads the configuration in force from `store`; a new store is given the
  // factory default. Blocking: for start-up, before the loop runs.
  static Result<std::pair<Config, std::uint64_t>> loadInitial(Store& store, const Schema& schema);

  const Schema& schema() const { return schema_; }
  Snapshot snapshot() const { return current_; }
  std::uint64_t generation() const { return generation_; }

  // Sets one scalar (a top-level variable or a table cell by path).
  void set(const Actor& actor, std::string path, std::string value, Done done);
  // Applies a whole profile on top of the current configuration, or on top
  // of the factory default. Yields the migration notes.
  void setAll(const Actor& actor, std::string atv, bool onFactoryDefault, Then<std::vector<std::string>> done);
  // Any edit of a copy of the current configuration (for callers with their own logic).
  void change(const Actor& actor, std::function<Status(Config&)> edit, Done done);

  // Profiles.
  void saveProfile(const Actor& actor, std::string name, Done done);
  void importProfile(const Actor& actor, std::string name, std::string atv, Done done);
  void exportProfile(std::string name, Then<std::string> done);
  void listProfiles(Then<std::vector<ProfileInfo>> done);
  void restoreProfile(const Actor& actor, std::string name, Done done);
  void deleteProfile(const Actor& actor, std::string name, Done done);
  // Differences between two profiles ("Factory Default" included); an empty
  // name stands for the configuration in force.
  void compare(std::string from, std::string to, Then<Diff> done);

 private:
  struct Pending {
    Actor actor;
    std::function<Result<Config>(const Config& current)> build;
    std::string activeProfile;
    std::function<void(Status)> done;
  };

  void enqueue(Pending p);
  void runNext();
  void afterHash(Pending p, Config candidate);
  void afterCommit(Pending p, Snapshot next, Diff diff, Result<std::uint64_t> committed);
  void finish(Pending& p, Status status);
  void logAction(const Actor& actor, std::string_view action);
  // Loads a profile by name (Factory Default included) as a configuration on the factory default.
  void loadNamed(std::string name, Then<Config> done);
  Result<Config> fromProfileText(const std::string& text);

  runtime::WorkerPool& workers_;
  Store& store_;
  log::Log& log_;
  const Schema& schema_;
  runtime::ModuleSet& modules_;
  runtime::EventBus* bus_;
  Snapshot current_;
  std::uint64_t generation_;
  RowIdGenerator ids_;
  std::deque<Pending> queue_;
  bool busy_ = false;
};

}  // namespace bulwark::config
