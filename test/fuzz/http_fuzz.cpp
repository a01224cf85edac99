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

// A central gateway's tunnel group (10.0.0.0/16 behind any peer) with one
// peer up, narrowed to 10.0.1.0/24: the channel commands find and clear it.
class GroupIpsec final : public ipsec::IpsecService {
 public:
  std::vector<ipsec::ConnectionStatus> connections() const override {
    ipsec::ChildSa child{.uniqueId = 2, .name = "MAIv2", .state = "INSTALLED", .algorithms = "AES_GCM_16_128",
                         .rekeyAt = std::nullopt, .localTs = {"192.168.1.0/24"}, .remoteTs = {"10.0.1.0/24"}};
    ipsec::IkeSa ike;
    ike.uniqueId = 1;
    ike.name = "MAIv1";
    ike.state = "ESTABLISHED";
    ike.remoteHost = "10.0.2.11";
    ike.children = {child};
    ipsec::ConnectionStatus group;
    group.id = "MAIv1";
    group.name = "group";
    group.enabled = group.armed = true;
    group.remoteGateway = "%any";
    group.ike = ike;
    group.sas = {ike};
    group.tunnels = {{"MAIv2", "192.168.1.0/24", "10.0.0.0/16", child}};
    return {group};
  }
  void refresh(std::function<void()> done) override { done(); }
  Status activate(const std::string&) override { return Error{"waits"}; }
  Status deactivate(const std::string&) override { return Error{"waits"}; }
  void whenGone(const std::string&, std::chrono::milliseconds, std::function<void(bool)> done) override { done(true); }
  std::function<void()> synup(const std::string&, ipsec::SynupLine line) override {
    line("F EINVAL msg=waits\n", true);
    return [] {};
  }
  void terminateIke(std::uint32_t, std::function<void(Status)> done) override { done({}); }
  std::string synupDiagnostics() const override { return ""; }
};

void dispatchAll(std::string_view query) {
  static Switch sw;
  static GroupIpsec group;
  (void)ipsec::parseChannel(query);
  cgi::CgiServices services;
  services.ipsec = &group;
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
