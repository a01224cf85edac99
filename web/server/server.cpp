#include "server/server.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <deque>
#include <list>
#include <map>
#include <optional>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <fmt/format.h>

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using SteadyClock = std::chrono::steady_clock;
using SteadyTime = SteadyClock::time_point;
// Sockets bound to the io_context's own executor type: no type-erased
// executor on every operation.
using Executor = asio::io_context::executor_type;
using Socket = asio::basic_stream_socket<tcp, Executor>;
using Acceptor = asio::basic_socket_acceptor<tcp, Executor>;

namespace bulwark::web {

namespace {

// TLS 1.2: ECDHE key exchange and AEAD ciphers only. TLS 1.3 suites are all
// AEAD with ephemeral keys. A TLS 1.0/1.1 client therefore finds nothing it
// can use even when TLS_MIN_VERSION allows the version (migrated profiles).
constexpr const char* kCiphers12 =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";
constexpr const char* kCiphers13 = "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256";
constexpr const char* kGroups = "X25519:P-256:P-384";

constexpr std::chrono::seconds kBodyDeadlineUnauthenticated{10};
constexpr std::chrono::minutes kTransferDeadline{5};
constexpr std::chrono::seconds kShutdownDeadline{2};
constexpr std::chrono::hours kTrustedFor{1};
constexpr std::size_t kMaxTrustedSources = 1024;
// How often deadlines are checked. A connection's deadline is a time stamp
// it moves as it goes; one timer for all of them closes the late ones, so
// no operation arms a timer of its own.
constexpr std::chrono::milliseconds kDeadlineSweep{250};

std::string opensslError() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

Result<int> tlsVersion(const std::string& name) {
  if (name == "1.0") return TLS1_VERSION;
  if (name == "1.1") return TLS1_1_VERSION;
  if (name == "1.2") return TLS1_2_VERSION;
  if (name == "1.3") return TLS1_3_VERSION;
  return Error{fmt::format("unknown TLS version '{}'", name)};
}

Result<std::shared_ptr<asio::ssl::context>> makeContext(const TlsSettings& tls) {
  auto version = tlsVersion(tls.minVersion);
  if (!version) return Error{version.error()};
  auto ctx = std::make_shared<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* native = ctx->native_handle();
  SSL_CTX_set_options(native, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_min_proto_version(native, *version) != 1 || SSL_CTX_set_cipher_list(native, kCiphers12) != 1 ||
      SSL_CTX_set_ciphersuites(native, kCiphers13) != 1 || SSL_CTX_set1_groups_list(native, kGroups) != 1) {
    return Error{"TLS settings refused: " + opensslError()};
  }
  boost::system::error_code ec;
  ctx->use_certificate_chain(asio::buffer(tls.certificateChainPem), ec);
  if (ec) return Error{"the server certificate cannot be read: " + opensslError()};
  ctx->use_private_key(asio::buffer(tls.privateKeyPem), asio::ssl::context::pem, ec);
  if (ec) return Error{"the server's private key cannot be read"};
  if (SSL_CTX_check_private_key(native) != 1) {
    ERR_clear_error();
    return Error{"the server's private key does not belong to its certificate"};
  }
  // Resumption for returning browsers, within bounds: at most 1024 cached
  // sessions of 5 minutes. Idle connections give their record buffers back.
  SSL_CTX_set_session_cache_mode(native, SSL_SESS_CACHE_SERVER);
  SSL_CTX_sess_set_cache_size(native, 1024);
  SSL_CTX_set_timeout(native, 300);
  SSL_CTX_set_mode(native, SSL_MODE_RELEASE_BUFFERS);
  static const unsigned char kSessionContext[] = "bulwark-https";
  SSL_CTX_set_session_id_context(native, kSessionContext, sizeof kSessionContext - 1);
  return ctx;
}

Result<tcp::endpoint> parseListen(const std::string& text) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size()) {
    return Error{fmt::format("'{}' is not address:port", text)};
  }
  std::string host = text.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  unsigned port = 0;
  for (char c : text.substr(colon + 1)) {
    if (c < '0' || c > '9' || port > 65535) return Error{fmt::format("'{}' has no valid port", text)};
    port = port * 10 + static_cast<unsigned>(c - '0');
  }
  if (port > 65535) return Error{fmt::format("'{}' has no valid port", text)};
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host, ec);
  if (ec) return Error{fmt::format("'{}' is not an IP address", host)};
  return tcp::endpoint(address, static_cast<unsigned short>(port));
}

