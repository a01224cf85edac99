#include "site.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "auth/credentials.hpp"
#include "ui/assets.hpp"

namespace bulwark::web {

using nlohmann::json;

struct ManagementSite::Caller {
  auth::Identity identity;
  std::string sessionId;  // empty: Basic auth
};

namespace {

constexpr std::string_view kLoginPath = "/api/v1/login";
constexpr std::string_view kLogoutPath = "/api/v1/logout";
constexpr std::string_view kSessionPath = "/api/v1/session";
// The user firewall (4.3.1, 4.4.12): firewall users log in and out with
// their credentials in the body; no session, the source address counts.
constexpr std::string_view kUserFwLoginPath = "/api/v1/userfw/login";
constexpr std::string_view kUserFwLogoutPath = "/api/v1/userfw/logout";

int base64Value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

std::optional<std::string> base64Decode(std::string_view text) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  std::string out;
  unsigned bits = 0;
  int count = 0;
  for (char c : text) {
    int v = base64Value(c);
    if (v < 0) return std::nullopt;
    bits = (bits << 6) | static_cast<unsigned>(v);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out += static_cast<char>((bits >> count) & 0xff);
    }
  }
  if (count >= 6) return std::nullopt;  // a single leftover character
  return out;
}

bool isWbmRole(auth::Role role) { return role != auth::Role::User && role != auth::Role::Mobile; }

bool changesState(const Request& request) { return request.method != "GET" && request.method != "HEAD"; }

// A request a browser made on behalf of another site: its cookies or cached
// Basic credentials must not be used.
bool crossSite(const Request& request) {
  if (const std::string* fetch = request.header("sec-fetch-site"); fetch && *fetch == "cross-site") return true;
  const std::string* origin = request.header("origin");
  const std::string* host = request.header("host");
  if (origin && *origin != "null") return !host || *origin != "https://" + *host;
  return origin != nullptr;  // "null": a sandboxed or privacy-sensitive context
}

Response unauthorized(bool cgi, std::string message) {
  Response r = cgi ? Response::text(401, message + "\n") : api::jsonError(401, message);
  r.headers.push_back({"www-authenticate", "Basic realm=\"bulwark\", charset=\"UTF-8\""});
  return r;
}

Response forbidden(bool cgi, std::string message) {
  return cgi ? Response::text(403, message + "\n") : api::jsonError(403, message);
}

std::string sessionCookie(const std::string& id, std::chrono::seconds maxAge) {
  return fmt::format("{}={}; Path=/; Max-Age={}; Secure; HttpOnly; SameSite=Strict", ManagementSite::kCookie, id,
                     maxAge.count());
}

}  // namespace

std::optional<std::pair<std::string, std::string>> parseBasic(std::string_view header) {
  constexpr std::string_view kScheme = "basic ";
  if (header.size() < kScheme.size()) return std::nullopt;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return std::nullopt;
  }
  header.remove_prefix(kScheme.size());
  while (!header.empty() && header.front() == ' ') header.remove_prefix(1);
  while (!header.empty() && header.back() == ' ') header.remove_suffix(1);
  auto decoded = base64Decode(header);
  if (!decoded) return std::nullopt;
  auto colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return std::pair{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

std::optional<std::string> cookieValue(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto semi = header.find(';');
    std::string_view part = header.substr(0, semi);
    header = semi == std::string_view::npos ? std::string_view{} : header.substr(semi + 1);
    while (!part.empty() && part.front() == ' ') part.remove_prefix(1);
    auto eq = part.find('=');
    if (eq != std::string_view::npos && part.substr(0, eq) == name) return std::string(part.substr(eq + 1));
  }
  return std::nullopt;
}

ManagementSite::ManagementSite(SiteServices services)
    : services_(std::move(services)),
      api_{services_.workers,   services_.config,        services_.clock,   services_.logDatabase,
           services_.dataDir,   services_.cgi,           services_.runtimeStatus, services_.flushLog,
           services_.leds},
      sessions_(services_.clock) {}

