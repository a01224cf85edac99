#include "runtime/module_set.hpp"

#include <fmt/format.h>

namespace bulwark::runtime {

Status ModuleSet::startAll(const config::Snapshot& snapshot) {
  for (Module* m : modules_) {
    if (Status s = m->start(snapshot); !s) {
      stopAll();
      return Error{fmt::format("{}: {}", m->name(), s.message())};
    }
    ++started_;
  }
  return {};
}

void ModuleSet::stopAll() {
  while (started_ > 0) modules_[--started_]->stop();
}

ModuleSet::Outcome ModuleSet::reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) {
  Outcome out;
  for (Module* m : modules_) {
    if (Status s = m->reconfigure(snapshot, diff); !s) {
      out.status = Error{fmt::format("{}: {}", m->name(), s.message())};
      return out;
    }
    ++out.applied;
  }
  return out;
}

void ModuleSet::restore(const config::Snapshot& previous, const config::Diff& reverse, std::size_t count) {
  // The failing module gets the previous snapshot too: it may have applied part of the change.
  for (std::size_t i = 0; i < modules_.size() && i <= count; ++i) {
    (void)modules_[i]->reconfigure(previous, reverse);
  }
}

}  // namespace bulwark::runtime
