#include "vpn/ipsec/ipsec_module.hpp"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "common/replace_file.hpp"
#include "pki/store.hpp"
#include "vpn/ipsec/credentials.hpp"

namespace bulwark::ipsec {

namespace {

constexpr std::string_view kTag = "ipsec";

// charon's words for an establishment that failed (its IKE group, at the
// control level), as in "received AUTHENTICATION_FAILED notify error",
// "giving up after 5 retransmissions", "received TS_UNACCEPTABLE notify, no
// CHILD_SA built", "tried 1 shared key for 'a' - 'b', but MAC mismatched".
bool reportsFailure(std::string_view message) {
  for (std::string_view words : {"failed", "notify error", "error notify", "giving up", "not responding",
                                 "no CHILD_SA built", "MAC mismatched"}) {
    if (message.find(words) != std::string_view::npos) return true;
  }
  return false;
}

// What the preconditions of reference 11.3.1 and the restriction of 11.3.2
// on "Connection startup = Wait" say of switching `c` at run time.
Status switchable(const Connection& c) {
  if (c.enabled) {
    return Error{fmt::format("The VPN connection {} is enabled in the configuration; only a disabled connection is "
                             "switched on and off this way (reference 11.3.1).",
                             c.name)};
  }
  if (c.tunnels.empty()) {
    return Error{fmt::format("The VPN connection {} has no tunnel (reference 11.3.1).", c.name)};
  }
  if (!c.initiates()) {
    return Error{fmt::format("The VPN connection {} waits for its peer (CONNECTION_STARTUP wait), which cannot be "
                             "switched this way (reference 11.3.2).",
                             c.name)};
  }
  return {};
}

std::string joined(const std::vector<std::string>* items) {
  std::string out;
  if (!items) return out;
  for (const std::string& item : *items) out += (out.empty() ? "" : ",") + item;
  return out;
}

}  // namespace

IpsecModule::IpsecModule(boost::asio::io_context& io, runtime::Timers& timers, const runtime::Clock& clock,
                         runtime::EventBus& bus, log::Log& log, init::Supervisor& supervisor, Options options)
    : io_(io),
      timers_(timers),
      clock_(clock),
      bus_(bus),
      log_(log),
      supervisor_(supervisor),
      options_(std::move(options)),
      synups_(timers, synupHost(), options_.synup) {
  bus.subscribe<init::ServiceStateChanged>(std::bind_front(&IpsecModule::charonStateChanged, this));
}

// Synup activates without charon's own start (load() sees the run), so that
// its initiate, and the control-log of it, are the whole attempt.
Synups::Host IpsecModule::synupHost() {
  return {[this](const std::string& id) -> std::optional<ConnectionStatus> {
            const Connection* c = configured(id);
            return c ? std::optional(statusOf(*c)) : std::nullopt;
          },
          [this](const std::string& id) { return activate(id); },
          [this](const std::string& id) { deactivate(id); },
          [this] { return charonConnected() ? client_.get() : nullptr; }};
}

std::function<void()> IpsecModule::synup(const std::string& id, SynupLine line) {
  const Connection* c = configured(id);
  if (!c) {
    line(fmt::format("F ENOENT msg=No VPN connection has the row id {}.\n", id), true);
    return [] {};
  }
  if (Status s = switchable(*c); !s) {
    line(fmt::format("F EINVAL msg={}\n", s.message()), true);
    return [] {};
  }
  return synups_.start(id, std::move(line));
}

IpsecModule::~IpsecModule() {
  for (auto& [key, waiter] : waiters_) timers_.cancel(waiter.timer);
}

Status IpsecModule::start(const config::Snapshot& snapshot) {
  apply(*snapshot);
  return {};
}

Status IpsecModule::reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) {
  if (diff.touches("VPN_CONNECTION")) {
    if (std::string why = configurationError(connectionsOf(*snapshot)); !why.empty()) return Error{why};
  }
  // The certificate tables: a connection's certificates are part of it.
  if (diff.touches("VPN_CONNECTION") || diff.touches("CA_CERTIFICATES") || diff.touches("MACHINE_CERTIFICATES") ||
      diff.touches("CRLS") || diff.touches("REMOTE_CERTIFICATES")) {
    apply(*snapshot);
  }
  return {};
}

