#include "net/net_module.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "net/rtnl.hpp"

namespace bulwark::net {

namespace {
std::string firstAddress(const config::Config& config) {
  const config::Value* table = config.find("INT_ADDRESSES");
  if (!table || table->rows.empty()) return {};
  auto cell = table->rows.front().fields.find("ADDRESS");
  return cell == table->rows.front().fields.end() ? std::string() : cell->second.text;
}
}  // namespace

void NetModule::applyHostname(const config::Config& config) {
  const std::string& name = config.get("HOSTNAME");
  if (sethostname(name.c_str(), name.size()) != 0) {
    log_.write("net", fmt::format("cannot set the host name: {}", std::strerror(errno)));
  }
}

Status NetModule::start(const config::Snapshot& snapshot) {
  if (board_.ports.empty()) return {};
  applyHostname(*snapshot);
  std::set<std::string> watched;
  for (const platform::Port& port : board_.ports) watched.insert(port.interface);
  auto links = LinkMonitor::open(io_, timers_, log_, bus_, watched);
  if (links) {
    links_ = std::move(*links);
  } else {
    log_.write("net", links.error());
  }
  if (Status s = setLinkUp("lo"); !s) log_.write("net", s.message());
  for (const platform::Port& port : board_.ports) {
    if (Status s = setLinkUp(port.interface); !s) {
      log_.write("net", fmt::format("{} ({}): {}", port.name, port.interface, s.message()));
    }
  }
  return applyInternal(*snapshot);
}

Status NetModule::reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) {
  if (board_.ports.empty()) return {};
  if (diff.touches("HOSTNAME")) applyHostname(*snapshot);
  if (!diff.touches("INT_ADDRESSES")) return {};
  return applyInternal(*snapshot);
}

Status NetModule::applyInternal(const config::Config& config) {
  const platform::Port* internal = board_.port(platform::Port::Role::Internal);
  if (!internal) return {};
  std::string wanted = firstAddress(config);
  if (wanted == internalAddress_) return {};
  if (!wanted.empty()) {
    if (Status s = addAddress(internal->interface, wanted); !s) return s;
  }
  if (!internalAddress_.empty()) (void)removeAddress(internal->interface, internalAddress_);
  log_.write("net", fmt::format("{} ({}): address {}", internal->name, internal->interface, wanted));
  internalAddress_ = wanted;
  return {};
}

}  // namespace bulwark::net