std::string addressText(const tcp::endpoint& endpoint) {
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  }
  return address.to_string();
}

std::string lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

// "content-security-policy" -> "Content-Security-Policy", as headers are usually written.
std::string canonicalName(std::string_view name) {
  std::string out(name);
  bool start = true;
  for (char& c : out) {
    c = start ? static_cast<char>(std::toupper(static_cast<unsigned char>(c))) : c;
    start = c == '-';
  }
  return out;
}

class Connection;

// What the listener and its connections share; connections keep it alive.
struct State {
  asio::io_context& io;
  Site& site;
  Limits limits;
  std::filesystem::path uploadDir;
  std::shared_ptr<asio::ssl::context> tls;
  bool stopped = false;

  struct Slot {
    std::weak_ptr<Connection> connection;
    std::string source;
    bool authenticated = false;
  };
  std::list<Slot> slots;  // oldest first
  asio::steady_timer sweeper{io};
  std::map<std::string, SteadyTime> trusted;  // source -> last successful authentication
  ServerStats stats;

  State(asio::io_context& io, Site& site, Limits limits, std::filesystem::path uploadDir)
      : io(io), site(site), limits(limits), uploadDir(std::move(uploadDir)) {}

  bool isTrusted(const std::string& source) const {
    auto it = trusted.find(source);
    return it != trusted.end() && std::chrono::steady_clock::now() - it->second < kTrustedFor;
  }
  void trust(const std::string& source) {
    if (trusted.size() >= kMaxTrustedSources && !trusted.count(source)) {
      auto oldest = std::min_element(trusted.begin(), trusted.end(),
                                     [](const auto& a, const auto& b) { return a.second < b.second; });
      trusted.erase(oldest);
    }
    trusted[source] = std::chrono::steady_clock::now();
  }
  // Makes room for one more connection; false when every slot is authenticated.
  bool makeRoom();
  // Closes the connections whose deadline has passed, then again in a while.
  void sweep(std::shared_ptr<State> self);
};

// The BodyStream of a streamed response: what is written goes to the
// connection's queue of chunks. It outlives the connection harmlessly.
class ChunkStream final : public BodyStream {
 public:
  ChunkStream(std::weak_ptr<Connection> connection, Executor executor)
      : connection_(std::move(connection)), executor_(std::move(executor)) {}
  void write(std::string text) override;
  void end() override;
  void onCancel(std::function<void()> cancel) override;

