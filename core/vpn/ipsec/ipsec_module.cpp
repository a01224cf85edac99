#include "vpn/ipsec/ipsec_module.hpp"

#include <fmt/format.h>

#include "common/replace_file.hpp"

namespace bulwark::ipsec {

namespace {

constexpr std::string_view kTag = "ipsec";

std::string joined(const std::vector<std::string>* items) {
  std::string out;
  if (!items) return out;
  for (const std::string& item : *items) out += (out.empty() ? "" : ",") + item;
  return out;
}

}  // namespace

IpsecModule::IpsecModule(boost::asio::io_context& io, runtime::Timers& timers, runtime::EventBus& bus, log::Log& log,
                         init::Supervisor& supervisor, Options options)
    : io_(io), timers_(timers), log_(log), supervisor_(supervisor), options_(std::move(options)) {
  bus.subscribe<init::ServiceStateChanged>(std::bind_front(&IpsecModule::charonStateChanged, this));
}

IpsecModule::~IpsecModule() = default;

Status IpsecModule::start(const config::Snapshot& snapshot) {
  apply(*snapshot);
  return {};
}

Status IpsecModule::reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) {
  if (diff.touches("VPN_CONNECTION")) apply(*snapshot);
  return {};
}

void IpsecModule::stop() {
  // The supervisor has stopped charon by now; nothing is unloaded.
  client_.reset();
}

// What charon should have: the enabled connections it can be given. The
// others are said once per change, with the reason.
void IpsecModule::apply(const config::Config& config) {
  desired_.clear();
  for (Connection& c : connectionsOf(config)) {
    if (!c.enabled) continue;
    if (std::string why = unsupportedReason(c); !why.empty()) {
      log_.write(kTag, fmt::format("connection {} not loaded: {}", c.name, why));
      continue;
    }
    if (!options_.ownsNetwork) {
      log_.write(kTag, fmt::format("connection {} not started: the core shares the host's network (it is neither "
                                   "PID 1 nor in a network namespace of its own)",
                                   c.name));
      continue;
    }
    desired_.emplace(c.id, std::move(c));
  }
  runCharon(!desired_.empty());
  reconcile();
}

void IpsecModule::runCharon(bool wanted) {
  if (wanted == declared_) return;
  declared_ = wanted;
  if (!wanted) {
    client_.reset();
    loaded_.clear();
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
  if (change.name != "charon" || change.state != init::ServiceState::Running || !declared_ || client_) return;
  ViciClient::Options options{viciSocket(), {"ike-updown", "child-updown"}, options_.viciTimeout};
  client_ = std::make_unique<ViciClient>(
      io_, timers_, log_, std::move(options),
      ViciClient::Callbacks{std::bind_front(&IpsecModule::onCharonConnected, this),
                            std::bind_front(&IpsecModule::charonDisconnected, this),
                            std::bind_front(&IpsecModule::charonEvent, this)});
  client_->start();
}

void IpsecModule::onCharonConnected() {
  // A charon we (re)connect to has nothing of ours: everything is loaded.
  loaded_.clear();
  reconcile();
}

void IpsecModule::charonDisconnected(const std::string&) { loaded_.clear(); }

void IpsecModule::reconcile() {
  if (!client_ || !client_->connected()) return;
  for (auto it = loaded_.begin(); it != loaded_.end();) {
    auto next = std::next(it);
    if (!desired_.contains(it->first)) unload(it->first);
    it = next;
  }
  for (const auto& [id, c] : desired_) {
    auto it = loaded_.find(id);
    if (it == loaded_.end() || !(it->second == c)) load(c);
  }
}

void IpsecModule::load(const Connection& c) {
  loaded_[c.id] = c;
  std::string id = c.id, name = c.name;
  client_->request("load-shared", loadSharedMessage(c), [this, name](Result<vici::Message> r) {
    std::string error = r ? responseError(*r) : r.error();
    if (!error.empty()) log_.write(kTag, fmt::format("connection {}: charon refused its key: {}", name, error));
  });
  client_->request("load-conn", loadConnMessage(c), [this, id, name](Result<vici::Message> r) {
    std::string error = r ? responseError(*r) : r.error();
    if (error.empty()) return log_.write(kTag, fmt::format("connection {} loaded", name));
    log_.write(kTag, fmt::format("connection {}: charon refused it: {}", name, error));
    loaded_.erase(id);  // tried again at the next change or reconnect
  });
}

void IpsecModule::unload(const std::string& id) {
  std::string name = loaded_.at(id).name;
  loaded_.erase(id);
  client_->request("unload-conn", vici::Message{}.add("name", id), [this, name](Result<vici::Message> r) {
    std::string error = r ? responseError(*r) : r.error();
    log_.write(kTag, error.empty() ? fmt::format("connection {} unloaded", name)
                                   : fmt::format("connection {}: unloading failed: {}", name, error));
  });
  client_->request("unload-shared", vici::Message{}.add("id", id), [](Result<vici::Message>) {});
}

// "plant (MAIv…)" for a row id charon names, or the id alone.
std::string IpsecModule::label(const std::string& id) const {
  if (auto it = desired_.find(id); it != desired_.end()) return it->second.name;
  if (auto it = loaded_.find(id); it != loaded_.end()) return it->second.name;
  return id;
}

void IpsecModule::charonEvent(const std::string& event, const vici::Message& message) {
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

}  // namespace bulwark::ipsec
