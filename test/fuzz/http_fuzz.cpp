// Fuzzes what the web room makes of bytes from the network: the request
// parser with the server's limits (Beast, as server.cpp configures it), then
// the site's readers of what the request carries (Basic credentials, cookies,
// the query) and the CGI interface's parse, rights check and dispatch for
// every script, with services that answer like the real ones.
#include <cstddef>
#include <cstdint>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

#include "board.hpp"
#include "cgi/cgi.hpp"
#include "server/http.hpp"
#include "site.hpp"

namespace http = boost::beast::http;
using namespace bulwark;
using namespace bulwark::web;

namespace {

class Switch final : public platform::SwitchControl {
 public:
  Status purgeAddressTable() override { return {}; }
  Status resetPhyCounters() override { return Error{"no"}; }
};

void dispatchAll(std::string_view query) {
  static Switch sw;
  cgi::CgiServices services;
  services.device = {"bulwark sim", "SIM", "00000000", "0.1.0.default"};
  services.ntpState = [] { return std::string("disabled"); };
  services.timeSync = [] { return std::string("not_synced"); };
  services.ecsStatus = [] { return std::string("1"); };
  services.switchControl = &sw;
  for (auto script : {cgi::Script::Vpn, cgi::Script::Diag, cgi::Script::Action, cgi::Script::Status}) {
    auto command = cgi::parse(script, query);
    if (!command) {
      if (cgi::invalid(command.error()).body.find('\n') + 1 != cgi::invalid(command.error()).body.size()) __builtin_trap();
      continue;
    }
    for (auto role : {auth::Role::Root, auth::Role::Audit, auth::Role::Mobile}) (void)cgi::allowed(*command, role);
    (void)cgi::actionName(*command);
    if (command->script == cgi::Script::Diag && command->name == "snapshot") continue;  // writes files
    bool answered = false;
    cgi::run(*command, services, [&answered](Response r) { answered = !r.body.empty() || r.status == 200; });
    if (!answered) __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  // The query alone, as the CGI scripts see it.
  dispatchAll(input.substr(0, 4096));

  // A whole request through the parser with the server's limits.
  http::request_parser<http::string_body> parser;
  parser.header_limit(8 * 1024);
  parser.body_limit(4 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;
  const auto& message = parser.get();
  Request request;
  request.method = std::string(message.method_string());
  request.target = std::string(message.target());
  for (const auto& field : message) {
    auto name = field.name_string();
    auto value = field.value();
    request.headers.push_back({std::string(name.data(), name.size()), std::string(value.data(), value.size())});
  }
  if (const std::string* a = request.header("Authorization")) (void)parseBasic(*a);
  if (const std::string* c = request.header("Cookie")) (void)cookieValue(*c, ManagementSite::kCookie);
  (void)parseQuery(request.query());
  if (cgi::scriptFor(request.path())) dispatchAll(request.query());
  return 0;
}
