// The JSON API of the WBM, under /api/v1/. Every answer is JSON; an error is
// {"error": "<one line>", "path": "<variable path, when one is at fault>"}.
//
//   GET    /api/v1/status                  device, versions, uptime, alarms
//   GET    /api/v1/schema                  every variable: kind, default, limits, help, menu
//   GET    /api/v1/config                  every value (password values are null)
//   GET    /api/v1/config/<PATH>           one value, table or row
//   POST   /api/v1/config                  {"set": {PATH: value | [rows]}} as one transaction
//   GET    /api/v1/profiles                [{name, size, active}]
//   GET    /api/v1/profiles/<name>         the profile (.atv) as a download
//   POST   /api/v1/profiles/<name>/save    save the configuration in force under <name>
//   POST   /api/v1/profiles/<name>/upload  the body is an .atv profile (streamed, 16 MiB at most)
//   POST   /api/v1/profiles/<name>/restore
//   DELETE /api/v1/profiles/<name>
//   GET    /api/v1/compare?from=<a>&to=<b> differences between profiles ("" = in force)
//   GET    /api/v1/logs?since=&until=&tag=&text=&offset=&limit=   newest page first
//   GET    /api/v1/snapshot                the support snapshot (.tar.gz)
//   GET    /api/v1/leds                    what each LED and output shows: {"leds": [{"name",
//                                          "pattern"}], "outputs": [...], "display" (GT/GT: the
//                                          7-segment text)}; ?follow=1 streams it as
//                                          server-sent events (see led_feed.hpp)
//   GET    /api/v1/certificates            machine and CA certificates (row id, name, subject,
//                                          validity), remote certificates (the same) and CRLs
//                                          (issuer, updates, how many revoked)
//   POST   /api/v1/certificates/machine/<name>/upload   the body is a PKCS#12 file, its
//                                          password in the header X-Pkcs12-Password
//   DELETE /api/v1/certificates/machine/<rowid>
//   POST   /api/v1/certificates/ca/<name>/upload   the body is one CA certificate in PEM
//   DELETE /api/v1/certificates/ca/<rowid>
//   POST   /api/v1/certificates/remote/<name>/upload  the body is a peer's own certificate in PEM
//                                          (REMOTE_CERTIFICATES, pinned by REMOTE_CERT_REF)
//   DELETE /api/v1/certificates/remote/<rowid>
//   POST   /api/v1/certificates/crl/<name>/upload  the body is one CRL in PEM or DER (CRLS)
//   DELETE /api/v1/certificates/crl/<rowid>
// Login, logout and the session (/api/v1/login, /logout, /session) belong to
// the site, which owns the sessions.
//
// Rights: every WBM role reads (audit only reads); root and admin change
// everything; netadmin changes the variables of the network room only.
// Profiles hold password hashes: only root and admin download them.
#pragma once

#include <filesystem>
#include <functional>
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "auth/authenticator.hpp"
#include "cgi/cgi.hpp"
#include "config/service.hpp"
#include "runtime/worker_pool.hpp"
#include "api/led_feed.hpp"
#include "server/http.hpp"

namespace bulwark::web::api {

struct ApiServices {
  runtime::WorkerPool& workers;
  config::ConfigService& config;
  const runtime::Clock& clock;
  std::filesystem::path logDatabase;
  std::filesystem::path dataDir;  // certificates and keys (pki/)
  cgi::CgiServices& cgi;  // device facts, snapshot
  std::function<nlohmann::json()> runtimeStatus;  // uptime, alarms, ...
  // Commits the log lines written so far (any thread), so that a reader sees them.
  std::function<void()> flushLog;
  LedFeed* leds = nullptr;  // what the LEDs show; null: not known
};

// True when the request's body is an upload that should be streamed to a file.
bool isUpload(const Request& head);

void serve(ApiServices& services, const Request& request, const auth::Identity& who,
           std::function<void(Response)> reply);

// An error answer: {"error": message, "path": path}.
Response jsonError(int status, std::string_view message, std::string_view path = {});
Response jsonAnswer(const nlohmann::json& body, int status = 200);

}  // namespace bulwark::web::api