 private:
  std::weak_ptr<Connection> connection_;
  Executor executor_;
};

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(std::shared_ptr<State> state, Socket socket, std::string peer)
      : state_(std::move(state)), tls_(state_->tls), stream_(std::move(socket), *tls_), peer_(std::move(peer)) {}

  bool late(SteadyTime now) const { return deadline_ < now; }

  void start(std::list<State::Slot>::iterator slot) {
    slot_ = slot;
    expiresAfter(state_->limits.headerDeadline);  // handshake and first header
    stream_.async_handshake(asio::ssl::stream_base::server, [self = shared_from_this()](beast::error_code ec) {
      if (ec) return self->close();
      self->readHeader(true);
    });
  }

  // Ends the connection now; idempotent.
  void close() {
    if (closed_) return;
    closed_ = true;
    if (authenticated_) --state_->stats.authenticated;
    --state_->stats.open;
    state_->slots.erase(*slot_);
    beast::error_code ignored;
    lowest().shutdown(tcp::socket::shutdown_both, ignored);
    lowest().close(ignored);
    removeUpload();
    if (auto cancel = std::exchange(cancel_, nullptr)) cancel();
  }

  // The streamed response's side of ChunkStream.
  void streamWrite(std::string text, bool last) {
    if (closed_ || streamEnded_) return;
    if (last) {
      streamEnded_ = true;
      cancel_ = nullptr;
    } else if (!text.empty()) {
      chunks_.push_back(std::move(text));
    }
    pump();
  }
  // False: the response can no longer be completed.
  bool streamOnCancel(std::function<void()> cancel) {
    if (closed_) return false;
    if (!streamEnded_) cancel_ = std::move(cancel);
    return true;
  }

 private:
  Socket& lowest() { return beast::get_lowest_layer(stream_); }
  template <typename Duration>
  void expiresAfter(Duration d) {
    deadline_ = SteadyClock::now() + d;
  }

  void readHeader(bool first) {
    if (closed_) return;
    head_.emplace();
    head_->header_limit(static_cast<std::uint32_t>(state_->limits.headerBytes));
    if (!first) {
      expiresAfter(authenticated_ ? state_->limits.idleKeepAlive : state_->limits.headerDeadline);
    }
    http::async_read_header(stream_, buffer_, *head_,
                            [self = shared_from_this()](beast::error_code ec, std::size_t) { self->onHeader(ec); });
  }

  void onHeader(beast::error_code ec) {
    if (closed_ || state_->stopped) return close();
    if (ec == http::error::header_limit) return refuse(431, "Request header fields too large.\n");
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category() &&
        ec != http::error::end_of_stream && ec != http::error::partial_message) {
      return refuse(400, "Bad request.\n");
    }
    if (ec) return close();
    auto& message = head_->get();
    if (message.target().size() > state_->limits.requestLine) return refuse(414, "Request line too long.\n");
    std::size_t fields = static_cast<std::size_t>(std::distance(message.begin(), message.end()));
    if (fields > state_->limits.headerFields) return refuse(431, "Too many request header fields.\n");
    request_ = Request{};
    request_.method = std::string(message.method_string());
    request_.target = std::string(message.target());
    request_.peer = peer_;
    request_.headers.reserve(fields);
    for (const auto& field : message) {
      auto name = field.name_string();
      auto value = field.value();
      request_.headers.push_back({lower({name.data(), name.size()}), std::string(value.data(), value.size())});
    }
    keepAlive_ = message.keep_alive();
    headRequest_ = message.method() == http::verb::head;
    state_->site.admit(request_, [self = shared_from_this()](Admission admission) {
      self->onAdmit(std::move(admission));
    });
  }

  void onAdmit(Admission admission) {
    if (closed_ || state_->stopped) return close();
    admission_ = std::move(admission);
    if (admission_.authenticated && !authenticated_) {
      authenticated_ = true;
      ++state_->stats.authenticated;
      (*slot_)->authenticated = true;
      state_->trust(peer_);
    }
    bool bodyPending = !head_->is_done();
    if (admission_.answer) {
      Response answer = std::move(*admission_.answer);
      admission_.answer.reset();
      if (bodyPending) answer.close = true;  // the unread body would be taken for the next request
      return send(std::move(answer));
    }
    if (!bodyPending) return dispatch();
    if (auto length = head_->content_length(); length && *length > admission_.bodyLimit) {
      return refuse(413, "Request body too large.\n");
    }
    auto expect = head_->get()[http::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      auto interim = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
      expiresAfter(kTransferDeadline);
      return http::async_write(stream_, *interim,
                               [self = shared_from_this(), interim](beast::error_code ec, std::size_t) {
                                 if (ec) return self->close();
                                 self->readBody();
                               });
    }
    readBody();
  }

  void readBody() {
    expiresAfter(authenticated_ ? std::chrono::duration_cast<std::chrono::seconds>(kTransferDeadline)
                                          : kBodyDeadlineUnauthenticated);
    if (admission_.bodyToFile) {
      auto path = makeUploadPath();
      if (!path) return refuse(500, "Cannot store the upload.\n");
      upload_ = *path;
      fileParser_.emplace(std::move(*head_));
      fileParser_->body_limit(admission_.bodyLimit);
      beast::error_code ec;
      fileParser_->get().body().open(upload_.c_str(), beast::file_mode::write, ec);
      if (ec) return refuse(500, "Cannot store the upload.\n");
      return http::async_read(stream_, buffer_, *fileParser_,
                              [self = shared_from_this()](beast::error_code ec, std::size_t) {
                                if (ec) return self->onBodyError(ec);
                                self->fileParser_->get().body().close();
                                self->request_.bodyFile = self->upload_;
                                self->dispatch();
                              });
    }
    stringParser_.emplace(std::move(*head_));
    stringParser_->body_limit(admission_.bodyLimit);
    http::async_read(stream_, buffer_, *stringParser_, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->onBodyError(ec);
      self->request_.body = std::move(self->stringParser_->get().body());
      self->dispatch();
    });
  }

  void onBodyError(beast::error_code ec) {
    if (closed_) return;
    if (ec == http::error::body_limit) return refuse(413, "Request body too large.\n");
    close();
  }

  std::optional<std::filesystem::path> makeUploadPath() {
    std::string pattern = (state_->uploadDir / "upload.XXXXXX").string();
    int fd = mkstemp(pattern.data());
    if (fd < 0) return std::nullopt;
    ::close(fd);
    return std::filesystem::path(pattern);
  }

  void removeUpload() {
    if (upload_.empty()) return;
    std::error_code ignored;
    std::filesystem::remove(upload_, ignored);
    upload_.clear();
  }

  void dispatch() {
    if (closed_ || state_->stopped) return close();
    state_->site.serve(std::move(request_), admission_,
                       [self = shared_from_this()](Response response) { self->send(std::move(response)); });
  }

  void refuse(int status, std::string body) {
    Response r = Response::text(status, std::move(body));
    r.close = true;
    send(std::move(r));
  }

  template <typename Body>
  void prepare(http::response<Body>& message, Response& response) {
    message.result(static_cast<unsigned>(response.status));
    message.version(11);
    message.set(http::field::content_type, response.contentType);
    message.set(http::field::strict_transport_security, "max-age=31536000");
    message.set("X-Content-Type-Options", "nosniff");
    message.set("X-Frame-Options", "DENY");
    message.set("Referrer-Policy", "no-referrer");
    bool cacheSet = false;
    for (const Header& h : response.headers) {
      if (auto known = http::string_to_field(h.name); known != http::field::unknown) {
        message.insert(known, h.value);  // Beast writes the usual spelling
      } else {
        message.insert(canonicalName(h.name), h.value);
      }
      if (h.name == "cache-control") cacheSet = true;
    }
    if (!cacheSet) message.set(http::field::cache_control, "no-store");
    message.keep_alive(keepAlive_ && !response.close);
  }

  void send(Response response) {
    if (closed_) return;
    if (state_->stopped) return close();
    if (response.stream && headRequest_) response.stream = nullptr;  // a HEAD request starts no work
    if (response.stream) return sendStream(std::move(response));
    bool closeAfter = !keepAlive_ || response.close;
    expiresAfter(kTransferDeadline);
    if (!response.file.empty() && headRequest_) {
      std::error_code ignored;
      std::filesystem::remove(response.file, ignored);
      response.file.clear();
    }
    if (!response.file.empty()) {
      auto message = std::make_shared<http::response<http::file_body>>();
      beast::error_code ec;
      message->body().open(response.file.c_str(), beast::file_mode::scan, ec);
      std::error_code ignored;
      std::filesystem::remove(response.file, ignored);  // the open descriptor keeps the data
      if (ec) {
        response = Response::text(500, "The answer could not be read.\n");
        return send(std::move(response));
      }
      prepare(*message, response);
      message->prepare_payload();
      return http::async_write(stream_, *message,
                               [self = shared_from_this(), message, closeAfter](beast::error_code ec, std::size_t) {
                                 self->afterWrite(ec, closeAfter);
                               });
    }
    auto message = std::make_shared<http::response<http::string_body>>();
    prepare(*message, response);
    if (headRequest_) {
      message->content_length(response.body.size());
    } else {
      message->body() = std::move(response.body);
      message->prepare_payload();
    }
    http::async_write(stream_, *message,
                      [self = shared_from_this(), message, closeAfter](beast::error_code ec, std::size_t) {
                        self->afterWrite(ec, closeAfter);
                      });
  }

  // The header with Transfer-Encoding: chunked, then every write as a chunk
  // as soon as the one before it is out; the connection closes after the
  // last chunk. Meanwhile a read notices a client that goes away.
  void sendStream(Response response) {
    keepAlive_ = false;
    expiresAfter(response.streamDeadline);
    auto header = std::make_shared<http::response<http::empty_body>>();
    prepare(*header, response);
    header->chunked(true);
    auto serializer = std::make_shared<http::response_serializer<http::empty_body>>(*header);
    writing_ = true;
    http::async_write_header(stream_, *serializer,
                             [self = shared_from_this(), header, serializer](beast::error_code ec, std::size_t) {
                               self->writing_ = false;
                               if (ec) return self->close();
                               self->pump();
                             });
    watchPeer();
    response.stream(std::make_shared<ChunkStream>(weak_from_this(), stream_.get_executor()));
  }

  void pump() {
    if (closed_ || writing_) return;
    if (!chunks_.empty()) {
      auto text = std::make_shared<std::string>(std::move(chunks_.front()));
      chunks_.pop_front();
      writing_ = true;
      return asio::async_write(stream_, http::make_chunk(asio::buffer(*text)),
                               [self = shared_from_this(), text](beast::error_code ec, std::size_t) {
                                 self->writing_ = false;
                                 if (ec) return self->close();
                                 self->pump();
                               });
    }
    if (!streamEnded_) return;
    writing_ = true;
    // The pending read of watchPeer() rules out a TLS shutdown (it reads
    // too): the last chunk ends the answer, then the socket is closed.
    asio::async_write(stream_, http::make_chunk_last(), [self = shared_from_this()](beast::error_code, std::size_t) {
      self->close();
    });
  }

  // A streamed answer's connection is closed afterwards; bytes the client
  // sends meanwhile are dropped, its end (or an error) ends the response.
  void watchPeer() {
    auto scratch = std::make_shared<std::array<char, 512>>();
    stream_.async_read_some(asio::buffer(*scratch),
                            [self = shared_from_this(), scratch](beast::error_code ec, std::size_t) {
                              if (self->closed_) return;
                              if (ec) return self->close();
                              self->watchPeer();
                            });
  }

  void afterWrite(beast::error_code ec, bool closeAfter) {
    removeUpload();
    stringParser_.reset();
    fileParser_.reset();
    if (ec || closed_) return close();
    if (closeAfter) {
      expiresAfter(kShutdownDeadline);
      return stream_.async_shutdown([self = shared_from_this()](beast::error_code) { self->close(); });
    }
    readHeader(false);
  }

  std::shared_ptr<State> state_;
  std::shared_ptr<asio::ssl::context> tls_;  // the context this connection was opened with
  beast::ssl_stream<Socket> stream_;
  SteadyTime deadline_ = SteadyTime::max();
  std::string peer_;
  std::optional<std::list<State::Slot>::iterator> slot_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> head_;
  std::optional<http::request_parser<http::string_body>> stringParser_;
  std::optional<http::request_parser<http::file_body>> fileParser_;
  Request request_;
  Admission admission_;
  std::filesystem::path upload_;
  bool keepAlive_ = false;
  bool headRequest_ = false;  // answer with the header only
  bool authenticated_ = false;
  bool closed_ = false;
  std::deque<std::string> chunks_;  // of a streamed response, waiting to be written
  bool writing_ = false;
  bool streamEnded_ = false;
  std::function<void()> cancel_;  // a streamed response's, until it ends
};