// The connection as this charon can have it: without kernel ESP, the
// kernel's acquire that a trap waits for never comes (kernel-libipsec), so
// initiate-on-traffic is initiated at once, and said so.
Connection IpsecModule::forThisCharon(const Connection& c) const {
  if (c.startup != Startup::OnTraffic || options_.kernelEsp) return c;
  log_.write(kTag, fmt::format("connection {}: initiate-on-traffic needs kernel ESP; with ESP in user space "
                               "(kernel-libipsec) traffic does not start a connection, so it is initiated at once",
                               c.name));
  Connection out = c;
  out.startup = Startup::Initiate;
  return out;
}

void IpsecModule::stop() {
  // The supervisor has stopped charon by now; nothing is unloaded.
  client_.reset();
}

void IpsecModule::apply(const config::Config& config) {
  configured_ = connectionsOf(config);
  resolveMachineCertificates(configured_, options_.dataDir);
  // An activation ends with its row, and is moot once the row is enabled.
  std::erase_if(activated_, [this](const std::string& id) {
    const Connection* c = configured(id);
    return !c || c->enabled;
  });
  plan(true);
}

// What charon should have: the wanted connections it can be given. The
// others are said, with the reason, when `sayWhy` (once per change of the
// configuration). Without any, charon stops once the unloads before it have
// been handled.
void IpsecModule::plan(bool sayWhy) {
  desired_.clear();
  for (const Connection& c : configured_) {
    if (!c.enabled && !activated_.contains(c.id)) continue;
    if (std::string why = unsupportedReason(c); !why.empty()) {
      if (sayWhy) log_.write(kTag, fmt::format("connection {} not loaded: {}", c.name, why));
      continue;
    }
    if (!options_.ownsNetwork) {
      if (sayWhy) {
        log_.write(kTag, fmt::format("connection {} not started: the core shares the host's network (it is neither "
                                     "PID 1 nor in a network namespace of its own)",
                                     c.name));
      }
      continue;
    }
    desired_.emplace(c.id, c);
  }
  if (!desired_.empty()) runCharon(true);
  bool sent = reconcile();
  if (desired_.empty()) {
    // VICI answers in order: once charon has answered `version`, it has
    // handled the terminates and unloads queued before.
    if (!sent) {
      runCharon(false);
    } else {
      client_->request("version", {}, [this](Result<vici::Message>) {
        if (!desired_.empty()) return;
        runCharon(false);
        changed();  // no SA is left
      });
    }
  }
  changed();
}

void IpsecModule::runCharon(bool wanted) {
  if (wanted == declared_) return;
  declared_ = wanted;
  if (!wanted) {
    client_.reset();
    loaded_.clear();
    crlsGiven_.clear();
    armed_.clear();
    sas_.clear();
    supervisor_.remove("charon");
    log_.write(kTag, "no IPsec connection is enabled: charon stopped");
    return;
  }
  CharonSettings settings{viciSocket(), options_.kernelEsp};
  auto conf = options_.runDir / "strongswan.conf";
  if (Status s = replaceFile(conf, strongswanConf(settings), 0644); !s) {
    log_.write(kTag, s.message());
    declared_ = false;
    return;
  }
  std::error_code ignored;
  std::filesystem::remove(settings.viciSocket, ignored);  // a socket of an earlier run is not charon's readiness
  log_.write(kTag, fmt::format("starting charon ({})", options_.kernelEsp ? "kernel ESP"
                                                                          : "ESP in user space: kernel-libipsec"));
  if (Status s = supervisor_.update(charonService(conf, settings)); !s) {
    log_.write(kTag, s.message());
    declared_ = false;
  }
}

void IpsecModule::charonStateChanged(const init::ServiceStateChanged& change) {
  if (change.name != "charon") return;
  if (bool failed = change.state == init::ServiceState::Failed; failed != charonFailed_) {
    charonFailed_ = failed;
    changed();
  }
  if (change.state != init::ServiceState::Running || !declared_ || client_) return;
  ViciClient::Options options{
      viciSocket(), {"ike-updown", "child-updown", "ike-rekey", "child-rekey", "log"}, options_.viciTimeout};
  client_ = std::make_unique<ViciClient>(
      io_, timers_, log_, std::move(options),
      ViciClient::Callbacks{std::bind_front(&IpsecModule::onCharonConnected, this),
                            std::bind_front(&IpsecModule::charonDisconnected, this),
                            std::bind_front(&IpsecModule::charonEvent, this)});
  client_->start();
}

void IpsecModule::onCharonConnected() {
  // A charon we (re)connect to has nothing of ours: everything is loaded.
  listings_.clear();
  recentSaEvents_.clear();
  loaded_.clear();
  crlsGiven_.clear();
  armed_.clear();
  sas_.clear();
  reconcile();
  refresh({});
}

