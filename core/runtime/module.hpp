// A module is a subsystem with a lifetime: start, reconfigure, stop. The
// composition root (core/init/core.cpp) constructs every module in start order
// and hands each what it needs through its constructor; the runtime starts
// them in that order and stops them in reverse.
#pragma once

#include <string_view>

#include "common/status.hpp"
#include "config/config.hpp"

namespace bulwark::runtime {

class Module {
 public:
  virtual ~Module() = default;
  virtual std::string_view name() const = 0;
  // Called once, on the loop, with the configuration in force.
  virtual Status start(const config::Snapshot& snapshot) = 0;
  // A committed configuration change. A module compares and touches only
  // what changed (diff.touches()). Returning an error makes the service roll
  // the change back: every module is handed the previous snapshot again.
  virtual Status reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) = 0;
  virtual void stop() = 0;
};

}  // namespace bulwark::runtime
