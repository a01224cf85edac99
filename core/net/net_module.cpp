#include "net/net_module.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <sys/stat.h>

#include <fstream>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "net/rtnl.hpp"

namespace bulwark::net {

std::string internalAddress(const config::Config& config) {
  const config::Value* table = config.find("INT_ADDRESSES");
  if (!table || table->rows.empty()) return {};
  auto cell = table->rows.front().fields.find("ADDRESS");
  return cell == table->rows.front().fields.end() ? std::string() : cell->second.text;
}

namespace {
constexpr const char* kBusybox = "/bin/busybox";

// "192.168.1.1/24" -> "255.255.255.0"
std::string netmaskOf(const std::string& cidr) {
  auto slash = cidr.find('/');
  unsigned prefix = slash == std::string::npos ? 32 : static_cast<unsigned>(std::stoul(cidr.substr(slash + 1)));
  std::uint32_t mask = prefix == 0 ? 0 : ~std::uint32_t(0) << (32 - prefix);
  in_addr a{htonl(mask)};
  char text[INET_ADDRSTRLEN] = {};
  inet_ntop(AF_INET, &a, text, sizeof text);
  return text;
}

}  // namespace

// The udhcpd configuration of the internal network.
std::string udhcpdConfig(const config::Config& config, const std::string& interface, const std::string& runDir) {
  std::string address = internalAddress(config);
  std::string own = address.substr(0, address.find('/'));
  std::string out = fmt::format("interface {}\n", interface);
  const config::Value* pools = config.find("DHCP_INT_POOL");
  if (pools && !pools->rows.empty()) {
    const auto& f = pools->rows.front().fields;
    auto cell = [&](const char* name) {
      auto it = f.find(name);
      return it == f.end() ? std::string() : it->second.text;
    };
    out += fmt::format("start {}\nend {}\n", cell("START"), cell("END"));
    in_addr first{}, last{};
    if (inet_pton(AF_INET, cell("START").c_str(), &first) == 1 && inet_pton(AF_INET, cell("END").c_str(), &last) == 1 &&
        ntohl(last.s_addr) >= ntohl(first.s_addr)) {
      out += fmt::format("max_leases {}\n", std::min<std::uint32_t>(ntohl(last.s_addr) - ntohl(first.s_addr) + 1, 65535));
    }
  }
  out += fmt::format("option subnet {}\noption router {}\n", netmaskOf(address), own);
  if (!config.get("DHCP_INT_DNS").empty()) out += fmt::format("option dns {}\n", config.get("DHCP_INT_DNS"));
  out += fmt::format("option lease {}\nlease_file {}/udhcpd-int.leases\npidfile {}/udhcpd-int.pid\n",
                     config.get("DHCP_INT_LEASE_TIME"), runDir, runDir);
  return out;
}

Status NetModule::applyDhcpServer(const config::Config& config) {
  const platform::Port* internal = board_.port(platform::Port::Role::Internal);
  bool wanted = internal && config.get("DHCP_INT_MODE") == "server";
  struct stat st {};
  if (wanted && stat(kBusybox, &st) != 0) {
    log_.write("net", fmt::format("the DHCP server needs {}, which this system lacks", kBusybox));
    wanted = false;
  }
  if (!wanted) {
    if (dhcpServer_) supervisor_.remove("dhcp-int");
    dhcpServer_ = false;
    return {};
  }
  auto path = runDir_ / "udhcpd-int.conf";
  {
    std::ofstream out(runDir_ / "udhcpd-int.conf.new", std::ios::trunc);
    out << udhcpdConfig(config, internal->interface, runDir_.string());
    if (!out.flush()) return Error{fmt::format("cannot write {}", path.string())};
  }
  std::error_code ec;
  std::filesystem::rename(runDir_ / "udhcpd-int.conf.new", path, ec);
  if (ec) return Error{fmt::format("cannot write {}: {}", path.string(), ec.message())};
  std::ofstream(runDir_ / "udhcpd-int.leases", std::ios::app);  // udhcpd wants it to exist
  init::ServiceSpec spec;
  spec.name = "dhcp-int";
  spec.argv = {kBusybox, "udhcpd", "-f", path.string()};
  spec.logTag = "dhcp-int";
  spec.readiness = {init::Readiness::Kind::OutputLine, "started", std::chrono::milliseconds(5000)};
  dhcpServer_ = true;
  return supervisor_.update(std::move(spec));
}

Status NetModule::applyDhcpClient(const config::Config& config) {
  const platform::Port* external = board_.port(platform::Port::Role::External);
  struct stat st {};
  bool wanted = external && config.get("ROUTER_MODE") == "dhcp" && stat(kBusybox, &st) == 0;
  if (!wanted) {
    if (dhcpClient_) supervisor_.remove("dhclient");
    dhcpClient_ = false;
    return {};
  }
  init::ServiceSpec spec;
  spec.name = "dhclient";
  // -f: in the foreground; -s: our callback; it keeps asking until a server answers.
  spec.argv = {kBusybox, "udhcpc", "-f", "-i", external->interface, "-s", "/sbin/udhcpc-event",
               "-x", "hostname:" + config.get("HOSTNAME")};
  spec.env = {"BULWARK_RUN_DIR=" + runDir_.string(), "PATH=/sbin:/bin"};
  spec.logTag = "dhclient";
  dhcpClient_ = true;
  return supervisor_.update(std::move(spec));
}

std::string NetModule::handleDhcpEvent(const std::string& request) {
  using nlohmann::json;
  json doc = json::parse(request, nullptr, false);
  auto answer = [](const Status& s) {
    return s ? json{{"ok", true}}.dump() : json{{"ok", false}, {"error", s.message()}}.dump();
  };
  if (doc.is_discarded() || !doc.is_object()) return answer(Error{"malformed DHCP event"});
  auto text = [&](const char* key) { return doc.contains(key) && doc[key].is_string() ? doc[key].get<std::string>() : ""; };
  const platform::Port* external = board_.port(platform::Port::Role::External);
  std::string interface = text("interface");
  if (!external || interface != external->interface) return answer(Error{"DHCP event for an unknown interface"});
  std::string event = text("event");
  if (event == "deconfig" || event == "leasefail" || event == "nak") {
    if (event == "deconfig" && !externalAddress_.empty()) {
      (void)removeAddress(interface, externalAddress_);
      log_.write("net", fmt::format("{} ({}): address {} given up", external->name, interface, externalAddress_));
      externalAddress_.clear();
    }
    return answer({});
  }
  if (event != "bound" && event != "renew") return answer(Error{fmt::format("unknown DHCP event '{}'", event)});
  in_addr mask{};
  if (inet_pton(AF_INET, text("subnet").c_str(), &mask) != 1) return answer(Error{"the lease has no subnet mask"});
  std::string cidr = fmt::format("{}/{}", text("ip"), __builtin_popcount(mask.s_addr));
  if (cidr != externalAddress_) {
    if (Status s = addAddress(interface, cidr); !s) return answer(s);
    if (!externalAddress_.empty()) (void)removeAddress(interface, externalAddress_);
    externalAddress_ = cidr;
  }
  std::string router = text("router");
  if (!router.empty()) {
    if (Status s = setDefaultRoute(interface, router); !s) return answer(s);
  }
  log_.write("net", fmt::format("{} ({}): address {} by DHCP, gateway {}, lease {} s", external->name, interface,
                                cidr, router.empty() ? "none" : router, text("lease")));
  return answer({});
}

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
  if (Status s = applyInternal(*snapshot); !s) return s;
  if (Status s = applyDhcpServer(*snapshot); !s) return s;
  return applyDhcpClient(*snapshot);
}

Status NetModule::reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) {
  if (board_.ports.empty()) return {};
  if (diff.touches("HOSTNAME")) applyHostname(*snapshot);
  if (diff.touches("INT_ADDRESSES")) {
    if (Status s = applyInternal(*snapshot); !s) return s;
  }
  if (diff.touches("INT_ADDRESSES") || diff.touches("DHCP_INT_MODE") || diff.touches("DHCP_INT_POOL") ||
      diff.touches("DHCP_INT_DNS") || diff.touches("DHCP_INT_LEASE_TIME")) {
    if (Status s = applyDhcpServer(*snapshot); !s) return s;
  }
  if (diff.touches("ROUTER_MODE") || diff.touches("HOSTNAME")) return applyDhcpClient(*snapshot);
  return {};
}

Status NetModule::applyInternal(const config::Config& config) {
  const platform::Port* internal = board_.port(platform::Port::Role::Internal);
  if (!internal) return {};
  std::string wanted = internalAddress(config);
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
