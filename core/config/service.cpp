#include "config/service.hpp"

#include <algorithm>

#include <fmt/format.h>

#include "config/atv.hpp"
#include "config/password.hpp"

namespace bulwark::config {

namespace {
constexpr std::string_view kTag = "maid";
constexpr std::size_t kMaxChangeLogLines = 1000;
const Error kBusy{"The device is busy; try again."};
}  // namespace

Result<ConfigService::Initial> ConfigService::loadInitial(Store& store, const Schema& schema) {
  auto stored = store.load();
  if (!stored) return Error{stored.error()};
  if (!*stored) {
    Config factory = factoryDefault(schema);
    std::string atv = writeAtv(schema, factory);
    auto generation = store.commit(atv, kFactoryProfile);
    if (!generation) return Error{generation.error()};
    return Initial{std::move(factory), *generation, std::move(atv)};
  }
  RowIdGenerator ids;
  auto loaded = config::importProfile(schema, (*stored)->atv, factoryDefault(schema), ids);
  if (!loaded) return Error{fmt::format("the stored configuration does not load: {}", loaded.error())};
  return Initial{std::move(*loaded), (*stored)->generation, std::move((*stored)->atv)};
}

ConfigService::ConfigService(runtime::WorkerPool& workers, Store& store, log::Log& log, const Schema& schema,
                             runtime::ModuleSet& modules, Initial initial, runtime::EventBus* bus)
    : workers_(workers),
      store_(store),
      log_(log),
      schema_(schema),
      modules_(modules),
      bus_(bus),
      current_(std::make_shared<const Config>(std::move(initial.config))),
      currentAtv_(std::make_shared<const std::string>(std::move(initial.atv))),
      generation_(initial.generation),
      factoryAtv_(writeAtv(schema, factoryDefault(schema))) {}

// --- changes -------------------------------------------------------------------

void ConfigService::set(const Actor& actor, std::string path, std::string value, Done done) {
  Build build = [this, path = std::move(path), value = std::move(value)](const Config& current) -> Result<Config> {
    Config next = current;
    auto resolved = resolve(schema_, next, path);
    if (!resolved) return Error{resolved.error()};
    if (resolved->variable->kind == Kind::Password && resolved->value) {
      if (value.empty()) {
        // Empty disables an optional account; the mandatory ones refuse it.
        if (auto reason = checkScalar(*resolved->variable, value)) return Error{errorFor(path, "", *reason)};
      }
      auto hashed = value.empty() ? Result<std::string>(std::string()) : hashPassword(value);
      if (!hashed) return Error{hashed.error()};
      // Top-level variables and table cells alike (USERFW_USERS:0.PASSWORD).
      if (Status s = setScalar(schema_, next, path, *hashed); !s) return Error{s.message()};
      return next;
    }
    if (Status s = setScalar(schema_, next, path, value); !s) return Error{s.message()};
    return next;
  };
  enqueue({actor, std::move(build), {}, std::move(done)});
}

void ConfigService::setAll(const Actor& actor, std::string atv, bool onFactoryDefault,
                           Then<std::vector<std::string>> done) {
  auto notes = std::make_shared<std::vector<std::string>>();
  Build build = [this, atv = std::move(atv), onFactoryDefault, notes](const Config& current) -> Result<Config> {
    return config::importProfile(schema_, atv, onFactoryDefault ? factoryDefault(schema_) : current, ids_,
                                 notes.get());
  };
  enqueue({actor, std::move(build), {}, [done = std::move(done), notes](Status s) {
             if (!s) return done(Error{s.message()});
             done(std::move(*notes));
           }});
}

void ConfigService::change(const Actor& actor, std::function<Status(Config&)> edit, Done done) {
  Build build = [edit = std::move(edit)](const Config& current) -> Result<Config> {
    Config next = current;
    if (Status s = edit(next); !s) return Error{s.message()};
    return next;
  };
  enqueue({actor, std::move(build), {}, std::move(done)});
}

void ConfigService::enqueue(Pending p) {
  queue_.push_back(std::move(p));
  if (!busy_) runNext();
}

void ConfigService::runNext() {
  if (queue_.empty()) {
    busy_ = false;
    auto waiters = std::move(idleWaiters_);
    idleWaiters_.clear();
    for (auto& w : waiters) w();
    return;
  }
  busy_ = true;
  auto p = std::make_shared<Pending>(std::move(queue_.front()));
  queue_.pop_front();
  bool queued = workers_.submit<Result<Prepared>>(
      [this, p, current = current_] { return prepare(*p, current); },
      [this, p](Result<Prepared> prepared) { afterPrepare(p, std::move(prepared)); });
  if (!queued) finish(p, kBusy);
}

Result<ConfigService::Prepared> ConfigService::prepare(const Pending& p, const Snapshot& current) const {
  auto candidate = p.build(*current);
  if (!candidate) return Error{candidate.error()};
  if (Status s = hashClearPasswords(schema_, *candidate); !s) return Error{s.message()};
  if (Status s = validate(schema_, *candidate); !s) return Error{s.message()};
  Diff d = diff(schema_, *current, *candidate);
  if (d.empty() && p.activeProfile.empty()) return Prepared{};
  auto atv = std::make_shared<const std::string>(writeAtv(schema_, *candidate));
  // Every configuration in force must be exportable as a profile that imports again.
  if (atv->size() > kMaxProfileBytes) {
    return Error{fmt::format("The configuration would be {} bytes as a profile; profiles are limited to 16 MiB.",
                             atv->size())};
  }
  return Prepared{std::make_shared<const Config>(std::move(*candidate)), std::move(d), std::move(atv)};
}

void ConfigService::afterPrepare(std::shared_ptr<Pending> p, Result<Prepared> prepared) {
  if (!prepared) return finish(p, Error{prepared.error()});
  if (!prepared->next) return finish(p, {});
  auto shared = std::make_shared<Prepared>(std::move(*prepared));
  bool queued = workers_.submitSerial<Result<std::uint64_t>>(
      [this, atv = shared->atv, active = p->activeProfile] { return store_.commit(*atv, active); },
      [this, p, shared](Result<std::uint64_t> r) { afterCommit(p, std::move(*shared), std::move(r)); });
  if (!queued) finish(p, kBusy);
}

void ConfigService::afterCommit(std::shared_ptr<Pending> p, Prepared prepared, Result<std::uint64_t> committed) {
  if (!committed) {
    log_.writeOwn(kTag, fmt::format("Configuration change by '{}' failed: {}", p->actor.user, committed.error()));
    return finish(p, Error{committed.error()});
  }
  Snapshot previous = current_;
  auto outcome = modules_.reconfigure(prepared.next, prepared.diff);
  if (!outcome.status) {
    modules_.restore(previous, diff(schema_, *prepared.next, *previous), outcome.applied);
    std::string reason = outcome.status.message();
    log_.writeOwn(kTag, fmt::format("Configuration change by '{}' was rolled back: {}", p->actor.user, reason));
    // The store must not stay ahead of the modules: this job is never refused.
    workers_.submitSerialAlways<Result<std::uint64_t>>(
        [this, atv = currentAtv_, previous = generation_] { return store_.commit(*atv, {}, previous); },
        [this, p, reason](Result<std::uint64_t> r) {
          if (r) {
            generation_ = *r;
          } else {
            log_.writeOwn(kTag, fmt::format("Restoring the previous configuration in the store failed: {}", r.error()));
          }
          finish(p, Error{reason});
        });
    return;
  }
  current_ = prepared.next;
  currentAtv_ = prepared.atv;
  generation_ = *committed;
  if (!prepared.diff.empty()) {
    log_.writeOwn(kTag, fmt::format("User '{}' performed a configuration change with role '{}':", p->actor.user,
                                    p->actor.role));
    // A whole profile can change hundreds of thousands of cells; the log keeps
    // the first lines of such a change, not a flood that pushes out its history.
    auto lines = changeLogLines(prepared.diff);
    std::size_t shown = std::min(lines.size(), kMaxChangeLogLines);
    for (std::size_t i = 0; i < shown; ++i) log_.writeOwn(kTag, std::move(lines[i]));
    if (lines.size() > shown) log_.writeOwn(kTag, fmt::format("... and {} more changes", lines.size() - shown));
  }
  if (bus_) bus_->publish(runtime::ConfigApplied{generation_});
  finish(p, {});
}

void ConfigService::finish(const std::shared_ptr<Pending>& p, Status status) {
  auto done = std::move(p->done);
  done(std::move(status));
  runNext();
}

void ConfigService::whenIdle(std::function<void()> done) {
  if (!busy_ && queue_.empty()) return done();
  idleWaiters_.push_back(std::move(done));
}

void ConfigService::logAction(const Actor& actor, std::string_view action) {
  log_.write("action", fmt::format("{}:{} performed the action '{}' via {}", actor.user, actor.role, action, actor.via));
}

// --- profiles ------------------------------------------------------------------

Result<Config> ConfigService::fromProfileText(const std::string& text) const {
  RowIdGenerator ids;  // its own: this may run beside a transaction
  return config::importProfile(schema_, text, factoryDefault(schema_), ids);
}

void ConfigService::saveProfile(const Actor& actor, std::string name, Done done) {
  if (Status s = checkProfileName(name); !s) return done(s);
  bool queued = workers_.submitSerial<Status>(
      [this, name, atv = currentAtv_, generation = generation_] {
        if (Status s = store_.saveProfile(name, *atv); !s) return s;
        return store_.setActive(name, generation);
      },
      [this, actor, done](Status s) {
        if (s) logAction(actor, "profile/save");
        done(s);
      });
  if (!queued) done(kBusy);
}

void ConfigService::importProfile(const Actor& actor, std::string name, std::string atv, Done done) {
  if (Status s = checkProfileName(name); !s) return done(s);
  auto body = std::make_shared<const std::string>(std::move(atv));
  // A profile is checked when it is uploaded, not first when it is restored.
  bool queued = workers_.submit<Status>(
      [this, body] { return fromProfileText(*body).status(); },
      [this, actor, name, body, done](Status checked) {
        if (!checked) return done(checked);
        bool stored = workers_.submitSerial<Status>([this, name, body] { return store_.saveProfile(name, *body); },
                                                    [this, actor, done](Status s) {
                                                      if (s) logAction(actor, "profile/upload");
                                                      done(s);
                                                    });
        if (!stored) done(kBusy);
      });
  if (!queued) done(kBusy);
}

void ConfigService::exportProfile(const Actor& actor, std::string name, Then<std::string> done) {
  readProfile(std::move(name), [this, actor, done](Result<std::string> text) {
    if (text) logAction(actor, "profile/download");
    done(std::move(text));
  });
}

void ConfigService::readProfile(std::string name, Then<std::string> done) {
  if (name == kFactoryProfile) return done(factoryAtv_);
  bool queued = workers_.submitSerial<Result<std::optional<std::string>>>(
      [this, name] { return store_.profile(name); },
      [name, done](Result<std::optional<std::string>> r) {
        if (!r) return done(Error{r.error()});
        if (!*r) return done(Error{fmt::format("There is no profile \"{}\".", name)});
        done(std::move(**r));
      });
  if (!queued) done(kBusy);
}

void ConfigService::listProfiles(Then<std::vector<ProfileInfo>> done) {
  bool queued = workers_.submitSerial<Result<std::vector<ProfileInfo>>>(
      [this] { return store_.listProfiles(); },
      [size = factoryAtv_.size(), done](Result<std::vector<ProfileInfo>> r) {
        if (!r) return done(std::move(r));
        auto& list = *r;
        if (list.empty() || list.front().name != kFactoryProfile) {
          list.insert(list.begin(), ProfileInfo{std::string(kFactoryProfile), size, false});
        } else {
          list.front().size = size;
        }
        done(std::move(r));
      });
  if (!queued) done(kBusy);
}

void ConfigService::loadNamed(std::string name, Then<Config> done) {
  if (name.empty()) return done(Config(*current_));
  readProfile(name, [this, done](Result<std::string> text) {
    if (!text) return done(Error{text.error()});
    auto body = std::make_shared<const std::string>(std::move(*text));
    bool queued = workers_.submit<Result<Config>>([this, body] { return fromProfileText(*body); }, done);
    if (!queued) done(kBusy);
  });
}

void ConfigService::restoreProfile(const Actor& actor, std::string name, Done done) {
  loadNamed(name, [this, actor, name, done = std::move(done)](Result<Config> loaded) {
    if (!loaded) return done(Error{loaded.error()});
    auto config = std::make_shared<const Config>(std::move(*loaded));
    enqueue({actor, [config](const Config&) -> Result<Config> { return *config; }, name,
             [this, actor, done](Status s) {
               if (s) logAction(actor, "profile/restore");
               done(s);
             }});
  });
}

void ConfigService::deleteProfile(const Actor& actor, std::string name, Done done) {
  if (Status s = checkProfileName(name); !s) return done(s);
  bool queued = workers_.submitSerial<Status>([this, name] { return store_.deleteProfile(name); },
                                              [this, actor, done](Status s) {
                                                if (s) logAction(actor, "profile/delete");
                                                done(s);
                                              });
  if (!queued) done(kBusy);
}

void ConfigService::compare(std::string from, std::string to, Then<Diff> done) {
  loadNamed(std::move(from), [this, to = std::move(to), done](Result<Config> a) {
    if (!a) return done(Error{a.error()});
    auto first = std::make_shared<const Config>(std::move(*a));
    loadNamed(to, [this, first, done](Result<Config> b) {
      if (!b) return done(Error{b.error()});
      auto second = std::make_shared<const Config>(std::move(*b));
      bool queued = workers_.submit<Result<Diff>>([this, first, second] { return diff(schema_, *first, *second); },
                                                  done);
      if (!queued) done(kBusy);
    });
  });
}

}  // namespace bulwark::config
