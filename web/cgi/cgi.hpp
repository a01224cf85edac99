// The CGI interface of reference chapter 11: nph-vpn.cgi, nph-diag.cgi,
// nph-action.cgi and nph-status.cgi. This room only parses the query, checks
// the rights of table 11-3 (and 11.6, 11.7) and formats the answer in the
// reference's words; the work is done by the owning module's service
// interface (CgiServices). A subsystem that is not built yet answers what the
// reference gives for an unknown object ("unknown", "F ENOENT ..."), never a
// made-up success.
//
// Answers are text/plain; charset=utf-8. Syntax errors (an unknown command, a
// missing or repeated parameter, characters outside 11.3) answer
//   F EINVAL msg=<what is wrong>
#pragma once

#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "auth/roles.hpp"
#include "common/status.hpp"
#include "server/http.hpp"
#include "vpn/ipsec/ipsec_service.hpp"

namespace bulwark::platform {
class SwitchControl;
}

namespace bulwark::web::cgi {

enum class Script { Vpn, Diag, Action, Status };

// "/nph-vpn.cgi" -> Vpn; nullopt for any other path.
std::optional<Script> scriptFor(std::string_view path);
std::string_view scriptName(Script script);

struct Command {
  Script script;
  std::string name;  // cmd (vpn, diag), action (action) or path (status)
  std::map<std::string, std::string, std::less<>> params;

  const std::string* param(std::string_view key) const;
};

// Parses the query of `script`. The error is the text after "msg=".
Result<Command> parse(Script script, std::string_view query);

// Table 11-3, 11.6 and 11.7: may `role` run `command`?
bool allowed(const Command& command, auth::Role role);

// The action name logged for a command that changes something
// ("tools/snapshot", "switch/purge-arlt", "vpn/up"); empty for queries.
std::string actionName(const Command& command);

struct DeviceInfo {
  std::string productName;
  std::string hardware;
  std::string hardwareVersion;
  std::string version;  // "0.3.0.default"
};

// What the commands reach. Unset functions are subsystems not built yet.
struct CgiServices {
  DeviceInfo device;
  // The time since boot, for the VPN status's remaining lifetimes.
  std::function<std::chrono::seconds()> uptime;
  // The IPsec connections: nph-vpn.cgi, nph-action.cgi vpn/start|stop,
  // nph-status.cgi /vpn/con. Unset: no connection is known.
  ipsec::IpsecService* ipsec = nullptr;
  // /network/ntp_state: disabled | not_synced | synchronized
  std::function<std::string()> ntpState;
  // /system/time_sync: not_synced | manually | stamp | rtc | ntp | gps | gpslost
  std::function<std::string()> timeSync;
  // /ecs/status: 1 not present, 2 removed, 3 present and in sync, 4 not in sync, 8 error
  std::function<std::string()> ecsStatus;
  platform::SwitchControl* switchControl = nullptr;
  // fwrules/active|inactive: the record named `name` or, `name` empty, the
  // one with ROWID `rowid`. The error is the answer's message.
  std::function<Status(const std::string& name, const std::string& rowid, bool active)> setRuleRecord;
  // /fwrules: the answer's lines for the records named `name` ("*": all),
  // "/fwrules/<rowid>/expires=<s>" and "/fwrules/<rowid>/state=..."; "" for none.
  std::function<std::string(const std::string& name)> ruleRecordStatus;
  // userfw/logout: ends the firewall user `name`'s login from `ip`.
  std::function<Status(const std::string& name, const std::string& ip)> userFirewallLogout;
  // Writes a support snapshot (.tar.gz) and yields its path; runs on a worker.
  std::function<void(std::function<void(Result<std::filesystem::path>)>)> snapshot;
};

// Runs a parsed, permitted command and answers it.
void run(const Command& command, CgiServices& services, std::function<void(Response)> reply);

// The answer to a syntax error: "F EINVAL msg=<message>\n".
Response invalid(std::string_view message);

}  // namespace bulwark::web::cgi
