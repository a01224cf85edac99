#include "auth/throttle.hpp"

#include <algorithm>

namespace bulwark::auth {

std::chrono::seconds LoginThrottle::remaining(std::map<std::string, Record, std::less<>>& records,
                                              std::string_view key) {
  auto it = records.find(key);
  if (it == records.end()) return std::chrono::seconds(0);
  auto now = clock_.now();
  if (it->second.lockedUntil <= now) return std::chrono::seconds(0);
  return std::chrono::ceil<std::chrono::seconds>(it->second.lockedUntil - now);
}

std::chrono::seconds LoginThrottle::blockedFor(std::string_view user, std::string_view source) {
  return std::max(remaining(users_, user), remaining(sources_, source));
}

void LoginThrottle::count(std::map<std::string, Record, std::less<>>& records, std::string_view key) {
  auto now = clock_.now();
  auto it = records.find(key);
  if (it == records.end()) it = records.emplace(std::string(key), Record{}).first;
  Record& r = it->second;
  while (!r.failures.empty() && now - r.failures.front() > policy_.window) r.failures.pop_front();
  r.failures.push_back(now);
  if (static_cast<int>(r.failures.size()) >= policy_.maxFailures) {
    r.lockedUntil = now + policy_.lockout;
    r.failures.clear();
  }
}

void LoginThrottle::failed(std::string_view user, std::string_view source) {
  prune(users_);
  prune(sources_);
  count(users_, user);
  count(sources_, source);
}

void LoginThrottle::prune(std::map<std::string, Record, std::less<>>& records) {
  // Made-up names must not grow the tables without bound: past the limit,
  // records that neither lock nor count any recent failure go.
  if (records.size() < kMaxRecords) return;
  auto now = clock_.now();
  std::erase_if(records, [&](const auto& entry) {
    const Record& r = entry.second;
    return r.lockedUntil <= now && (r.failures.empty() || now - r.failures.back() > policy_.window);
  });
}

void LoginThrottle::succeeded(std::string_view user, std::string_view source) {
  // Only a correct password gets here, so the name is real: clearing it is safe.
  if (auto it = users_.find(user); it != users_.end() && it->second.lockedUntil <= clock_.now()) users_.erase(it);
  if (auto it = sources_.find(source); it != sources_.end() && it->second.lockedUntil <= clock_.now()) {
    sources_.erase(it);
  }
}

}  // namespace bulwark::auth
