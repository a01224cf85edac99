#include "config/service.hpp"

#include <fmt/format.h>

#include "config/atv.hpp"
#include "config/password.hpp"

namespace bulwark::config {

namespace {
constexpr std::string_view kTag = "maid";
}

ConfigService::ConfigService(runtime::WorkerPool& workers, Store& store, log::Log& log, const Schema& schema,
                             runtime::ModuleSet& modules, Config initial, std::uint64_t generation,
                             runtime::EventBus* bus)
    : workers_(workers),
      store_(store),
      log_(log),
      schema_(schema),
      modules_(modules),
      bus_(bus),
      current_(std::make_shared<const Config>(std::move(initial))),
      generation_(generation) {}

Result<std::pair<Config, std::uint64_t>> ConfigService::loadInitial(Store& store, const Schema& schema) {
  auto stored = store.load();
  if (!stored) return Error{stored.error()};
  if (!*stored) {
    Config factory = factoryDefault(schema);
    auto generation = store.commit(writeAtv(schema, factory), kFactoryProfile);
    if (!generation) return Error{generation.error()};
    return std::pair{std::move(factory), *generation};
  }
  RowIdGenerator ids;
  auto loaded = config::importProfile(schema, (*stored)->atv, factoryDefault(schema), ids);
  if (!loaded) return Error{fmt::format("the stored configuration does not load: {}", loaded.error())};
  return std::pair{std::move(*loaded), (*stored)->generation};
}

// --- changes -------------------------------------------------------------------

void ConfigService::set(const Actor& actor, std::string path, std::string value, Done done) {
  enqueue({actor,
           [this, path = std::move(path), value = std::move(value)](const Config& current) -> Result<Config> {
             Config next = current;
             auto resolved = resolve(schema_, next, path);
             if (!resolved) return Error{resolved.error()};
             // Clear text for a password is hashed later, on a worker.
             if (resolved->variable->kind == Kind::Password && resolved->value && !value.empty() &&
                 !isPasswordHash(value)) {
               next.values[path] = Value::scalar(value);
               return next;
             }
             if (Status s = setScalar(schema_, next, path, value); !s) return Error{s.message()};
             return next;
           },
           {},
           std::move(done)});
}

void ConfigService::setAll(const Actor& actor, std::string atv, bool onFactoryDefault,
                           Then<std::vector<std::string>> done) {
  auto notes = std::make_shared<std::vector<std::string>>();
  enqueue({actor,
           [this, atv = std::move(atv), onFactoryDefault, notes](const Config& current) -> Result<Config> {
             return config::importProfile(schema_, atv, onFactoryDefault ? factoryDefault(schema_) : current, ids_,
                                  notes.get());
           },
           {},
           [done = std::move(done), notes](Status s) {
             if (!s) return done(Error{s.message()});
             done(std::move(*notes));
           }});
}

void ConfigService::change(const Actor& actor, std::function<Status(Config&)> edit, Done done) {
  enqueue({actor,
           [edit = std::move(edit)](const Config& current) -> Result<Config> {
             Config next = current;
             if (Status s = edit(next); !s) return Error{s.message()};
             return next;
           },
           {},
           std::move(done)});
}

void ConfigService::enqueue(Pending p) {
  queue_.push_back(std::move(p));
  if (!busy_) runNext();
}

void ConfigService::runNext() {
  if (queue_.empty()) {
    busy_ = false;
    return;
  }
  busy_ = true;
  Pending p = std::move(queue_.front());
  queue_.pop_front();
  auto candidate = p.build(*current_);
  if (!candidate) return finish(p, Error{candidate.error()});
  if (!hasClearPasswords(schema_, *candidate)) return afterHash(std::move(p), std::move(*candidate));
  auto shared = std::make_shared<Config>(std::move(*candidate));
  auto pending = std::make_shared<Pending>(std::move(p));
  bool queued = workers_.submit<Status>([this, shared] { return hashClearPasswords(schema_, *shared); },
                                        [this, shared, pending](Status s) {
                                          if (!s) return finish(*pending, s);
                                          afterHash(std::move(*pending), std::move(*shared));
                                        });
  if (!queued) finish(*pending, Error{"The device is busy; try again."});
}

void ConfigService::afterHash(Pending p, Config candidate) {
  if (Status s = validate(schema_, candidate); !s) return finish(p, s);
  Diff d = diff(schema_, *current_, candidate);
  if (d.empty() && p.activeProfile.empty()) return finish(p, {});
  auto next = std::make_shared<const Config>(std::move(candidate));
  auto text = std::make_shared<std::string>(writeAtv(schema_, *next));
  auto pending = std::make_shared<Pending>(std::move(p));
  auto sharedDiff = std::make_shared<Diff>(std::move(d));
  bool queued = workers_.submitSerial<Result<std::uint64_t>>(
      [this, text, active = pending->activeProfile] { return store_.commit(*text, active); },
      [this, pending, next, sharedDiff](Result<std::uint64_t> r) {
        afterCommit(std::move(*pending), next, std::move(*sharedDiff), std::move(r));
      });
  if (!queued) finish(*pending, Error{"The device is busy; try again."});
}

void ConfigService::afterCommit(Pending p, Snapshot next, Diff d, Result<std::uint64_t> committed) {
  if (!committed) {
    log_.writeOwn(kTag, fmt::format("Configuration change by '{}' failed: {}", p.actor.user, committed.error()));
    return finish(p, Error{committed.error()});
  }
  Snapshot previous = current_;
  auto outcome = modules_.reconfigure(next, d);
  if (!outcome.status) {
    Diff reverse = diff(schema_, *next, *previous);
    modules_.restore(previous, reverse, outcome.applied);
    std::string reason = outcome.status.message();
    log_.writeOwn(kTag, fmt::format("Configuration change by '{}' was rolled back: {}", p.actor.user, reason));
    auto text = std::make_shared<std::string>(writeAtv(schema_, *previous));
    auto pending = std::make_shared<Pending>(std::move(p));
    bool queued = workers_.submitSerial<Result<std::uint64_t>>(
        [this, text] { return store_.commit(*text); },
        [this, pending, reason](Result<std::uint64_t> r) {
          if (r) {
            generation_ = *r;
          } else {
            log_.writeOwn(kTag, fmt::format("Restoring the previous configuration in the store failed: {}", r.error()));
          }
          finish(*pending, Error{reason});
        });
    if (!queued) {
      // The serial lane refused: restore synchronously rather than leave the store ahead of the modules.
      auto r = store_.commit(*text);
      if (r) generation_ = *r;
      finish(*pending, Error{reason});
    }
    return;
  }
  current_ = next;
  generation_ = *committed;
  if (!d.empty()) {
    log_.writeOwn(kTag, fmt::format("User '{}' performed a configuration change with role '{}':", p.actor.user,
                                    p.actor.role));
    for (std::string& line : changeLogLines(d)) log_.writeOwn(kTag, std::move(line));
  }
  if (bus_) bus_->publish(runtime::ConfigApplied{generation_});
  finish(p, {});
}

void ConfigService::finish(Pending& p, Status status) {
  auto done = std::move(p.done);
  done(std::move(status));
  runNext();
}

void ConfigService::logAction(const Actor& actor, std::string_view action) {
  log_.write("action", fmt::format("{}:{} performed the action '{}' via {}", actor.user, actor.role, action, actor.via));
}

// --- profiles ------------------------------------------------------------------

Result<Config> ConfigService::fromProfileText(const std::string& text) {
  return config::importProfile(schema_, text, factoryDefault(schema_), ids_);
}

void ConfigService::saveProfile(const Actor& actor, std::string name, Done done) {
  if (Status s = checkProfileName(name); !s) return done(s);
  auto text = std::make_shared<std::string>(writeAtv(schema_, *current_));
  auto generation = generation_;
  bool queued = workers_.submitSerial<Status>(
      [this, name, text, generation] {
        if (Status s = store_.saveProfile(name, *text); !s) return s;
        return store_.setActive(name, generation);
      },
      [this, actor, done = std::move(done)](Status s) {
        if (s) logAction(actor, "profile/save");
        done(s);
      });
  if (!queued) done(Error{"The device is busy; try again."});
}

void ConfigService::importProfile(const Actor& actor, std::string name, std::string atv, Done done) {
  if (Status s = checkProfileName(name); !s) return done(s);
  // A profile is checked when it is uploaded, not first when it is restored.
  if (auto loaded = fromProfileText(atv); !loaded) return done(Error{loaded.error()});
  auto body = std::make_shared<std::string>(std::move(atv));
  bool queued = workers_.submitSerial<Status>(
      [this, name, body] { return store_.saveProfile(name, *body); },
      [this, actor, done = std::move(done)](Status s) {
        if (s) logAction(actor, "profile/upload");
        done(s);
      });
  if (!queued) done(Error{"The device is busy; try again."});
}

void ConfigService::exportProfile(std::string name, Then<std::string> done) {
  if (name == kFactoryProfile) return done(writeAtv(schema_, factoryDefault(schema_)));
  bool queued = workers_.submitSerial<Result<std::optional<std::string>>>(
      [this, name] { return store_.profile(name); },
      [name, done](Result<std::optional<std::string>> r) {
        if (!r) return done(Error{r.error()});
        if (!*r) return done(Error{fmt::format("There is no profile \"{}\".", name)});
        done(std::move(**r));
      });
  if (!queued) done(Error{"The device is busy; try again."});
}

void ConfigService::listProfiles(Then<std::vector<ProfileInfo>> done) {
  auto factorySize = writeAtv(schema_, factoryDefault(schema_)).size();
  bool queued = workers_.submitSerial<Result<std::vector<ProfileInfo>>>(
      [this] { return store_.listProfiles(); },
      [factorySize, done](Result<std::vector<ProfileInfo>> r) {
        if (!r) return done(std::move(r));
        auto& list = *r;
        if (list.empty() || list.front().name != kFactoryProfile) {
          list.insert(list.begin(), ProfileInfo{std::string(kFactoryProfile), factorySize, false});
        } else {
          list.front().size = factorySize;
        }
        done(std::move(r));
      });
  if (!queued) done(Error{"The device is busy; try again."});
}

void ConfigService::loadNamed(std::string name, Then<Config> done) {
  if (name.empty()) return done(Config(*current_));
  exportProfile(name, [this, done](Result<std::string> text) {
    if (!text) return done(Error{text.error()});
    done(fromProfileText(*text));
  });
}

void ConfigService::restoreProfile(const Actor& actor, std::string name, Done done) {
  loadNamed(name, [this, actor, name, done = std::move(done)](Result<Config> loaded) {
    if (!loaded) return done(Error{loaded.error()});
    auto config = std::make_shared<Config>(std::move(*loaded));
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
                                              [this, actor, done = std::move(done)](Status s) {
                                                if (s) logAction(actor, "profile/delete");
                                                done(s);
                                              });
  if (!queued) done(Error{"The device is busy; try again."});
}

void ConfigService::compare(std::string from, std::string to, Then<Diff> done) {
  loadNamed(std::move(from), [this, to = std::move(to), done](Result<Config> a) {
    if (!a) return done(Error{a.error()});
    auto first = std::make_shared<Config>(std::move(*a));
    loadNamed(to, [this, first, done](Result<Config> b) {
      if (!b) return done(Error{b.error()});
      done(diff(schema_, *first, *b));
    });
  });
}

}  // namespace bulwark::config