void ManagementSite::admit(const Request& head, std::function<void(Admission)> done) {
  std::string_view path = head.path();
  bool cgi = cgi::scriptFor(path).has_value();
  bool api = path.starts_with("/api/");
  Admission open;
  open.bodyLimit = kUnauthenticatedBody;
  if (!cgi && !api) return done(open);  // the page and its assets
  if (path == kLoginPath || path == kUserFwLoginPath || path == kUserFwLogoutPath) {
    if (crossSite(head)) open.answer = forbidden(false, "Cross-site requests are refused.");
    return done(open);
  }
  if (cgi && crossSite(head)) {
    open.answer = forbidden(true, "Cross-site requests are refused.");
    return done(open);
  }
  if (const std::string* authorization = head.header("authorization")) {
    return admitBasic(head, *authorization, cgi, std::move(done));
  }
  const std::string* cookies = head.header("cookie");
  auto id = cookies ? cookieValue(*cookies, kCookie) : std::nullopt;
  // The LED stream reconnects by itself: it does not keep the session from its idle timeout.
  bool byItself = head.method == "GET" && head.path() == "/api/v1/leds" && head.query() == "follow=1";
  const auth::Session* session = !id || cgi ? nullptr : byItself ? sessions_.peek(*id) : sessions_.use(*id);
  if (!session) {
    open.answer = unauthorized(cgi, cgi || !id ? "Authentication required." : "The session has ended; log in again.");
    return done(open);
  }
  if (changesState(head)) {
    const std::string* token = head.header("x-csrf-token");
    if (crossSite(head) || !token || !auth::constantTimeEquals(*token, session->csrfToken)) {
      open.answer = forbidden(false, "The request lacks the session's CSRF token.");
      return done(open);
    }
  }
  Admission admission;
  admission.authenticated = true;
  admission.bodyLimit = api::isUpload(head) ? uploadLimit_ : kAuthenticatedBody;
  admission.bodyToFile = api::isUpload(head);
  admission.context = std::make_shared<Caller>(Caller{session->identity, session->id});
  done(std::move(admission));
}

void ManagementSite::admitBasic(const Request& head, std::string_view credentials, bool cgi,
                                std::function<void(Admission)> done) {
  auto basic = parseBasic(credentials);
  if (!basic) {
    Admission refused;
    refused.answer = unauthorized(cgi, "Authentication required.");
    return done(refused);
  }
  if (!cgi && changesState(head) && crossSite(head)) {
    Admission refused;
    refused.answer = forbidden(false, "Cross-site requests are refused.");
    return done(refused);
  }
  bool upload = api::isUpload(head);
  services_.authenticator.authenticate(
      basic->first, basic->second, head.peer, "Web",
      [done, cgi, upload, uploadLimit = uploadLimit_](Result<auth::Identity> who) {
        Admission admission;
        if (!who) {
          admission.answer = unauthorized(cgi, who.error());
          return done(admission);
        }
        admission.authenticated = true;
        admission.bodyLimit = upload ? uploadLimit : kAuthenticatedBody;
        admission.bodyToFile = upload;
        admission.context = std::make_shared<Caller>(Caller{*who, {}});
        done(std::move(admission));
      });
}

void ManagementSite::serve(Request request, const Admission& admission, std::function<void(Response)> reply) {
  std::string_view path = request.path();
  const Caller* caller = static_cast<const Caller*>(admission.context.get());
  if (cgi::scriptFor(path)) {
    if (!caller) return reply(unauthorized(true, "Authentication required."));
    return serveCgi(request, *caller, std::move(reply));
  }
  if (path == kLoginPath) {
    if (request.method != "POST") return reply(api::jsonError(405, "Use POST."));
    return login(request, std::move(reply));
  }
  if (path == kUserFwLoginPath || path == kUserFwLogoutPath) {
    if (request.method != "POST") return reply(api::jsonError(405, "Use POST."));
    return userFirewall(request, path == kUserFwLoginPath, std::move(reply));
  }
  if (path.starts_with("/api/")) {
    if (!caller) return reply(unauthorized(false, "Authentication required."));
    if (!isWbmRole(caller->identity.role)) {
      return reply(forbidden(false, fmt::format("The role {} may not use the web interface.",
                                                auth::roleName(caller->identity.role))));
    }
    if (path == kSessionPath && request.method == "GET") {
      const auth::Session* s = caller->sessionId.empty() ? nullptr : sessions_.use(caller->sessionId);
      json out{{"user", caller->identity.user}, {"role", auth::roleName(caller->identity.role)}};
      if (s) {
        out["csrf"] = s->csrfToken;
        out["idle_timeout"] = sessions_.idleTimeout().count();
      }
      return reply(api::jsonAnswer(out));
    }
    if (path == kLogoutPath) {
      if (request.method != "POST") return reply(api::jsonError(405, "Use POST."));
      Response r = api::jsonAnswer({{"ok", true}});
      if (auto ended = sessions_.remove(caller->sessionId)) {
        services_.log.write("Webinterface", fmt::format("Logout for '{}' role '{}' from {} by Web",
                                                         ended->identity.user, auth::roleName(ended->identity.role),
                                                         request.peer));
      }
      r.headers.push_back({"set-cookie", sessionCookie("", std::chrono::seconds(0))});
      return reply(std::move(r));
    }
    if (path == "/api/v1/snapshot" && request.method == "GET") logAction(caller->identity, "tools/snapshot");
    if (path == "/api/v1/leds" && request.method == "GET" && request.query() == "follow=1" && services_.leds &&
        services_.leds->current()) {
      // The stream lasts while the session does (Basic auth: its lifetime).
      return reply(services_.leds->follow([this, id = caller->sessionId] {
        return id.empty() || sessions_.live(id);
      }));
    }
    return api::serve(api_, request, caller->identity, std::move(reply));
  }
  if (request.method != "GET" && request.method != "HEAD") return reply(Response::text(405, "Method not allowed.\n"));
  const ui::Asset* asset = ui::find(path == "/" ? "/index.html" : path);
  if (!asset) return reply(Response::text(404, "Not found.\n"));
  Response r;
  r.contentType = std::string(asset->contentType);
  r.body = std::string(asset->content);
  r.headers.push_back({"content-security-policy",
                       "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"});
  reply(std::move(r));
}