void ChunkStream::write(std::string text) {
  if (auto c = connection_.lock()) c->streamWrite(std::move(text), false);
}

void ChunkStream::end() {
  if (auto c = connection_.lock()) c->streamWrite({}, true);
}

void ChunkStream::onCancel(std::function<void()> cancel) {
  auto c = connection_.lock();
  if (c && c->streamOnCancel(cancel)) return;
  asio::post(executor_, std::move(cancel));  // already gone: told on a later turn
}

void State::sweep(std::shared_ptr<State> self) {
  sweeper.expires_after(kDeadlineSweep);
  sweeper.async_wait([self = std::move(self)](beast::error_code ec) {
    if (ec || self->stopped) return;
    auto now = SteadyClock::now();
    std::vector<std::shared_ptr<Connection>> late;
    for (const Slot& slot : self->slots) {
      if (auto c = slot.connection.lock(); c && c->late(now)) late.push_back(std::move(c));
    }
    for (auto& c : late) c->close();
    self->sweep(self);
  });
}

bool State::makeRoom() {
  auto victim = slots.end();
  for (auto it = slots.begin(); it != slots.end(); ++it) {
    if (it->authenticated) continue;
    if (!isTrusted(it->source)) {
      victim = it;
      break;
    }
    if (victim == slots.end()) victim = it;
  }
  if (victim == slots.end()) return false;
  if (auto connection = victim->connection.lock()) {
    connection->close();
  } else {
    slots.erase(victim);
    --stats.open;
  }
  ++stats.evicted;
  return true;
}

