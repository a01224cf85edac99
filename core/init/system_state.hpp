// The state of the whole system, published on the event bus for those who
// show it (the LEDs of issue 7: "booting" is STAT/ERR/FAULT on, table 12-3):
// Booting from the core's start until its modules run and the supervisor
// has started the services; Running; Stopping once a power off or reboot
// has begun.
#pragma once

namespace bulwark::init {

struct SystemStateChanged {
  enum class State { Booting, Running, Stopping };
  State state = State::Booting;
  bool reboot = false;  // Stopping: a reboot rather than a power off
};

}  // namespace bulwark::init