void ManagementSite::serveCgi(const Request& request, const Caller& caller, std::function<void(Response)> reply) {
  cgi::Script script = *cgi::scriptFor(request.path());
  auto command = cgi::parse(script, request.query());
  if (!command) return reply(cgi::invalid(command.error()));
  if (!cgi::allowed(*command, caller.identity.role)) {
    return reply(forbidden(true, fmt::format("The role {} may not run {} of {}.", auth::roleName(caller.identity.role),
                                             command->name, cgi::scriptName(script))));
  }
  std::string action = cgi::actionName(*command);
  cgi::run(*command, services_.cgi, [this, reply, action, who = caller.identity](Response response) {
    bool failed = response.body.starts_with("F ") || response.body == "unknown\n";
    if (!action.empty() && !failed) logAction(who, action);
    reply(std::move(response));
  });
}

void ManagementSite::login(const Request& request, std::function<void(Response)> reply) {
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("user") || !body.contains("password") ||
      !body["user"].is_string() || !body["password"].is_string()) {
    return reply(api::jsonError(400, "Expected {\"user\": ..., \"password\": ...}."));
  }
  std::string peer = request.peer;
  services_.authenticator.authenticate(
      body["user"].get<std::string>(), body["password"].get<std::string>(), peer, "Web",
      [this, reply, peer](Result<auth::Identity> who) {
        if (!who) return reply(api::jsonError(401, who.error()));
        if (!isWbmRole(who->role)) {
          return reply(api::jsonError(
              403, fmt::format("The user {} may not log in to the web interface.", who->user)));
        }
        const auth::Session& session = sessions_.create(*who, peer);
        Response r = api::jsonAnswer({{"user", who->user},
                                      {"role", auth::roleName(who->role)},
                                      {"csrf", session.csrfToken},
                                      {"idle_timeout", sessions_.idleTimeout().count()}});
        r.headers.push_back(
            {"set-cookie", sessionCookie(session.id, std::chrono::duration_cast<std::chrono::seconds>(
                                                         auth::SessionStore::kAbsoluteLifetime))});
        reply(std::move(r));
      });
}

void ManagementSite::userFirewall(const Request& request, bool in, std::function<void(Response)> reply) {
  if (!services_.userFirewallLogin || !services_.userFirewallLogout) {
    return reply(api::jsonError(404, "The user firewall is not available on this device."));
  }
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("user") || !body.contains("password") ||
      !body["user"].is_string() || !body["password"].is_string()) {
    return reply(api::jsonError(400, "Expected {\"user\": ..., \"password\": ...}."));
  }
  std::string user = body["user"].get<std::string>();
  std::string peer = request.peer;
  services_.authenticator.authenticateFirewallUser(
      user, body["password"].get<std::string>(), peer, [this, reply, user, peer, in](Status ok) {
        if (!ok) return reply(api::jsonError(401, ok.message()));
        if (!in) {
          Status out = services_.userFirewallLogout(user, peer);
          if (!out) return reply(api::jsonError(409, out.message()));
          return reply(api::jsonAnswer({{"user", user}, {"address", peer}, {"logged_in", false}}));
        }
        auto until = services_.userFirewallLogin(user, peer);
        if (!until) return reply(api::jsonError(409, until.error()));
        reply(api::jsonAnswer({{"user", user}, {"address", peer}, {"logged_in", true}, {"expires", *until}}));
      });
}

void ManagementSite::logAction(const auth::Identity& who, std::string_view action) {
  services_.log.write("action", fmt::format("{}:{} performed the action '{}' via Webinterface", who.user,
                                            auth::roleName(who.role), action));
}

void ManagementSite::expireSessions() {
  for (const auth::Session& s : sessions_.expire()) {
    services_.log.write("Webinterface", fmt::format("Logout for '{}' role '{}' from {} by timeout", s.identity.user,
                                                     auth::roleName(s.identity.role), s.source));
  }
}

void ManagementSite::endSessionsOf(const std::string& user) {
  for (const auth::Session& s : sessions_.removeUser(user)) {
    services_.log.write("Webinterface", fmt::format("Logout for '{}' role '{}' from {} by password change",
                                                     s.identity.user, auth::roleName(s.identity.role), s.source));
  }
}

}  // namespace bulwark::web