void IpsecModule::charonDisconnected(const std::string&) {
  loaded_.clear();
  crlsGiven_.clear();
  armed_.clear();
  sas_.clear();
  changed();
}

// Whether anything was sent.
bool IpsecModule::reconcile() {
  if (!client_ || !client_->connected()) return false;
  bool sent = false;
  for (auto it = loaded_.begin(); it != loaded_.end();) {
    auto next = std::next(it);
    if (!desired_.contains(it->first)) {
      unload(it->first);
      sent = true;
    }
    it = next;
  }
  // charon keeps a CRL it was given until its credentials are cleared: when
  // one goes, they are, and every connection's credentials are given again.
  std::set<std::string> wantedCrls;
  for (const auto& [id, c] : desired_) wantedCrls.insert(c.x509.crls.begin(), c.x509.crls.end());
  bool crlGone = std::any_of(crlsGiven_.begin(), crlsGiven_.end(),
                             [&](const std::string& crl) { return !wantedCrls.contains(crl); });
  if (crlGone) {
    crlsGiven_.clear();
    client_->request("clear-creds", {}, [this](Result<vici::Message> r) {
      std::string error = r ? responseError(*r) : r.error();
      if (!error.empty()) log_.write(kTag, "charon did not clear its credentials: " + error);
    });
    log_.write(kTag, "a CRL was removed: charon's credentials are given again");
  }
  for (const auto& [id, c] : desired_) {
    auto it = loaded_.find(id);
    if (crlGone || it == loaded_.end() || !(it->second == c)) {
      load(c);
      sent = true;
    }
  }
  return sent;
}

void IpsecModule::load(const Connection& c) {
  auto before = loaded_.find(c.id);
  // charon neither changes nor unloads a pool with online leases: the peers
  // holding them are ended first (they come back with the new pool).
  if (before != loaded_.end() && before->second.modeConfig.server &&
      (!c.modeConfig.server || before->second.modeConfig.pool != c.modeConfig.pool)) {
    std::string name = c.name;
    client_->request("terminate", vici::Message{}.add("ike", c.id).add("force", "yes").add("timeout", "2000"),
                     [this, name](Result<vici::Message> r) {
                       std::string error = r ? responseError(*r) : r.error();
                       if (!error.empty() && error.find("no matching") == std::string::npos) {
                         log_.write(kTag, fmt::format("connection {}: ending its peers before its pool changes "
                                                      "failed: {}",
                                                      name, error));
                       }
                     });
  }
  syncPool(before == loaded_.end() ? nullptr : &before->second, &c);
  loaded_[c.id] = c;
  refused_.erase(c.id);
  std::string id = c.id, name = c.name;
  if (c.auth == AuthMethod::Psk) {
    client_->request("load-shared", loadSharedMessage(c), [this, name](Result<vici::Message> r) {
      std::string error = r ? responseError(*r) : r.error();
      if (!error.empty()) log_.write(kTag, fmt::format("connection {}: charon refused its key: {}", name, error));
    });
  } else {
    loadCredentials(c);
    crlsGiven_.insert(c.x509.crls.begin(), c.x509.crls.end());
  }
  vici::Message conn = loadConnMessage(forThisCharon(c));
  if (synups_.running(c.id)) conn = withoutStart(conn);
  client_->request("load-conn", std::move(conn), [this, id, name](Result<vici::Message> r) {
    std::string error = r ? responseError(*r) : r.error();
    if (error.empty()) {
      if (loaded_.contains(id)) armed_.insert(id);
      log_.write(kTag, fmt::format("connection {} loaded", name));
      return changed();
    }
    log_.write(kTag, fmt::format("connection {}: charon refused it: {}", name, error));
    loaded_.erase(id);  // tried again at the next change or reconnect
    armed_.erase(id);
    refused_[id] = fmt::format("charon refused it: {}", error);
    changed();
  });
}

// The certificates and the key, before the connection that needs them. The
// key is read here and dropped once sent.
void IpsecModule::loadCredentials(const Connection& c) {
  std::string name = c.name;
  auto identity = pki::loadMachineIdentity(options_.dataDir, c.x509.localCertRef);
  if (!identity) {
    log_.write(kTag, fmt::format("connection {}: its machine certificate is not usable: {}", name, identity.error()));
    return;  // load-conn then fails for want of the key, and says so
  }
  for (ViciRequest& request : credentialRequests(c, identity->privateKeyPem)) {
    client_->request(request.command, std::move(request.message),
                     [this, name, what = request.what](Result<vici::Message> r) {
                       std::string error = r ? responseError(*r) : r.error();
                       if (!error.empty()) {
                         log_.write(kTag, fmt::format("connection {}: charon refused {}: {}", name, what, error));
                       }
                     });
  }
}

