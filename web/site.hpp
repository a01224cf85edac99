// The management site behind the HTTPS server: who is asking, what they may
// do, and which room answers.
//
//   /nph-vpn.cgi, /nph-diag.cgi, /nph-action.cgi, /nph-status.cgi
//       HTTP Basic auth (https://admin:mGuard@host/...), reference chapter 11
//   /api/v1/login (POST {"user","password"}), /api/v1/logout, /api/v1/session
//       cookie sessions of the WBM
//   /api/v1/...   the JSON API (api/api.hpp), by session or Basic auth
//   /, /app.js    the minimal page (web/ui)
//
// 401 with WWW-Authenticate when nobody (or a wrong password) is asking, 403
// when the role lacks the right. Cross-site requests are refused (Origin or
// Sec-Fetch-Site), and a request of a cookie session that changes anything
// must carry the session's CSRF token in X-CSRF-Token. Failed logins are
// throttled by the Authenticator per user and per source, on every request,
// so also on one keep-alive connection.
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>

#include <nlohmann/json_fwd.hpp>

#include "api/api.hpp"
#include "auth/authenticator.hpp"
#include "auth/sessions.hpp"
#include "cgi/cgi.hpp"
#include "config/service.hpp"
#include "log/log.hpp"
#include "server/http.hpp"

namespace bulwark::web {

struct SiteServices {
  runtime::WorkerPool& workers;
  log::Log& log;
  const runtime::Clock& clock;
  auth::Authenticator& authenticator;
  config::ConfigService& config;
  std::filesystem::path logDatabase;
  std::filesystem::path dataDir;
  cgi::CgiServices cgi;
  std::function<nlohmann::json()> runtimeStatus;
  std::function<void()> flushLog;  // any thread
  // The user firewall (unset: not available): a firewall user, already
  // authenticated, logs in or out from an address; login answers when it ends.
  std::function<Result<std::int64_t>(const std::string& user, const std::string& address)> userFirewallLogin;
  std::function<Status(const std::string& user, const std::string& address)> userFirewallLogout;
  api::LedFeed* leds = nullptr;  // what the LEDs show (/api/v1/leds); null: not known
};

class ManagementSite final : public Site {
 public:
  static constexpr std::string_view kCookie = "bulwark_session";
  // Body of a request before it is authenticated (a login form).
  static constexpr std::size_t kUnauthenticatedBody = 4 * 1024;
  // Body of an authenticated request that is not an upload.
  static constexpr std::size_t kAuthenticatedBody = 4 * 1024 * 1024;

  explicit ManagementSite(SiteServices services);

  void admit(const Request& head, std::function<void(Admission)> done) override;
  void serve(Request request, const Admission& admission, std::function<void(Response)> reply) override;

  // WWW_TIMEOUT.
  void setIdleTimeout(std::chrono::seconds idle) { sessions_.setIdleTimeout(idle); }
  // HTTPS_UPLOAD_LIMIT: the largest upload body (streamed to a file).
  void setUploadLimit(std::size_t bytes) { uploadLimit_ = bytes; }
  // Ends the sessions that timed out, logging each; called periodically.
  void expireSessions();
  // Ends every session of `user` (its password changed).
  void endSessionsOf(const std::string& user);
  std::size_t sessionCount() const { return sessions_.size(); }

 private:
  struct Caller;
  void admitBasic(const Request& head, std::string_view credentials, bool cgi, std::function<void(Admission)> done);
  void serveCgi(const Request& request, const Caller& caller, std::function<void(Response)> reply);
  void login(const Request& request, std::function<void(Response)> reply);
  void userFirewall(const Request& request, bool in, std::function<void(Response)> reply);
  void logAction(const auth::Identity& who, std::string_view action);

  SiteServices services_;
  api::ApiServices api_;
  auth::SessionStore sessions_;
  std::size_t uploadLimit_ = 16448 * 1024;
};

// "Basic YWRtaW46bUd1YXJk" -> {"admin", "mGuard"}; nullopt when malformed.
std::optional<std::pair<std::string, std::string>> parseBasic(std::string_view header);
// The value of cookie `name` in a Cookie header.
std::optional<std::string> cookieValue(std::string_view header, std::string_view name);

}  // namespace bulwark::web
