// The HTTP request and response as the rest of the web room sees them: plain
// values, no Beast, no TLS. The server (server.cpp, the one unit that knows
// Beast and OpenSSL) fills a Request and writes a Response; the site, the CGI
// scripts and the JSON API only deal with these, so they compile quickly and
// can be fuzzed without sockets.
#pragma once

#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace bulwark::web {

struct Header {
  std::string name;  // lower case
  std::string value;
};

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string target;  // "/nph-vpn.cgi?cmd=sysinfo"
  std::vector<Header> headers;
  std::string body;
  // Set instead of `body` for uploads the site asked to stream to disk; the
  // file is removed when the request is done.
  std::filesystem::path bodyFile;
  std::string peer;  // address of the client, "192.168.1.55"

  // The first header named `lowerName`, or null.
  const std::string* header(std::string_view lowerName) const;
  // The path part of the target, without the query.
  std::string_view path() const;
  // The query part of the target, without '?'; empty when there is none.
  std::string_view query() const;
};

// The body of a response that is written while it is being made: the
// progress lines of nph-vpn.cgi?cmd=synup. The server sends each write as one
// HTTP/1.1 chunk as soon as the ones before it are out, and closes the
// connection after end(). All calls happen on the loop.
class BodyStream {
 public:
  virtual ~BodyStream() = default;
  // Queues `text`; after end() or a cancel it is dropped.
  virtual void write(std::string text) = 0;
  // The last chunk; the connection closes once it is out.
  virtual void end() = 0;
  // `cancel` runs once if the response cannot be completed: the client went
  // away, a write failed, or the deadline passed before end(). Never after
  // end(), never from inside write() or end().
  virtual void onCancel(std::function<void()> cancel) = 0;
};

struct Response {
  int status = 200;
  std::string contentType = "text/plain; charset=utf-8";
  std::vector<Header> headers;
  std::string body;
  // When set, the body is streamed from this file, which is removed after.
  std::filesystem::path file;
  bool close = false;  // end the connection after this response
  // When set, the body is streamed: the server sends the header, then calls
  // this with the stream to write to (see BodyStream); `body` and `file` are
  // not used. `streamDeadline` bounds the whole response.
  std::function<void(std::shared_ptr<BodyStream>)> stream;
  std::chrono::seconds streamDeadline{300};

  static Response text(int status, std::string body);
};

// What the site decides once the header of a request is read, before any
// body byte is: who is asking, and how much body it may send.
struct Admission {
  bool authenticated = false;
  // Set: answer this without reading the body.
  std::optional<Response> answer;
  std::size_t bodyLimit = 4096;
  // Stream the body to a temporary file (uploads) instead of memory.
  bool bodyToFile = false;
  // Whatever the site needs again in serve() (the identity, the session).
  std::shared_ptr<const void> context;
};

// The application behind the server. Both calls happen on the loop; the
// callbacks may be called later (after a password check on a worker).
class Site {
 public:
  virtual ~Site() = default;
  virtual void admit(const Request& head, std::function<void(Admission)> done) = 0;
  virtual void serve(Request request, const Admission& admission, std::function<void(Response)> reply) = 0;
};

// "%41b+c" -> "Ab c" (plus is a space in a query). Nullopt on a bad escape.
std::optional<std::string> urlDecode(std::string_view text, bool plusIsSpace = true);

// "a=1&b=x%20y" -> {{"a","1"},{"b","x y"}}. Nullopt when an escape is broken.
std::optional<std::vector<std::pair<std::string, std::string>>> parseQuery(std::string_view query);

}  // namespace bulwark::web