// Its SAs are deleted first (charon keeps them when only the configuration
// goes), waiting up to 2 s for the peer to confirm. `id` is a copy: the
// caller's may be the key of loaded_ erased here.
void IpsecModule::unload(std::string id) {
  Connection gone = loaded_.at(id);
  std::string name = gone.name;
  loaded_.erase(id);
  armed_.erase(id);
  refused_.erase(id);
  client_->request("terminate", vici::Message{}.add("ike", id).add("timeout", "2000"),
                   [this, name](Result<vici::Message> r) {
                     std::string error = r ? responseError(*r) : r.error();
                     // charon says so when there was nothing to terminate.
                     if (!error.empty() && error.find("no matching") == std::string::npos) {
                       log_.write(kTag, fmt::format("connection {}: terminating failed: {}", name, error));
                     }
                   });
  client_->request("unload-conn", vici::Message{}.add("name", id), [this, name](Result<vici::Message> r) {
    std::string error = r ? responseError(*r) : r.error();
    log_.write(kTag, error.empty() ? fmt::format("connection {} unloaded", name)
                                   : fmt::format("connection {}: unloading failed: {}", name, error));
  });
  client_->request("unload-shared", vici::Message{}.add("id", id), [](Result<vici::Message>) {});
  syncPool(&gone, nullptr);
}

// A mode configuration server's pool, loaded before the connection that
// names it and unloaded after the connection (charon keeps a pool with
// leases). `before` is what charon was given, `now` what it is to have.
void IpsecModule::syncPool(const Connection* before, const Connection* now) {
  bool had = before && before->modeConfig.server, has = now && now->modeConfig.server;
  const Connection& c = now ? *now : *before;
  std::string name = c.name;
  if (has && (!had || before->modeConfig.pool != now->modeConfig.pool)) {
    client_->request("load-pool", loadPoolMessage(c), [this, name](Result<vici::Message> r) {
      std::string error = r ? responseError(*r) : r.error();
      if (!error.empty()) log_.write(kTag, fmt::format("connection {}: charon refused its pool: {}", name, error));
    });
  }
  if (had && !has) {
    client_->request("unload-pool", vici::Message{}.add("name", c.id), [this, name](Result<vici::Message> r) {
      std::string error = r ? responseError(*r) : r.error();
      if (!error.empty()) log_.write(kTag, fmt::format("connection {}: unloading its pool failed: {}", name, error));
    });
  }
}

// "plant (MAIv…)" for a row id charon names, or the id alone.
std::string IpsecModule::label(const std::string& id) const {
  if (auto it = desired_.find(id); it != desired_.end()) return it->second.name;
  if (auto it = loaded_.find(id); it != loaded_.end()) return it->second.name;
  return id;
}

void IpsecModule::charonEvent(const std::string& event, const vici::Message& message) {
  if (event == "log") return charonLog(message);
  if (event == "ike-updown" || event == "child-updown") logSaEvent(event, message);
  sas_.apply(event, message, clock_.uptime());
  ++saEvents_;
  if (!listings_.empty()) recentSaEvents_.push_back({saEvents_, {event, message}});
  changed();
}

void IpsecModule::logSaEvent(const std::string& event, const vici::Message& message) {
  bool up = message.valueOr("up", "no") == "yes";
  for (const vici::Message::Entry& ike : message.entries()) {
    if (ike.kind != vici::Message::Kind::Section) continue;
    std::string name = label(ike.name);
    if (event == "ike-updown") {
      log_.write(kTag, up ? fmt::format("connection {}: IKE SA established with {}", name,
                                        ike.section.valueOr("remote-host", "?"))
                          : fmt::format("connection {}: IKE SA down", name));
      continue;
    }
    const vici::Message* children = ike.section.section("child-sas");
    if (!children) continue;
    for (const vici::Message::Entry& child : children->entries()) {
      if (child.kind != vici::Message::Kind::Section) continue;
      log_.write(kTag, fmt::format("connection {}: tunnel {} === {} {}", name,
                                   joined(child.section.list("local-ts")), joined(child.section.list("remote-ts")),
                                   up ? "up" : "down"));
    }
  }
}

