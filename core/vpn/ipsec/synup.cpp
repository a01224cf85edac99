#include "vpn/ipsec/synup.hpp"

#include <algorithm>
#include <ctime>
#include <map>

#include <fmt/format.h>

#include "common/ipv4.hpp"
#include "vpn/ipsec/vici_client.hpp"

namespace bulwark::ipsec {

namespace {

bool startsWith(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// The word after `prefix` up to the next blank: "received X notify" -> X.
std::string wordAfter(std::string_view text, std::string_view prefix) {
  text.remove_prefix(prefix.size());
  return std::string(text.substr(0, text.find(' ')));
}

// "MAIv1[3]" / "MAIv2{7}" -> "#3" / "#7": charon's unique id of the SA.
std::string saId(std::string_view text, char open, char close) {
  auto a = text.find(open);
  auto b = text.find(close, a == std::string_view::npos ? 0 : a);
  if (a == std::string_view::npos || b == std::string_view::npos) return "#?";
  return "#" + std::string(text.substr(a + 1, b - a - 1));
}

std::string lower(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

}  // namespace

std::string uptimeText(std::chrono::milliseconds uptime) {
  auto ms = std::max<std::int64_t>(0, uptime.count());
  return fmt::format("{}.{:02}", ms / 1000, ms % 1000 / 10);
}

std::string tstampText(std::chrono::system_clock::time_point now, char letter) {
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm utc{};
  gmtime_r(&t, &utc);
  return fmt::format("{:04}{:02}{:02}{:02}{:02}{:02}{}", utc.tm_year + 1900, utc.tm_mon + 1, utc.tm_mday, utc.tm_hour,
                     utc.tm_min, utc.tm_sec, letter);
}

std::optional<std::string> SynupDiagnosis::feed(std::string_view m) {
  // "initiating IKE_SA x[1] to ..." (IKEv2), "initiating Main Mode IKE_SA x[1] to ..." (IKEv1)
  if (startsWith(m, "initiating ") && m.find("IKE_SA ") != std::string_view::npos) {
    auto to = m.rfind(" to ");
    return fmt::format("newstate=connecting id={} to={}", saId(m, '[', ']'),
                       to == std::string_view::npos ? "?" : m.substr(to + 4));
  }
  if (startsWith(m, "generating ") && m.find(" request ") != std::string_view::npos) {
    std::string exchange = wordAfter(m, "generating ");
    if (exchange.starts_with("INFORMATIONAL")) return std::nullopt;  // DPD and deletes, not a step
    if (std::optional<std::string> v1 = ikev1Request(exchange)) return v1;
    state_ = lower(exchange) + "-i1";
    return fmt::format("newstate={} send={}", state_, exchange);
  }
  if (startsWith(m, "received packet: ")) {
    heard_ = true;
    return std::nullopt;
  }
  if (startsWith(m, "parsed ")) {
    heard_ = true;
    std::string exchange = wordAfter(m, "parsed ");
    bool response = m.find(" response ") != std::string_view::npos;
    if (response && ikev1Modes_.contains(exchange)) return ikev1Response(exchange);
    if (response && exchange != "INFORMATIONAL") {
      state_ = lower(exchange) + "-i2";
      return fmt::format("newstate={} rcvd={}", state_, exchange);
    }
    return fmt::format("state={} rcvd={}", state_, exchange);
  }
  // IKEv1 reports a peer's error in an informational exchange: in the first
  // phase (no IKE SA yet) or in the second.
  if (startsWith(m, "received ") && m.find(" error notify") != std::string_view::npos) {
    std::string notify = wordAfter(m, "received ");
    (ikeUp_ ? childNotify_ : ikeNotify_) = notify;
    lastFailure_ = std::string(m);
    return fmt::format("state={} notify={}{}", state_, notify, ikeUp_ ? " ipsec-sa=none" : "");
  }
  if (startsWith(m, "retransmit ")) return fmt::format("state={} retransmit={}", state_, wordAfter(m, "retransmit "));
  if (startsWith(m, "giving up after ")) {
    return fmt::format("state={} retransmits={} response=none", state_, wordAfter(m, "giving up after "));
  }
  if (startsWith(m, "selected proposal: ")) {
    return fmt::format("state={} proposal={}", state_, m.substr(std::string_view("selected proposal: ").size()));
  }
  if (startsWith(m, "received ") && m.find(" notify, no CHILD_SA built") != std::string_view::npos) {
    childNotify_ = wordAfter(m, "received ");
    lastFailure_ = std::string(m);
    return fmt::format("state={} notify={} ipsec-sa=none", state_, childNotify_);
  }
  if (startsWith(m, "received ") && m.find(" notify error") != std::string_view::npos) {
    ikeNotify_ = wordAfter(m, "received ");
    lastFailure_ = std::string(m);
    return fmt::format("state={} notify={}", state_, ikeNotify_);
  }
  if (m.find("MAC mismatched") != std::string_view::npos ||
      (startsWith(m, "authentication of ") && m.find(" failed") != std::string_view::npos)) {
    // We do not accept the peer's authentication (its key differs).
    ikeNotify_ = "AUTHENTICATION_FAILED";
    lastFailure_ = std::string(m);
    return fmt::format("state={} auth=failed", state_);
  }
  if (startsWith(m, "IKE_SA ") && m.find(" established between ") != std::string_view::npos) {
    ikeUp_ = true;
    return fmt::format("isakmp-sa=established id={}", saId(m, '[', ']'));
  }
  if (startsWith(m, "CHILD_SA ") && m.find(" established with ") != std::string_view::npos) {
    return fmt::format("ipsec-sa=established id={}", saId(m, '{', '}'));
  }
  if (startsWith(m, "received DELETE for IKE_SA")) {
    if (ikeUp_) ikeLost_ = true;
    lastFailure_ = std::string(m);
    return fmt::format("state={} rcvd=DELETE", state_);
  }
  if (startsWith(m, "error writing to socket") || startsWith(m, "sending packet failed")) {
    sendFailed_ = true;
    lastFailure_ = std::string(m);
    return std::nullopt;
  }
  // A notify above says more than charon's summary after it.
  if ((m.find("failed") != std::string_view::npos && ikeNotify_.empty() && childNotify_.empty()) ||
      m.find("giving up") != std::string_view::npos) {
    lastFailure_ = std::string(m);
  }
  return std::nullopt;
}

// IKEv1's exchanges as the states of the reference's IKEv1 lines (pluto's
// names, reference 11.4.3.3): the n-th request we send in Main Mode,
// Aggressive Mode or Quick Mode enters main-i<n>, aggr-i<n>, quick-i<n>;
// the answer to the third Main Mode request completes phase 1, main-i4; as
// in pluto, the responder's answer in Aggressive and Quick Mode enters
// aggr-i2 and quick-i2 (the reference's newstate=quick-i2 before
// ipsec-sa=established), and the request that follows it stays there.
// Mode configuration (TRANSACTION) is modecfg-i<n>.
std::optional<std::string> SynupDiagnosis::ikev1Request(const std::string& exchange) {
  static const std::map<std::string, std::string, std::less<>> kModes = {
      {"ID_PROT", "main"}, {"AGGRESSIVE", "aggr"}, {"QUICK_MODE", "quick"}, {"TRANSACTION", "modecfg"}};
  auto mode = kModes.find(exchange);
  if (mode == kModes.end()) return std::nullopt;
  int& sent = ikev1Modes_[exchange];
  ++sent;
  std::string next = fmt::format("{}-i{}", mode->second, sent);
  if (next == state_) return fmt::format("state={} send={}", state_, exchange);
  state_ = std::move(next);
  return fmt::format("newstate={} send={}", state_, exchange);
}

std::string SynupDiagnosis::ikev1Response(const std::string& exchange) {
  int sent = ikev1Modes_[exchange];
  std::string next;
  if (exchange == "ID_PROT" && sent == 3) next = "main-i4";
  if ((exchange == "QUICK_MODE" || exchange == "AGGRESSIVE") && sent == 1) {
    next = exchange == "QUICK_MODE" ? "quick-i2" : "aggr-i2";
  }
  if (next.empty()) return fmt::format("state={} rcvd={}", state_, exchange);
  state_ = std::move(next);
  return fmt::format("newstate={} rcvd={}", state_, exchange);
}

SynupDiagnosis::Verdict SynupDiagnosis::verdict(std::string_view error, bool timedOut) const {
  if (error.empty()) return {};
  std::string why = fmt::format("charon: {}", lastFailure_.empty() ? std::string(error) : lastFailure_);
  if (ikeNotify_ == "NO_PROPOSAL_CHOSEN") {
    // The peer's charon answers so both to proposals it does not accept and
    // when it has no IKE configuration for our address at all.
    return {"EVDIFFALG1", fmt::format("The peer accepts none of the IKE SA proposals ({}).", why)};
  }
  if (childNotify_ == "NO_PROPOSAL_CHOSEN") {
    return {"EVDIFFALG2", fmt::format("The peer accepts none of the IPsec SA proposals ({}).", why)};
  }
  if (ikeNotify_ == "AUTHENTICATION_FAILED") {
    // charon's peer answers AUTHENTICATION_FAILED both when no connection
    // of its own matches our identities and when the key differs.
    return {"EVPEERNOENT1",
            fmt::format("The peer knows no connection matching this one's identities and key ({}).", why)};
  }
  if (!childNotify_.empty()) {
    return {"EVPEERNOENT2", fmt::format("The peer knows no tunnel matching this one ({}).", why)};
  }
  if (ikeLost_) {
    return {"ESYNVPN001", fmt::format("The connection was established, then interrupted ({}).", why)};
  }
  if (!heard_) {
    return {"EVTOUT1RESP", fmt::format("The peer did not answer the first message ({}).", why)};
  }
  if (timedOut || lastFailure_.find("giving up") != std::string::npos) {
    return {"EVTOUTWRESP", fmt::format("The peer stopped answering ({}).", why)};
  }
  // An error notify or a failure none of the above names: the reference's
  // codes for a peer that does not accept the connection, by phase.
  if (ikeUp_) return {"EVPEERNOENT2", fmt::format("The peer did not accept the tunnel ({}).", why)};
  return {"EVPEERNOENT1", fmt::format("The peer did not accept the connection ({}).", why)};
}

vici::Message withoutStart(const vici::Message& conn) {
  vici::Message out;
  for (const vici::Message::Entry& e : conn.entries()) {
    switch (e.kind) {
      case vici::Message::Kind::Value:
        out.add(e.name, e.name == "start_action" ? std::string_view("none") : std::string_view(e.value));
        break;
      case vici::Message::Kind::List: out.addList(e.name, e.items); break;
      case vici::Message::Kind::Section: out.addSection(e.name, withoutStart(e.section)); break;
    }
  }
  return out;
}

// ---- the runs

struct Synups::Run {
  std::uint64_t key = 0;
  std::string id, name, gateway;
  SynupLine line;  // null once the client went away
  std::string lines;  // everything said, for the diagnostics
  std::string ip, via;
  std::vector<std::string> tunnels;
  std::size_t tunnel = 0;  // the one being initiated
  int ikeVersion = 2;
  bool activatedHere = false;
  bool waitingArm = false;
  runtime::Timers::Id armTimer = 0;
  SynupDiagnosis diagnosis;
};

Synups::Synups(runtime::Timers& timers, Host host, Options options)
    : timers_(timers), host_(std::move(host)), options_(options) {}

Synups::~Synups() {
  for (auto& [key, run] : runs_) timers_.cancel(run->armTimer);
}

bool Synups::running(const std::string& id) const {
  return std::any_of(runs_.begin(), runs_.end(), [&id](const auto& r) { return r.second->id == id; });
}

std::string Synups::diagnostics() const {
  std::string out;
  for (const std::string& run : kept_) out += "\n" + run;
  return out;
}

namespace {

void say(Synups::Run& run, const std::string& text, bool last = false) {
  std::string line = text + "\n";
  run.lines += line;
  if (run.line) run.line(std::move(line), last);
}

}  // namespace

// The steps of one run, as functions of the run and the Synups that owns it.
class SynupSteps {
 public:
  static void resolved(Synups& s, Synups::Run& run, Result<std::vector<std::string>> addresses);
  static void armedOrNot(Synups& s, Synups::Run& run);
  static void initiate(Synups& s, Synups::Run& run);
  static void fail(Synups& s, Synups::Run& run, std::string_view code, const std::string& msg);
  static std::string up(const Synups& s) { return uptimeText(s.env_.uptime()); }
};

std::function<void()> Synups::start(const std::string& id, SynupLine line) {
  std::optional<ConnectionStatus> status = host_.status(id);
  if (!status) {
    line(fmt::format("F ENOENT msg=No VPN connection has the row id {}.\n", id), true);
    return [] {};
  }
  if (running(id)) {
    line(fmt::format("F EBUSY msg=A synup of {} is under way.\n", status->name), true);
    return [] {};
  }
  if (!env_.uptime || !env_.now || !env_.timeLetter || !env_.hostname || !env_.resolve || !env_.route) {
    // A composition root that forgot setEnvironment: a bug, said plainly.
    line("F EBUSY msg=synup is not set up in this core (no environment).\n", true);
    return [] {};
  }
  auto run = std::make_shared<Run>();
  run->key = next_++;
  run->id = id;
  run->name = status->name;
  run->gateway = status->remoteGateway;
  run->ikeVersion = status->ikeVersion;
  run->line = std::move(line);
  for (const TunnelStatus& t : status->tunnels) run->tunnels.push_back(t.id);
  runs_[run->key] = run;
  std::string serial = env_.serial;
  std::replace(serial.begin(), serial.end(), ' ', '_');
  say(*run, fmt::format("P synup name={}", run->name));
  say(*run, fmt::format("P deviceinfo uptime={} tstamp={} serial={} hostname={}", SynupSteps::up(*this),
                        tstampText(env_.now(), env_.timeLetter()), serial, env_.hostname()));
  say(*run, fmt::format("P vpnconn uptime={} id={} gw={}", SynupSteps::up(*this), run->id, run->gateway));
  std::weak_ptr<Run> weak = run;
  env_.resolve(run->gateway, [this, weak](Result<std::vector<std::string>> addresses) {
    if (auto r = weak.lock()) SynupSteps::resolved(*this, *r, std::move(addresses));
  });
  return [this, weak] {
    auto r = weak.lock();
    if (!r || !r->line) return;
    r->line = nullptr;
    r->lines += "(the client went away; the attempt is withdrawn)\n";
    finish(*r);
  };
}

void SynupSteps::resolved(Synups& s, Synups::Run& run, Result<std::vector<std::string>> addresses) {
  if (!addresses || addresses->empty()) {
    return fail(s, run, "EVLOOKUPGW",
                fmt::format("The host name {} could not be resolved: {}.", run.gateway,
                            addresses ? std::string("no IPv4 address") : addresses.error()));
  }
  run.ip = addresses->front();
  say(run, fmt::format("P dnslookup uptime={} ip={}", up(s), run.ip));
  Result<RouteInfo> route = s.env_.route(run.ip);
  if (!route) return fail(s, run, "EVLOOKUPROUT", fmt::format("No route to {}: {}.", run.ip, route.error()));
  run.via = route->via;
  say(run, fmt::format("P routeinfo uptime={} via={}({}) ifstate={}", up(s), route->via, route->source,
                       route->up ? "up" : "error"));
  if (!route->up) {
    return fail(s, run, "EVIFDOWN", fmt::format("The interface {} has no uplink.", route->via));
  }
  std::optional<ConnectionStatus> status = s.host_.status(run.id);
  if (!status) return fail(s, run, "ENOENT", "The VPN connection was deleted meanwhile.");
  if (status->activated && status->state() == VpnState::Active) {
    say(run, fmt::format("R OKVACT uptime={} msg=The connection was already established.", up(s)), true);
    return s.finish(run);
  }
  if (!status->activated) {
    if (Status a = s.host_.activate(run.id); !a) return fail(s, run, "EINVAL", a.message());
    run.activatedHere = true;
  }
  run.waitingArm = true;
  std::uint64_t key = run.key;
  Synups* self = &s;
  run.armTimer = s.timers_.after(s.options_.armTimeout, [self, key] {
    auto it = self->runs_.find(key);
    if (it == self->runs_.end() || !it->second->waitingArm) return;
    it->second->armTimer = 0;
    fail(*self, *it->second, "EBUSY",
         fmt::format("charon did not take the connection within {} s.",
                     std::chrono::duration_cast<std::chrono::seconds>(self->options_.armTimeout).count()));
  });
  armedOrNot(s, run);
}

void SynupSteps::armedOrNot(Synups& s, Synups::Run& run) {
  if (!run.waitingArm || !s.runs_.contains(run.key)) return;
  std::optional<ConnectionStatus> status = s.host_.status(run.id);
  if (!status) return fail(s, run, "ENOENT", "The VPN connection was deleted meanwhile.");
  if (!status->error.empty()) {
    return fail(s, run, "EINVAL", fmt::format("The VPN connection {} cannot be started: {}.", run.name, status->error));
  }
  if (!status->armed || !s.host_.client()) return;
  run.waitingArm = false;
  s.timers_.cancel(run.armTimer);
  run.armTimer = 0;
  initiate(s, run);
}

void SynupSteps::initiate(Synups& s, Synups::Run& run) {
  ViciClient* client = s.host_.client();
  if (!client) return fail(s, run, "EBUSY", "charon went away.");
  const std::string& child = run.tunnels.at(run.tunnel);
  auto args = vici::Message{}
                  .add("child", child)
                  .add("ike", run.id)
                  .add("timeout", std::to_string(s.options_.initiateTimeout.count()))
                  .add("loglevel", "1");
  std::uint64_t key = run.key;
  Synups* self = &s;
  auto onLog = [self, key](const vici::Message& m) {
    auto it = self->runs_.find(key);
    if (it == self->runs_.end()) return;
    Synups::Run& r = *it->second;
    std::optional<std::string> fields = r.diagnosis.feed(m.valueOr("msg", ""));
    if (!fields) return;
    if (fields->starts_with("ipsec-sa=established")) {
      *fields += fmt::format(" msg=IPsec SA {} out of {} is established on this side.", r.tunnel + 1, r.tunnels.size());
    }
    say(r, fmt::format("P IKEv{} uptime={} {}", r.ikeVersion, up(*self), *fields));
  };
  client->streamRequest("initiate", std::move(args), "control-log", onLog, [self, key](Result<vici::Message> reply) {
    auto it = self->runs_.find(key);
    if (it == self->runs_.end()) return;
    Synups::Run& r = *it->second;
    if (!reply) return fail(*self, r, "EBUSY", fmt::format("charon did not answer: {}.", reply.error()));
    std::string error = responseError(*reply);
    if (error.empty() && ++r.tunnel < r.tunnels.size()) {
      r.diagnosis.nextTunnel();
      return initiate(*self, r);
    }
    if (error.empty()) {
      say(r, fmt::format("R OKVUP uptime={} msg=The connection is established on this side.", up(*self)), true);
      return self->finish(r);
    }
    bool timedOut = error.find("not established after") != std::string::npos;
    SynupDiagnosis::Verdict v = r.diagnosis.verdict(error, timedOut);
    if (v.code == "EVTOUT1RESP") {
      say(r, fmt::format("P ikeping uptime={} to={}:500 via={} response={}", up(*self), r.ip, r.via,
                         r.diagnosis.sendFailed() ? "error" : "no"));
    }
    fail(*self, r, v.code, v.msg);
  });
}

void SynupSteps::fail(Synups& s, Synups::Run& run, std::string_view code, const std::string& msg) {
  run.waitingArm = false;
  say(run, fmt::format("F {} uptime={} msg={}", code, up(s), msg), true);
  s.finish(run);
}

// The run ends: what it activated and did not establish is withdrawn, its
// lines are kept.
void Synups::finish(Run& run) {
  auto keep = runs_.find(run.key);
  if (keep == runs_.end()) return;
  std::shared_ptr<Run> alive = keep->second;  // `run` lives until the end of this function
  runs_.erase(keep);
  timers_.cancel(run.armTimer);
  bool established = run.lines.find("\nR OK") != std::string::npos;
  if (run.activatedHere && !established) host_.deactivate(run.id);
  kept_.push_back(std::move(run.lines));
  while (kept_.size() > options_.keep) kept_.pop_front();
}

void Synups::changed() {
  std::vector<std::shared_ptr<Run>> waiting;
  for (auto& [key, run] : runs_) {
    if (run->waitingArm) waiting.push_back(run);
  }
  for (auto& run : waiting) SynupSteps::armedOrNot(*this, *run);
}

}  // namespace bulwark::ipsec
