// Failed-login throttling: after `maxFailures` failures within `window`, the
// user name and the source address are each locked for `lockout`. Both are
// counted separately, so a flood of made-up user names from one address
// locks that address, and guessing one user's password from many addresses
// locks that user. A success clears the counters of its user and address
// only; made-up names never reset anything. Time comes from the injected clock.
#pragma once

#include <chrono>
#include <deque>
#include <map>
#include <string>
#include <string_view>

#include "runtime/clock.hpp"

namespace bulwark::auth {

class LoginThrottle {
 public:
  struct Policy {
    int maxFailures = 3;
    std::chrono::seconds window{15 * 60};
    std::chrono::seconds lockout{15 * 60};
  };

  LoginThrottle(const runtime::Clock& clock, Policy policy) : clock_(clock), policy_(policy) {}

  // A new policy applies to failures from now on; running lockouts run out.
  void setPolicy(Policy policy) { policy_ = policy; }
  const Policy& policy() const { return policy_; }

  // Seconds to wait before `user` may try again from `source`; 0 when allowed.
  std::chrono::seconds blockedFor(std::string_view user, std::string_view source);
  void failed(std::string_view user, std::string_view source);
  void succeeded(std::string_view user, std::string_view source);

 private:
  struct Record {
    std::deque<std::chrono::system_clock::time_point> failures;
    std::chrono::system_clock::time_point lockedUntil{};
  };
  std::chrono::seconds remaining(std::map<std::string, Record, std::less<>>& records, std::string_view key);
  void count(std::map<std::string, Record, std::less<>>& records, std::string_view key);
  void prune(std::map<std::string, Record, std::less<>>& records);

  static constexpr std::size_t kMaxRecords = 10000;

  const runtime::Clock& clock_;
  Policy policy_;
  std::map<std::string, Record, std::less<>> users_;
  std::map<std::string, Record, std::less<>> sources_;
};

}  // namespace bulwark::auth