// A failure charon reports for an IKE SA of ours, once per IKE SA.
void IpsecModule::charonLog(const vici::Message& message) {
  const Connection* c = configured(std::string(message.valueOr("ikesa-name", "")));
  std::string_view level = message.valueOr("level", "");
  if (!c || message.valueOr("group", "") != "IKE" || (level != "0" && level != "1")) return;
  std::string_view text = message.valueOr("msg", "");
  if (!reportsFailure(text)) return;
  std::uint32_t sa = 0;
  std::string_view uid = message.valueOr("ikesa-uniqueid", "0");
  std::from_chars(uid.data(), uid.data() + uid.size(), sa);
  if (failedSas_.size() > 1000) failedSas_.clear();
  if (!failedSas_.insert(sa).second) return;
  log_.write(kTag, fmt::format("connection {} failed: {}", c->name, text));
}

// Initiates the tunnels of an activated connection charon already has that
// have no CHILD_SA (the peer ended them, or charon gave up).
void IpsecModule::initiateIdle(const Connection& c) {
  ConnectionStatus status = statusOf(c);
  for (const TunnelStatus& t : status.tunnels) {
    if (t.sa) continue;
    std::string name = c.name;
    client_->request("initiate", vici::Message{}.add("child", t.id).add("ike", c.id).add("timeout", "-1"),
                     [this, name](Result<vici::Message> r) {
                       std::string error = r ? responseError(*r) : r.error();
                       if (!error.empty()) log_.write(kTag, fmt::format("connection {} failed: {}", name, error));
                     });
  }
}

const Connection* IpsecModule::configured(const std::string& id) const {
  auto it = std::find_if(configured_.begin(), configured_.end(), [&id](const Connection& c) { return c.id == id; });
  return it == configured_.end() ? nullptr : &*it;
}

std::string IpsecModule::errorOf(const Connection& c) const {
  if (std::string why = unsupportedReason(c); !why.empty()) return why;
  if (!options_.ownsNetwork) return "the core shares the host's network";
  if (auto it = refused_.find(c.id); it != refused_.end()) return it->second;
  if (charonFailed_) return "charon failed";
  return "";
}

ConnectionStatus IpsecModule::statusOf(const Connection& c) const {
  ConnectionStatus s;
  s.id = c.id;
  s.name = c.name;
  s.enabled = c.enabled;
  s.activated = activated_.contains(c.id);
  s.initiates = c.initiates();
  s.ikeVersion = c.ikeVersion;
  s.armed = armed_.contains(c.id);
  if (s.wanted()) s.error = errorOf(c);
  s.remoteGateway = c.remoteGateway;
  std::vector<const IkeSa*> sas = sas_.of(c.id);
  if (!sas.empty()) s.ike = *sas.front();
  for (const IkeSa* sa : sas) s.sas.push_back(*sa);
  for (const Tunnel& t : c.tunnels) {
    TunnelStatus ts{t.id, t.localNet, t.remoteNet, std::nullopt};
    for (const IkeSa* sa : sas) {
      for (const ChildSa& child : sa->children) {
        if (child.name != t.id || (ts.sa && (ts.sa->established() || !child.established()))) continue;
        ts.sa = child;
      }
    }
    s.tunnels.push_back(std::move(ts));
  }
  return s;
}

std::vector<ConnectionStatus> IpsecModule::connections() const {
  std::vector<ConnectionStatus> out;
  for (const Connection& c : configured_) out.push_back(statusOf(c));
  return out;
}

// What changed is published; whoever waits for SAs to go is told.
void IpsecModule::changed() {
  std::set<std::string> seen;
  for (const ConnectionStatus& s : connections()) {
    seen.insert(s.id);
    VpnStateChanged now{s.id, s.name, s.state(), s.establishedTunnels(), s.tunnels.size()};
    auto it = published_.find(s.id);
    if (it != published_.end() && it->second.state == now.state && it->second.tunnelsUp == now.tunnelsUp &&
        it->second.tunnels == now.tunnels && it->second.name == now.name) {
      continue;
    }
    published_[s.id] = now;
    bus_.publish(now);
  }
  for (auto it = published_.begin(); it != published_.end();) {
    if (seen.contains(it->first)) {
      ++it;
      continue;
    }
    bus_.publish(VpnStateChanged{it->first, it->second.name, VpnState::Void, 0, 0});
    it = published_.erase(it);
  }
  std::vector<std::function<void(bool)>> gone;
  for (auto it = waiters_.begin(); it != waiters_.end();) {
    if (!sas_.of(it->second.id).empty()) {
      ++it;
      continue;
    }
    timers_.cancel(it->second.timer);
    gone.push_back(std::move(it->second.done));
    it = waiters_.erase(it);
  }
  for (auto& done : gone) done(true);
  synups_.changed();
}

