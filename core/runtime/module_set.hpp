// The modules of the core, in start order. Starts them in order, stops them
// in reverse, and hands configuration changes to each in order.
#pragma once

#include <vector>

#include "runtime/module.hpp"

namespace bulwark::runtime {

class ModuleSet {
 public:
  void add(Module& module) { modules_.push_back(&module); }

  // Starts every module in order. When one fails, those already started are
  // stopped again (in reverse) and the error names the module.
  Status startAll(const config::Snapshot& snapshot);
  void stopAll();

  struct Outcome {
    Status status;
    std::size_t applied = 0;  // modules that accepted the change
  };
  // Hands the change to each module in order and stops at the first failure.
  Outcome reconfigure(const config::Snapshot& snapshot, const config::Diff& diff);
  // Hands the previous snapshot back to the first `count` modules (rollback).
  void restore(const config::Snapshot& previous, const config::Diff& reverse, std::size_t count);

  std::size_t size() const { return modules_.size(); }

 private:
  std::vector<Module*> modules_;
  std::size_t started_ = 0;
};

}  // namespace bulwark::runtime