class Server final : public HttpsServer {
 public:
  Server(std::shared_ptr<State> state, Acceptor acceptor)
      : state_(std::move(state)), acceptor_(std::move(acceptor)) {}
  ~Server() override { stop(); }

  void accept() {
    acceptor_.async_accept([this, state = state_](beast::error_code ec, Socket socket) {
      if (state->stopped) return;
      if (!ec) admitConnection(std::move(socket));
      accept();
    });
  }

  Status updateTls(const TlsSettings& tls) override {
    auto ctx = makeContext(tls);
    if (!ctx) return Error{ctx.error()};
    state_->tls = *ctx;
    return {};
  }

  std::string localAddress() const override {
    boost::system::error_code ec;
    auto endpoint = acceptor_.local_endpoint(ec);
    if (ec) return {};
    return endpoint.address().is_v6() ? fmt::format("[{}]:{}", endpoint.address().to_string(), endpoint.port())
                                      : fmt::format("{}:{}", endpoint.address().to_string(), endpoint.port());
  }

  ServerStats stats() const override { return state_->stats; }

  void stop() override {
    if (state_->stopped) return;
    state_->stopped = true;
    boost::system::error_code ignored;
    acceptor_.close(ignored);
    state_->sweeper.cancel();
    std::vector<std::shared_ptr<Connection>> open;
    for (auto& slot : state_->slots) {
      if (auto c = slot.connection.lock()) open.push_back(std::move(c));
    }
    for (auto& c : open) c->close();
  }