void IpsecModule::refresh(std::function<void()> done) {
  if (!charonConnected()) {
    if (done) done();
    return;
  }
  auto listed = std::make_shared<std::vector<IkeSa>>();
  // Events that come while the list is made are applied again on top of
  // it: the list may have been taken before them (an SA that came up just
  // after charon listed its SAs would be lost until its next event).
  std::uint64_t since = saEvents_;
  listings_.insert(since);
  auto onSa = [this, listed](const vici::Message& message) {
    for (const vici::Message::Entry& e : message.entries()) {
      if (e.kind == vici::Message::Kind::Section) listed->push_back(ikeSaOf(e.name, e.section, clock_.uptime()));
    }
  };
  client_->streamRequest("list-sas", {}, "list-sa", onSa, [this, listed, done, since](Result<vici::Message> r) {
    if (auto it = listings_.find(since); it != listings_.end()) listings_.erase(it);
    if (r) {
      sas_.replace(*listed);
      for (const auto& [seq, event] : recentSaEvents_) {
        if (seq > since) sas_.apply(event.first, event.second, clock_.uptime());
      }
      changed();
    }
    // Only events a list still in progress may have missed are kept.
    std::uint64_t oldest = listings_.empty() ? saEvents_ : *listings_.begin();
    std::erase_if(recentSaEvents_, [oldest](const auto& e) { return e.first <= oldest; });
    if (!r) {
      log_.write(kTag, fmt::format("list-sas failed: {}", r.error()));
    }
    if (done) done();
  });
}

void IpsecModule::terminateIke(std::uint32_t ikeUniqueId, std::function<void(Status)> done) {
  if (!charonConnected()) return done(Error{"charon is not running"});
  std::string ike = std::to_string(ikeUniqueId);
  // force: deleted here without waiting for the peer's answer, so that a
  // peer that no longer answers (the case of reference 11.4.4.2) is cleared too.
  client_->request("terminate", vici::Message{}.add("ike-id", ike).add("force", "yes").add("timeout", "2000"),
                   [this, ike, done = std::move(done)](Result<vici::Message> r) {
                     std::string error = r ? responseError(*r) : r.error();
                     if (!error.empty()) log_.write(kTag, fmt::format("terminating IKE SA #{} failed: {}", ike, error));
                     refresh([done, error] { done(error.empty() ? Status{} : Status{Error{error}}); });
                   });
}

Status IpsecModule::activate(const std::string& id) {
  const Connection* c = configured(id);
  if (!c) return Error{fmt::format("No VPN connection has the row id {}.", id)};
  if (Status s = switchable(*c); !s) return s;
  if (std::string why = errorOf(*c); !why.empty() && !refused_.contains(id)) {
    return Error{fmt::format("The VPN connection {} cannot be started: {}.", c->name, why)};
  }
  bool already = !activated_.insert(id).second;
  if (!already) log_.write(kTag, fmt::format("connection {} activated", c->name));
  plan(false);
  if (already && armed_.contains(id) && charonConnected()) initiateIdle(*c);
  return {};
}

Status IpsecModule::deactivate(const std::string& id) {
  const Connection* c = configured(id);
  if (!c) return Error{fmt::format("No VPN connection has the row id {}.", id)};
  if (Status s = switchable(*c); !s) return s;
  if (activated_.erase(id) == 0) return {};
  log_.write(kTag, fmt::format("connection {} deactivated", c->name));
  plan(false);
  return {};
}

void IpsecModule::whenGone(const std::string& id, std::chrono::milliseconds timeout, std::function<void(bool)> done) {
  if (sas_.of(id).empty()) return done(true);
  std::uint64_t key = nextWaiter_++;
  runtime::Timers::Id timer = timers_.after(timeout, [this, key] {
    auto it = waiters_.find(key);
    if (it == waiters_.end()) return;
    auto waiting = std::move(it->second.done);
    waiters_.erase(it);
    waiting(false);
  });
  waiters_[key] = Waiter{id, timer, std::move(done)};
}

}  // namespace bulwark::ipsec
