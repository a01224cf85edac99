#include "cgi/cgi.hpp"

#include <algorithm>
#include <array>
#include <memory>
#include <set>

#include <fmt/format.h>

#include "board.hpp"
#include "cgi/vpn_answers.hpp"
#include "config/atv.hpp"

namespace bulwark::web::cgi {

namespace {

using auth::Role;

enum class Need { None, Required, Optional };

// One command of a script: its name, its parameters and who may run it.
struct Spec {
  std::string_view name;
  std::initializer_list<std::pair<std::string_view, Need>> params;
  std::initializer_list<Role> roles;
};

constexpr auto kAdmins = {Role::Root, Role::Admin};

// Table 11-3.
const Spec kVpn[] = {
    {"up", {{"name", Need::Required}}, {Role::Root, Role::Admin, Role::User}},
    {"down", {{"name", Need::Required}}, {Role::Root, Role::Admin, Role::User}},
    {"synup", {{"name", Need::Required}}, {Role::Root, Role::Admin, Role::User}},
    {"syndown", {{"name", Need::Required}}, {Role::Root, Role::Admin, Role::User}},
    {"status",
     {{"name", Need::Optional}, {"channel", Need::Optional}},
     {Role::Root, Role::Admin, Role::User, Role::Netadmin, Role::Audit}},
    {"synstat", {{"name", Need::Required}}, {Role::Root, Role::Admin, Role::User, Role::Netadmin, Role::Audit}},
    {"sysinfo", {}, {Role::Root, Role::Admin, Role::User, Role::Netadmin, Role::Audit}},
    {"clear", {{"channel", Need::Required}}, kAdmins},
};
const Spec kDiag[] = {
    {"testpull", {}, kAdmins},
    {"snapshot", {}, kAdmins},
};
// 11.6: row actions take a name or a row id.
const std::initializer_list<std::pair<std::string_view, Need>> kRow = {{"name", Need::Optional},
                                                                         {"rowid", Need::Optional}};
const Spec kAction[] = {
    {"fwrules/inactive", kRow, kAdmins},
    {"fwrules/active", kRow, kAdmins},
    {"vpn/stop", kRow, kAdmins},
    {"vpn/start", kRow, kAdmins},
    {"openvpn/stop", kRow, kAdmins},
    {"openvpn/start", kRow, kAdmins},
    {"cifsim/validaterep", kRow, kAdmins},
    {"cifsim/check-start", kRow, kAdmins},
    {"cifsim/init-start", kRow, kAdmins},
    {"cifsim/cancel", kRow, kAdmins},
    {"cifsim/erase-db", kRow, kAdmins},
    {"cifsim/access-scan", kRow, kAdmins},
    {"userfw/logout", {{"name", Need::Required}, {"ip", Need::Required}}, kAdmins},
    {"switch/purge-arlt", {}, kAdmins},
    {"switch/reset-phy-counters", {}, kAdmins},
    {"gsm/call", {{"dial", Need::Required}, {"timeout", Need::Required}}, {Role::Mobile, Role::Root, Role::Admin}},
    {"gsm/sms", {{"dial", Need::Required}, {"msg", Need::Required}}, {Role::Mobile, Role::Root, Role::Admin}},
};
// 11.7.
const Spec kStatus[] = {
    {"/network/modem/state", {}, kAdmins},
    {"/network/ntp_state", {}, kAdmins},
    {"/system/time_sync", {}, kAdmins},
    {"/ecs/status", {}, kAdmins},
    {"/vpn/con", {{"name", Need::Required}}, kAdmins},
    {"/fwrules", {{"name", Need::Required}}, kAdmins},
    {"/cifs/im", {{"name", Need::Required}}, kAdmins},
};

std::span<const Spec> specsOf(Script script) {
  switch (script) {
    case Script::Vpn: return kVpn;
    case Script::Diag: return kDiag;
    case Script::Action: return kAction;
    case Script::Status: return kStatus;
  }
  return {};
}

std::string_view selectorOf(Script script) {
  switch (script) {
    case Script::Vpn:
    case Script::Diag: return "cmd";
    case Script::Action: return "action";
    case Script::Status: return "path";
  }
  return "cmd";
}

const Spec* findSpec(Script script, std::string_view name) {
  for (const Spec& spec : specsOf(script)) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

// Reference 11.3: names and values use letters, digits and . _ ~; anything
// else must be URL-encoded. The query's own punctuation is allowed as well:
// & = for parameters, % + for encodings, and / : * - , which the commands'
// own words use (action=fwrules/active, path=/ecs/status, name=*,
// channel=10.1.0.0/16:192.168.23.0/24, switch/reset-phy-counters).
bool allowedRaw(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("._~&=%+/:*-,").find(c) != std::string_view::npos;
}

bool printable(std::string_view text) {
  for (unsigned char c : text) {
    if (c < 0x20 || c == 0x7f) return false;
  }
  return config::isValidUtf8(text);
}

Response answer(std::string text) { return Response::text(200, std::move(text)); }

Response notAvailable(std::string_view what) {
  return answer(fmt::format("F ENOENT msg={} is not available in this build.\n", what));
}

std::vector<ipsec::ConnectionStatus> vpnConnections(const CgiServices& services) {
  return services.ipsec ? services.ipsec->connections() : std::vector<ipsec::ConnectionStatus>{};
}

// The one connection a command names (by VPN_NAME, or by row id for the row
// actions of 11.6), or the answer why there is none.
Result<ipsec::ConnectionStatus> oneConnection(const CgiServices& services, const std::string* name,
                                              const std::string* rowid = nullptr) {
  std::vector<ipsec::ConnectionStatus> found;
  if (name) {
    if (*name != "*") found = ipsec::named(vpnConnections(services), *name);
  } else {
    for (auto& c : vpnConnections(services)) {
      if (c.id == *rowid) found.push_back(std::move(c));
    }
  }
  if (found.empty()) {
    return Error{name ? fmt::format("F ENOENT msg=No VPN connection is named {}.\n", *name)
                      : fmt::format("F ENOENT msg=No VPN connection has the row id {}.\n", *rowid)};
  }
  if (found.size() > 1) return Error{fmt::format("F EAMBIGUOUS msg=Several VPN connections are named {}.\n", *name)};
  return found.front();
}

std::string vpnStateOf(const CgiServices& services, const std::string& id) {
  for (const auto& c : vpnConnections(services)) {
    if (c.id == id) return std::string(stateName(c.state())) + "\n";
  }
  return "unknown\n";
}

// How long syndown waits for charon to delete the connection's SAs.
constexpr std::chrono::seconds kSyndownTimeout{10};

// How long a synup answer may take in all; the attempt itself is bounded by
// the IPsec module's timeouts, well below this.
constexpr std::chrono::seconds kSynupDeadline{120};

// 11.4.3.3: the answer is streamed, each line sent as the service says it;
// a client that goes away cancels the attempt.
Response synupAnswer(ipsec::IpsecService* ipsec, const std::string& id) {
  Response r;
  r.streamDeadline = kSynupDeadline;
  r.stream = [ipsec, id](std::shared_ptr<BodyStream> out) {
    auto cancel = ipsec->synup(id, [out](std::string line, bool last) {
      out->write(std::move(line));
      if (last) out->end();
    });
    out->onCancel(std::move(cancel));
  };
  return r;
}

// nph-vpn.cgi's commands on connections (11.4.1-11.4.3).
void runVpn(const Command& command, CgiServices& services, std::function<void(Response)> reply) {
  const std::string& cmd = command.name;
  const std::string* name = command.param("name");
  if (cmd == "status" && !name) {
    // Fresh lifetimes: charon is asked first.
    if (!services.ipsec) return reply(answer(""));
    auto uptime = services.uptime;
    ipsec::IpsecService* ipsec = services.ipsec;
    return ipsec->refresh([ipsec, uptime, reply] {
      reply(answer(vpnFullStatus(ipsec->connections(), uptime ? uptime() : std::chrono::seconds(0))));
    });
  }
  if (cmd == "status" && *name == "*") return reply(answer(vpnStateLines(vpnConnections(services))));
  auto found = oneConnection(services, name);
  if (!found) {
    // up, down and status answer with a state (11.4.1, 11.4.2).
    bool stateAnswer = cmd == "up" || cmd == "down" || cmd == "status";
    if (stateAnswer && found.error().starts_with("F ENOENT")) return reply(answer("unknown\n"));
    return reply(answer(found.error()));
  }
  const ipsec::ConnectionStatus& c = *found;
  if (cmd == "status") return reply(answer(std::string(stateName(c.state())) + "\n"));
  if (cmd == "synstat") return reply(answer(vpnSynstat(c)));
  if (cmd == "synup") return reply(synupAnswer(services.ipsec, c.id));
  Status s = cmd == "up" ? services.ipsec->activate(c.id) : services.ipsec->deactivate(c.id);
  if (!s) return reply(answer(fmt::format("F EINVAL msg={}\n", s.message())));
  if (cmd == "up" || cmd == "down") return reply(answer(vpnStateOf(services, c.id)));
  // syndown: done once charon has deleted its SAs.
  if (!c.activated) return reply(answer("R OKVNOTACT\n"));
  std::string label = c.name;
  services.ipsec->whenGone(c.id, kSyndownTimeout, [reply, label](bool gone) {
    reply(answer(gone ? std::string("R OKVDOWN\n")
                      : fmt::format("F EBUSY msg=charon has not deleted the SAs of {} within {} s.\n", label,
                                    kSyndownTimeout.count())));
  });
}

// clear (11.4.4.2): the IKE SA of each instance is deleted; the answer
// comes once charon has done all of them (and its SAs were listed again, so
// that a status right after it no longer sees them).
void clearInstances(ipsec::IpsecService* ipsec, std::vector<ipsec::ChannelInstance> instances,
                    std::function<void(Response)> reply) {
  struct Clearing {
    std::vector<ipsec::ChannelInstance> instances;
    std::size_t left;
    std::string error;
    std::function<void(Response)> reply;
  };
  auto clearing = std::make_shared<Clearing>(Clearing{instances, instances.size(), {}, std::move(reply)});
  for (const ipsec::ChannelInstance& i : instances) {
    ipsec->terminateIke(i.ikeUniqueId, [clearing, uid = i.ikeUniqueId](Status s) {
      // One already gone (its peer ended it meanwhile) is cleared as well.
      if (!s && s.message().find("no matching") == std::string::npos) {
        clearing->error = fmt::format("charon did not delete the IKE SA #{}: {}", uid, s.message());
      }
      if (--clearing->left > 0) return;
      if (!clearing->error.empty()) return clearing->reply(answer(fmt::format("F EBUSY msg={}\n", clearing->error)));
      clearing->reply(answer(vpnClearLines(clearing->instances)));
    });
  }
}

// The central gateway's commands on one tunnel (11.4.4): status and clear
// with channel=LNET:RNET.
void runChannel(const Command& command, CgiServices& services, std::function<void(Response)> reply) {
  auto channel = ipsec::parseChannel(*command.param("channel"));
  if (!channel) return reply(invalid(channel.error()));
  std::vector<ipsec::ConnectionStatus> all = vpnConnections(services);
  if (command.name == "status") {
    return reply(answer(fmt::format("{}\n", ipsec::channelStateName(ipsec::channelState(all, *channel)))));
  }
  std::vector<ipsec::ChannelInstance> instances = ipsec::channelInstances(all, *channel);
  if (instances.empty()) return reply(answer("unknown\n"));
  clearInstances(services.ipsec, std::move(instances), std::move(reply));
}

}  // namespace

std::optional<Script> scriptFor(std::string_view path) {
  if (path == "/nph-vpn.cgi") return Script::Vpn;
  if (path == "/nph-diag.cgi") return Script::Diag;
  if (path == "/nph-action.cgi") return Script::Action;
  if (path == "/nph-status.cgi") return Script::Status;
  return std::nullopt;
}

std::string_view scriptName(Script script) {
  switch (script) {
    case Script::Vpn: return "nph-vpn.cgi";
    case Script::Diag: return "nph-diag.cgi";
    case Script::Action: return "nph-action.cgi";
    case Script::Status: return "nph-status.cgi";
  }
  return "";
}

const std::string* Command::param(std::string_view key) const {
  auto it = params.find(key);
  return it == params.end() ? nullptr : &it->second;
}

Result<Command> parse(Script script, std::string_view query) {
  for (char c : query) {
    if (!allowedRaw(c)) {
      return Error{fmt::format("the character '{}' must be URL-encoded (reference 11.3)",
                               static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f
                                   ? fmt::format("\\x{:02x}", static_cast<unsigned char>(c))
                                   : std::string(1, c))};
    }
  }
  auto pairs = parseQuery(query);
  if (!pairs) return Error{"broken URL encoding"};
  std::string_view selector = selectorOf(script);
  Command command{script, {}, {}};
  bool haveSelector = false;
  for (auto& [key, value] : *pairs) {
    // A name is checked before it is ever repeated in an answer.
    if (key != selector && (key.empty() || key.size() > 16 ||
                            !std::all_of(key.begin(), key.end(), [](char c) { return c >= 'a' && c <= 'z'; }))) {
      return Error{"unknown parameter"};
    }
    if (!printable(value)) return Error{fmt::format("the parameter {} holds control characters", key)};
    if (key == selector) {
      if (haveSelector) return Error{fmt::format("the parameter {} is given twice", key)};
      haveSelector = true;
      command.name = std::move(value);
      continue;
    }
    if (command.params.count(key)) return Error{fmt::format("the parameter {} is given twice", key)};
    command.params.emplace(std::move(key), std::move(value));
  }
  if (!haveSelector) return Error{fmt::format("the parameter {} is missing", selector)};
  const Spec* spec = findSpec(script, command.name);
  if (!spec) {
    return Error{fmt::format("unknown {} '{}'", selector == "path" ? "path" : selector == "cmd" ? "command" : "action",
                             printable(command.name) && command.name.size() <= 64 ? command.name : "?")};
  }
  for (const auto& [key, value] : command.params) {
    const std::string& name = key;  // clang 14 cannot capture a structured binding
    bool known = std::any_of(spec->params.begin(), spec->params.end(), [&](const auto& p) { return p.first == name; });
    if (!known) return Error{fmt::format("the parameter {} is not used by {}", key, command.name)};
    if (value.empty()) return Error{fmt::format("the parameter {} is empty", key)};
  }
  for (const auto& [key, need] : spec->params) {
    if (need == Need::Required && !command.param(key)) {
      return Error{fmt::format("the parameter {} is missing", key)};
    }
  }
  // Row actions name their row by name or by row id, exactly one of them.
  if (script == Script::Action && spec->params.size() == 2 && spec->params.begin()->first == "name" &&
      (spec->params.begin() + 1)->first == "rowid") {
    if ((command.param("name") != nullptr) == (command.param("rowid") != nullptr)) {
      return Error{"give either the parameter name or the parameter rowid"};
    }
  }
  if (script == Script::Vpn && command.name == "status" && command.param("name") && command.param("channel")) {
    return Error{"give either the parameter name or the parameter channel"};
  }
  return command;
}

bool allowed(const Command& command, Role role) {
  const Spec* spec = findSpec(command.script, command.name);
  if (!spec) return false;
  // The central gateway's form of status (a channel) is for root and admin only.
  if (command.script == Script::Vpn && command.name == "status" && command.param("channel")) {
    return role == Role::Root || role == Role::Admin;
  }
  return std::find(spec->roles.begin(), spec->roles.end(), role) != spec->roles.end();
}

std::string actionName(const Command& command) {
  switch (command.script) {
    case Script::Vpn:
      if (command.name == "status" || command.name == "synstat" || command.name == "sysinfo") return {};
      return "vpn/" + command.name;
    case Script::Diag: return command.name == "snapshot" ? "tools/snapshot" : "tools/testpull";
    case Script::Action: return command.name;
    case Script::Status: return {};
  }
  return {};
}

Response invalid(std::string_view message) { return answer(fmt::format("F EINVAL msg={}\n", message)); }

void run(const Command& command, CgiServices& services, std::function<void(Response)> reply) {
  const std::string& name = command.name;
  switch (command.script) {
    case Script::Vpn: {
      if (name == "sysinfo") {
        const DeviceInfo& d = services.device;
        return reply(answer(fmt::format("mGuardProductName={}\nmGuardHardware={}\nmGuardHardwareVersion={}\n"
                                        "mGuardVersion={}\n",
                                        d.productName, d.hardware, d.hardwareVersion, d.version)));
      }
      if (name == "clear" || command.param("channel")) return runChannel(command, services, std::move(reply));
      return runVpn(command, services, std::move(reply));
    }
    case Script::Diag:
      if (name == "testpull") {
        return reply(answer("F ECONFPULL http-code= msg=Pull configuration is not available in this build.\n"));
      }
      if (!services.snapshot) return reply(notAvailable("The snapshot"));
      return services.snapshot([reply](Result<std::filesystem::path> file) {
        if (!file) return reply(answer(fmt::format("F EBUSY msg={}\n", file.error())));
        Response r;
        r.contentType = "application/gzip";
        r.headers.push_back({"content-disposition", "attachment; filename=\"snapshot.tar.gz\""});
        r.file = *file;
        reply(std::move(r));
      });
    case Script::Action:
      if (name.starts_with("switch/")) {
        if (!services.switchControl) return reply(answer("F ENOENT msg=This device has no managed switch.\n"));
        Status s = name == "switch/purge-arlt" ? services.switchControl->purgeAddressTable()
                                               : services.switchControl->resetPhyCounters();
        if (!s) return reply(answer(fmt::format("F EIO msg={}\n", s.message())));
        return reply(answer("OK\n"));
      }
      if (name.starts_with("gsm/")) return reply(answer("F ENOENT msg=This device has no modem.\n"));
      if (name.starts_with("fwrules/")) {
        if (!services.setRuleRecord) return reply(notAvailable("The firewall rule record service"));
        const std::string* record = command.param("name");
        const std::string* rowid = command.param("rowid");
        Status s = services.setRuleRecord(record ? *record : std::string(), record ? std::string() : *rowid,
                                          name == "fwrules/active");
        if (!s) return reply(answer(fmt::format("F ENOENT msg={}\n", s.message())));
        return reply(answer("OK\n"));
      }
      if (name.starts_with("vpn/")) {
        if (!services.ipsec) return reply(notAvailable("The IPsec service"));
        auto found = oneConnection(services, command.param("name"), command.param("rowid"));
        if (!found) return reply(answer(found.error()));
        Status s = name == "vpn/start" ? services.ipsec->activate(found->id) : services.ipsec->deactivate(found->id);
        if (!s) return reply(answer(fmt::format("F EINVAL msg={}\n", s.message())));
        return reply(answer("OK\n"));
      }
      if (name.starts_with("openvpn/")) return reply(notAvailable("The OpenVPN service"));
      if (name.starts_with("userfw/")) {
        if (!services.userFirewallLogout) return reply(notAvailable("The user firewall"));
        Status s = services.userFirewallLogout(*command.param("name"), *command.param("ip"));
        if (!s) return reply(answer(fmt::format("F ENOENT msg={}\n", s.message())));
        return reply(answer("OK\n"));
      }
      return reply(notAvailable("CIFS integrity monitoring"));
    case Script::Status:
      if (name == "/network/ntp_state" && services.ntpState) return reply(answer(services.ntpState() + "\n"));
      if (name == "/system/time_sync" && services.timeSync) return reply(answer(services.timeSync() + "\n"));
      if (name == "/ecs/status" && services.ecsStatus) return reply(answer(services.ecsStatus() + "\n"));
      if (name == "/network/modem/state") return reply(answer("F ENOENT msg=This device has no modem.\n"));
      if (name == "/vpn/con") {
        if (!services.ipsec) return reply(notAvailable("The IPsec service"));
        auto found = ipsec::named(vpnConnections(services), *command.param("name"));
        if (found.empty()) {
          return reply(answer(fmt::format("F ENOENT msg=No VPN connection is named {}.\n", *command.param("name"))));
        }
        return reply(answer(vpnConStatus(found)));
      }
      if (name == "/fwrules") {
        if (!services.ruleRecordStatus) return reply(notAvailable("The firewall rule record service"));
        std::string lines = services.ruleRecordStatus(*command.param("name"));
        if (lines.empty()) {
          return reply(answer(fmt::format("F ENOENT msg=No firewall rule record is named {}.\n", *command.param("name"))));
        }
        return reply(answer(lines));
      }
      if (name == "/cifs/im") return reply(notAvailable("CIFS integrity monitoring"));
      return reply(notAvailable("This status"));
  }
}

}  // namespace bulwark::web::cgi
