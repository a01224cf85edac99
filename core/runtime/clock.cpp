#include "runtime/clock.hpp"

#include <time.h>

namespace bulwark::runtime {

std::chrono::system_clock::time_point SystemClock::now() const { return std::chrono::system_clock::now(); }

std::chrono::seconds SystemClock::uptime() const {
  timespec ts{};
  clock_gettime(CLOCK_BOOTTIME, &ts);
  return std::chrono::seconds(ts.tv_sec);
}

}  // namespace bulwark::runtime
