#include "auth/sessions.hpp"

#include <openssl/rand.h>

#include <algorithm>
#include <stdexcept>

namespace bulwark::auth {

std::string randomToken() {
  unsigned char bytes[16];
  if (RAND_bytes(bytes, sizeof bytes) != 1) throw std::runtime_error("no randomness for a session id");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(32);
  for (unsigned char b : bytes) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  return out;
}

bool SessionStore::expired(const Session& s) const {
  auto now = clock_.now();
  return now - s.lastUsed >= idle_ || now - s.created >= kAbsoluteLifetime;
}

const Session& SessionStore::create(const Identity& identity, const std::string& source) {
  if (sessions_.size() >= kMaxSessions) {
    auto oldest = std::min_element(sessions_.begin(), sessions_.end(),
                                   [](const auto& a, const auto& b) { return a.second.lastUsed < b.second.lastUsed; });
    sessions_.erase(oldest);
  }
  auto now = clock_.now();
  Session s{randomToken(), randomToken(), identity, source, now, now};
  auto [it, inserted] = sessions_.emplace(s.id, s);
  (void)inserted;
  return it->second;
}

const Session* SessionStore::use(const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end() || expired(it->second)) return nullptr;
  it->second.lastUsed = clock_.now();
  return &it->second;
}

const Session* SessionStore::peek(const std::string& id) const {
  auto it = sessions_.find(id);
  return it != sessions_.end() && !expired(it->second) ? &it->second : nullptr;
}

std::optional<Session> SessionStore::remove(const std::string& id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return std::nullopt;
  Session s = std::move(it->second);
  sessions_.erase(it);
  return s;
}

std::vector<Session> SessionStore::expire() {
  std::vector<Session> out;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (expired(it->second)) {
      out.push_back(std::move(it->second));
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

std::vector<Session> SessionStore::removeUser(const std::string& user) {
  std::vector<Session> out;
  for (auto it = sessions_.begin(); it != sessions_.end();) {
    if (it->second.identity.user == user) {
      out.push_back(std::move(it->second));
      it = sessions_.erase(it);
    } else {
      ++it;
    }
  }
  return out;
}

}  // namespace bulwark::auth
