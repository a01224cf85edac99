// Checking passwords: crypt(3) verification (CPU-heavy by design: run it on
// the worker pool), constant-time comparison, and a short-lived cache of
// verified credentials so that curl scripts sending Basic auth with every
// request do not pay a hash each time. The cache keeps no password: entries
// are keyed by HMAC-SHA256 under a random key made at start.
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <string_view>

#include "runtime/clock.hpp"

namespace bulwark::auth {

// True when `a` and `b` are equal; the time taken does not depend on where they differ.
bool constantTimeEquals(std::string_view a, std::string_view b);

// True when `password` matches the crypt(3) `hash`. Blocking: call on a worker.
bool verifyPassword(std::string_view password, std::string_view hash);

class CredentialCache {
 public:
  CredentialCache(const runtime::Clock& clock, std::chrono::seconds ttl, std::size_t capacity);

  // True when (user, password) was verified against `hash` within the TTL.
  // A changed hash (a new password) never matches an old entry.
  bool contains(std::string_view user, std::string_view password, std::string_view hash);
  void remember(std::string_view user, std::string_view password, std::string_view hash);
  void clear() { entries_.clear(); }
  std::size_t size() const { return entries_.size(); }

 private:
  std::string keyOf(std::string_view user, std::string_view password, std::string_view hash) const;

  const runtime::Clock& clock_;
  std::chrono::seconds ttl_;
  std::size_t capacity_;
  std::string secret_;
  std::map<std::string, std::chrono::system_clock::time_point> entries_;  // key -> verified at
};

}  // namespace bulwark::auth
