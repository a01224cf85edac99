// Web sessions of the WBM: random 128-bit ids (sent as a Secure, HttpOnly,
// SameSite=Strict cookie), a CSRF token per session that every state change
// must carry, an idle timeout (WWW_TIMEOUT) and an absolute lifetime of 12
// hours. A login always makes a new id; logout removes it. Time comes from the
// injected clock; expired sessions are reported once so that the caller logs
//   Webinterface : Logout for 'admin' role 'admin' from 192.168.1.55 by timeout
#pragma once

#include <chrono>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "auth/authenticator.hpp"
#include "runtime/clock.hpp"

namespace bulwark::auth {

struct Session {
  std::string id;
  std::string csrfToken;
  Identity identity;
  std::string source;
  std::chrono::system_clock::time_point created;
  std::chrono::system_clock::time_point lastUsed;
};

class SessionStore {
 public:
  static constexpr std::chrono::hours kAbsoluteLifetime{12};
  static constexpr std::size_t kMaxSessions = 256;

  explicit SessionStore(const runtime::Clock& clock) : clock_(clock) {}

  void setIdleTimeout(std::chrono::seconds idle) { idle_ = idle; }
  std::chrono::seconds idleTimeout() const { return idle_; }

  // A new session; the oldest one goes when the store is full.
  const Session& create(const Identity& identity, const std::string& source);
  // The live session with this id, its idle time restarted; null when none.
  const Session* use(const std::string& id);
  // The live session with this id without restarting its idle time (a
  // request no user made, such as a stream reconnecting); null when none.
  const Session* peek(const std::string& id) const;
  bool live(const std::string& id) const { return peek(id) != nullptr; }
  // Removes it; the removed session, when there was one.
  std::optional<Session> remove(const std::string& id);
  // Removes every expired session and returns them (for the log).
  std::vector<Session> expire();
  // Ends every session of `user` (its password changed).
  std::vector<Session> removeUser(const std::string& user);
  std::size_t size() const { return sessions_.size(); }

 private:
  bool expired(const Session& s) const;

  const runtime::Clock& clock_;
  std::chrono::seconds idle_{1800};
  std::map<std::string, Session, std::less<>> sessions_;
};

// 32 hex digits of fresh randomness (128 bits).
std::string randomToken();

}  // namespace bulwark::auth