 private:
  void admitConnection(Socket socket) {
    boost::system::error_code ec;
    auto remote = socket.remote_endpoint(ec);
    if (ec) return;
    ++state_->stats.accepted;
    if (state_->slots.size() >= state_->limits.maxConnections && !state_->makeRoom()) {
      ++state_->stats.refused;
      socket.close(ec);
      return;
    }
    socket.set_option(tcp::no_delay(true), ec);
    std::string peer = addressText(remote);
    auto connection = std::make_shared<Connection>(state_, std::move(socket), peer);
    state_->slots.push_back({connection, peer, false});
    ++state_->stats.open;
    connection->start(std::prev(state_->slots.end()));
  }

  std::shared_ptr<State> state_;
  Acceptor acceptor_;
};

}  // namespace

Status checkTlsSettings(const TlsSettings& tls) { return makeContext(tls).status(); }

Result<std::unique_ptr<HttpsServer>> HttpsServer::start(asio::io_context& io, ServerOptions options, Site& site) {
  auto endpoint = parseListen(options.listen);
  if (!endpoint) return Error{endpoint.error()};
  auto ctx = makeContext(options.tls);
  if (!ctx) return Error{ctx.error()};
  auto state = std::make_shared<State>(io, site, options.limits, options.uploadDir);
  state->tls = *ctx;
  Acceptor acceptor(io.get_executor());
  boost::system::error_code ec;
  acceptor.open(endpoint->protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(*endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) return Error{fmt::format("cannot listen on {}: {}", options.listen, ec.message())};
  state->sweep(state);
  auto server = std::make_unique<Server>(std::move(state), std::move(acceptor));
  server->accept();
  return std::unique_ptr<HttpsServer>(std::move(server));
}

}  // namespace bulwark::web
