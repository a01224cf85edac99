// The HTTPS/1.1 server of the web management and the CGI interface: Boost.Beast
// over OpenSSL on the shared loop, with keep-alive and the limits of the model
// servers against abuse:
//   - header block at most 8 KiB and 100 fields, request line at most 2 KiB;
//   - at most 4 KiB of body before the request is authenticated (the site
//     decides per request, see Admission), uploads streamed to a file;
//   - the TLS handshake and the first request header within 10 s (slowloris),
//     an idle keep-alive connection is closed after 30 s (10 s while it has
//     not authenticated);
//   - at most 100 connections. When full, a new connection closes the oldest
//     unauthenticated one, preferring sources that never logged in: a flood
//     of unauthenticated TLS connections from many addresses cannot lock an
//     administrator out (reference devices had exactly this bug).
// TLS: ECDHE key exchange with AEAD ciphers only, groups X25519, P-256, P-384,
// lowest version from TLS_MIN_VERSION; HSTS on every answer.
// Only this unit's .cpp includes Beast and Asio's SSL layer.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <string>

#include "common/status.hpp"
#include "server/http.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::web {

struct TlsSettings {
  std::string certificateChainPem;  // leaf first
  std::string privateKeyPem;
  std::string minVersion = "1.2";  // "1.0", "1.1", "1.2", "1.3"
};

struct Limits {
  std::size_t headerBytes = 8 * 1024;
  std::size_t headerFields = 100;
  std::size_t requestLine = 2 * 1024;
  std::chrono::seconds headerDeadline{10};
  std::chrono::seconds idleKeepAlive{30};
  std::size_t maxConnections = 100;
};

struct ServerOptions {
  std::string listen;  // "127.0.0.1:8443", "[::1]:443"
  TlsSettings tls;
  Limits limits;
  std::filesystem::path uploadDir;  // where streamed request bodies go
};

struct ServerStats {
  std::size_t open = 0;
  std::size_t authenticated = 0;
  std::size_t accepted = 0;
  std::size_t evicted = 0;  // unauthenticated connections closed to make room
  std::size_t refused = 0;  // new connections closed because all were authenticated
};

class HttpsServer {
 public:
  static Result<std::unique_ptr<HttpsServer>> start(boost::asio::io_context& io, ServerOptions options, Site& site);
  virtual ~HttpsServer() = default;

  // New connections use these from now on; open ones keep theirs.
  virtual Status updateTls(const TlsSettings& tls) = 0;
  // "127.0.0.1:8443": where it really listens (port 0 picks one).
  virtual std::string localAddress() const = 0;
  virtual ServerStats stats() const = 0;
  // Closes the listener and every connection.
  virtual void stop() = 0;
};

// Checks `tls` without starting anything (key matches certificate, version known).
Status checkTlsSettings(const TlsSettings& tls);

}  // namespace bulwark::web
