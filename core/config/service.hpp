// ConfigService: the one door every configuration change goes through (WBM,
// CGI, gaiconfig, pull configuration, profile restore). A change is one
// transaction:
//   on a worker: build the candidate, hash clear-text passwords, validate it
//   against the schema, diff it, write its ATV text
//   on the serial store lane: commit it
//   on the loop: hand snapshot + diff to the modules in order; if one fails,
//   hand every module the previous snapshot again, restore it in the store,
//   log and return the error.
// Committed changes are logged as the maid lines of reference 4.3.3.
// Changes are queued and run one at a time; the loop never parses, validates
// or writes a profile itself.
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

  // The configuration in force when the service starts.
  struct Initial {
    Config config;
    std::uint64_t generation = 0;
    std::string atv;  // its canonical profile text, as stored
  };
  // Loads the configuration in force from `store`; a new store is given the
  // factory default. Blocking: for start-up, before the loop runs.
  static Result<Initial> loadInitial(Store& store, const Schema& schema);

  // `bus` (optional) receives a ConfigApplied event after every committed change.
  ConfigService(runtime::WorkerPool& workers, Store& store, log::Log& log, const Schema& schema,
                runtime::ModuleSet& modules, Initial initial, runtime::EventBus* bus = nullptr);

  const Schema& schema() const { return schema_; }
  Snapshot snapshot() const { return current_; }
  std::uint64_t generation() const { return generation_; }
  // The canonical profile of the configuration in force.
  std::shared_ptr<const std::string> currentAtv() const { return currentAtv_; }

  // Sets one scalar (a top-level variable or a table cell by path). The value
  // of a password variable is always taken as clear text and hashed.
  void set(const Actor& actor, std::string path, std::string value, Done done);
  // Applies a whole profile on top of the current configuration, or on top
  // of the factory default. Yields the migration notes.
  void setAll(const Actor& actor, std::string atv, bool onFactoryDefault, Then<std::vector<std::string>> done);
  // Any edit of a copy of the current configuration. `edit` runs on a worker.
  void change(const Actor& actor, std::function<Status(Config&)> edit, Done done);

  // Profiles.
  void saveProfile(const Actor& actor, std::string name, Done done);
  void importProfile(const Actor& actor, std::string name, std::string atv, Done done);
  void exportProfile(const Actor& actor, std::string name, Then<std::string> done);
  void listProfiles(Then<std::vector<ProfileInfo>> done);
  void restoreProfile(const Actor& actor, std::string name, Done done);
  void deleteProfile(const Actor& actor, std::string name, Done done);
  // Differences between two profiles ("Factory Default" included); an empty
  // name stands for the configuration in force.
  void compare(std::string from, std::string to, Then<Diff> done);

  // Calls `done` once no change is queued or running (for a clean shutdown).
  void whenIdle(std::function<void()> done);

 private:
  // Runs on a worker: the candidate configuration from the one in force.
  using Build = std::function<Result<Config>(const Config& current)>;
  struct Pending {
    Actor actor;
    Build build;
    std::string activeProfile;
    Done done;
  };
  struct Prepared {
    Snapshot next;  // null: nothing to commit
    Diff diff;
    std::shared_ptr<const std::string> atv;
  };

  void enqueue(Pending p);
  void runNext();
  Result<Prepared> prepare(const Pending& p, const Snapshot& current) const;
  void afterPrepare(std::shared_ptr<Pending> p, Result<Prepared> prepared);
  void afterCommit(std::shared_ptr<Pending> p, Prepared prepared, Result<std::uint64_t> committed);
  void finish(const std::shared_ptr<Pending>& p, Status status);
  void logAction(const Actor& actor, std::string_view action);
  // The text of a profile (Factory Default included), without logging a download.
  void readProfile(std::string name, Then<std::string> done);
  // A profile by name (Factory Default included) as a configuration on the factory default.
  void loadNamed(std::string name, Then<Config> done);
  Result<Config> fromProfileText(const std::string& text) const;

  runtime::WorkerPool& workers_;
  Store& store_;
  log::Log& log_;
  const Schema& schema_;
  runtime::ModuleSet& modules_;
  runtime::EventBus* bus_;
  Snapshot current_;
  std::shared_ptr<const std::string> currentAtv_;
  std::uint64_t generation_;
  const std::string factoryAtv_;
  // Used by the one running transaction only (transactions never overlap).
  mutable RowIdGenerator ids_;
  std::deque<Pending> queue_;
  bool busy_ = false;
  std::vector<std::function<void()>> idleWaiters_;
};

}  // namespace bulwark::config
