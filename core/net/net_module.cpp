#include "net/net_module.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "common/ipv4.hpp"
#include "common/replace_file.hpp"
#include "net/rtnl.hpp"

namespace bulwark::net {

std::string internalAddress(const config::Config& config) {
  const config::Value* table = config.find("INT_ADDRESSES");
  if (!table || table->rows.empty()) return {};
  auto cell = table->rows.front().fields.find("ADDRESS");
  return cell == table->rows.front().fields.end() ? std::string() : cell->second.text;
}

bool listensEverywhere(const config::Config& config, std::string_view allowed, std::string_view rules) {
  if (config.get(allowed) == "yes") return true;
  const config::Value* table = config.find(rules);
  if (!table) return false;
  for (const config::Row& row : table->rows) {
    auto where = row.fields.find("INTERFACE");
    if (where != row.fields.end() && where->second.text == "dmz") return true;
  }
  return false;
}

namespace {
constexpr const char* kBusybox = "/bin/busybox";
constexpr const char* kDnsmasq = "/usr/sbin/dnsmasq";

// "192.168.1.1/24" -> "255.255.255.0"
std::string netmaskOf(const std::string& cidr) {
  auto p = parseIpv4Prefix(cidr);
  return ipv4Text(p ? p->mask() : ~std::uint32_t(0));
}

// The cells of one column of a table, in row order, empty cells left out.
std::vector<std::string> column(const config::Config& config, const char* table, const char* name) {
  std::vector<std::string> out;
  const config::Value* value = config.find(table);
  if (!value) return out;
  for (const auto& row : value->rows) {
    auto cell = row.fields.find(name);
    if (cell != row.fields.end() && !cell->second.text.empty()) out.push_back(cell->second.text);
  }
  return out;
}

// True when `address` lies in the network of one of the "a.b.c.d/n" entries.
bool inNetworkOf(const std::string& address, const std::vector<std::string>& cidrs) {
  auto a = parseIpv4(address);
  if (!a) return false;
  return std::any_of(cidrs.begin(), cidrs.end(), [&](const std::string& cidr) {
    auto p = parseIpv4Prefix(cidr);
    return p && p->contains(*a);
  });
}

// Puts `wanted` on the interface where `inPlace` (what we put there before)
// lacks it, then takes the others away: the new addresses come first, so
// a change of address never leaves the interface without one.
Status reconcileAddresses(const std::string& interface, const std::vector<std::string>& wanted,
                          std::vector<std::string>& inPlace) {
  for (const std::string& cidr : wanted) {
    if (std::find(inPlace.begin(), inPlace.end(), cidr) != inPlace.end()) continue;
    if (Status s = addAddress(interface, cidr); !s) return s;
    inPlace.push_back(cidr);
  }
  for (auto it = inPlace.begin(); it != inPlace.end();) {
    if (std::find(wanted.begin(), wanted.end(), *it) != wanted.end()) {
      ++it;
      continue;
    }
    (void)removeAddress(interface, *it);
    it = inPlace.erase(it);
  }
  return {};
}

std::string joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

}  // namespace

Status checkDmzNetworks(const config::Config& config) {
  for (const std::string& dmz : column(config, "DMZ_ADDRESSES", "ADDRESS")) {
    auto d = parseIpv4Prefix(dmz);
    if (!d) return Error{fmt::format("DMZ_ADDRESSES: {}", d.error())};
    for (const std::string& internal : column(config, "INT_ADDRESSES", "ADDRESS")) {
      auto i = parseIpv4Prefix(internal);
      if (i && (i->contains(d->network()) || d->contains(i->network()))) {
        return Error{fmt::format("DMZ_ADDRESSES {} overlaps INT_ADDRESSES {}: the DMZ needs a network of its own",
                                 dmz, internal)};
      }
    }
  }
  return {};
}

std::string resolvConf(const std::vector<std::string>& servers) {
  std::string out = "# written by bulwark: DNS_MODE, DNS_SERVERS or the DHCP lease\n";
  for (const std::string& server : servers) out += fmt::format("nameserver {}\n", server);
  return out;
}

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
    auto first = parseIpv4(cell("START")), last = parseIpv4(cell("END"));
    if (first && last && *last >= *first) {
      out += fmt::format("max_leases {}\n", std::min<std::uint32_t>(*last - *first + 1, 65535));
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
  if (Status s = replaceFile(path, udhcpdConfig(config, internal->interface, runDir_.string())); !s) return s;
  std::ofstream(runDir_ / "udhcpd-int.leases", std::ios::app);  // udhcpd wants it to exist
  init::ServiceSpec spec;
  spec.name = "dhcp-int";
  spec.argv = {kBusybox, "udhcpd", "-f", path.string()};
  spec.logTag = "dhcp-int";
  spec.readiness = {init::Readiness::Kind::OutputLine, "started", std::chrono::milliseconds(5000)};
  dhcpServer_ = true;
  return supervisor_.update(std::move(spec));
}

void NetModule::stopDhcpClient(const platform::Port& external) {
  if (dhcpClient_) supervisor_.remove("dhclient");
  dhcpClient_ = false;
  if (!externalAddress_.empty()) {
    (void)removeAddress(external.interface, externalAddress_);
    log_.write("net", fmt::format("{} ({}): address {} given up", external.name, external.interface, externalAddress_));
    externalAddress_.clear();
  }
  dhcpDns_.clear();
}

// The name server of the internal network: dnsmasq on the internal address,
// forwarding to the servers of <run>/resolv.conf (it notices changes).
std::string dnsmasqConfig(const std::string& internalCidr, const std::string& runDir) {
  std::string own = internalCidr.substr(0, internalCidr.find('/'));
  return fmt::format(
      "listen-address={}\nbind-interfaces\nport=53\nresolv-file={}/resolv.conf\n"
      "cache-size=1000\ndomain-needed\nbogus-priv\nno-hosts\npid-file=\nuser=nobody\ngroup=nogroup\n",
      own, runDir);
}

Status NetModule::applyDnsForwarder(const config::Config& config) {
  const platform::Port* internal = board_.port(platform::Port::Role::Internal);
  std::string address = internalAddress(config);
  struct stat st {};
  bool wanted = internal && !address.empty();
  if (wanted && stat(kDnsmasq, &st) != 0) {
    if (!dnsForwarder_) log_.write("net", fmt::format("the name server of the internal network needs {}, which this "
                                                      "system lacks",
                                                      kDnsmasq));
    wanted = false;
  }
  if (!wanted) {
    if (dnsForwarder_) supervisor_.remove("dns");
    dnsForwarder_ = false;
    return {};
  }
  auto path = runDir_ / "dnsmasq.conf";
  if (Status s = replaceFile(path, dnsmasqConfig(address, runDir_.string())); !s) return s;
  chmod(runDir_.c_str(), 0711);  // dnsmasq, as nobody, re-reads <run>/resolv.conf
  init::ServiceSpec spec;
  spec.name = "dns";
  spec.argv = {kDnsmasq, "--keep-in-foreground", "--log-facility=-", "--conf-file=" + path.string()};
  spec.logTag = "dnsmasq";
  // dnsmasq's stderr lines read "dnsmasq[7]: started, ...": logged as tag
  // and pid, as syslog would have them.
  spec.logLine = [](const std::string& line) {
    constexpr std::string_view kHead = "dnsmasq[";
    auto close = line.find("]: ");
    if (line.rfind(kHead, 0) == 0 && close != std::string::npos && close < 20) {
      int pid = 0;
      auto digits = std::string_view(line).substr(kHead.size(), close - kHead.size());
      auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), pid);
      if (ec == std::errc() && end == digits.data() + digits.size()) {
        return init::ServiceLogLine{"dnsmasq", line.substr(close + 3), pid};
      }
    }
    return init::ServiceLogLine{"dnsmasq", line, std::nullopt};
  };
  dnsForwarder_ = true;
  return supervisor_.update(std::move(spec));
}

Status NetModule::applyDhcpClient(const config::Config& config) {
  const platform::Port* external = board_.port(platform::Port::Role::External);
  struct stat st {};
  if (stat(kBusybox, &st) != 0) {
    log_.write("net", fmt::format("the DHCP client needs {}, which this system lacks", kBusybox));
    stopDhcpClient(*external);
    return {};
  }
  // udhcpc runs its callback by path; the callback is this binary under the
  // name udhcpc-event (main.cpp), linked into the run directory.
  auto callback = runDir_ / "udhcpc-event";
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return Error{fmt::format("cannot find the running binary: {}", ec.message())};
  if (std::filesystem::read_symlink(callback, ec) != self) {
    std::filesystem::remove(callback, ec);
    std::filesystem::create_symlink(self, callback, ec);
    if (ec) return Error{fmt::format("cannot link {}: {}", callback.string(), ec.message())};
  }
  init::ServiceSpec spec;
  spec.name = "dhclient";
  // -f: in the foreground; -s: our callback; it keeps asking until a server answers.
  spec.argv = {kBusybox, "udhcpc", "-f", "-i", external->interface, "-s", callback.string(),
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
  if (!dhcpClient_) return answer(Error{"the external interface is not in DHCP mode"});
  std::string event = text("event");
  if (event == "deconfig" || event == "leasefail" || event == "nak") {
    if (event == "deconfig" && !externalAddress_.empty()) {
      (void)removeAddress(interface, externalAddress_);
      log_.write("net", fmt::format("{} ({}): address {} given up", external->name, interface, externalAddress_));
      externalAddress_.clear();
      dhcpDns_.clear();
      if (current_) applyDns(*current_);
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
  std::vector<std::string> dns;
  std::istringstream words(text("dns"));
  for (std::string word; words >> word;) {
    if (parseIpv4(word) && dns.size() < 3) dns.push_back(word);
  }
  dhcpDns_ = std::move(dns);
  if (current_) applyDns(*current_);
  return answer({});
}

void NetModule::applyHostname(const config::Config& config) {
  const std::string& name = config.get("HOSTNAME");
  if (sethostname(name.c_str(), name.size()) != 0) {
    log_.write("net", fmt::format("cannot set the host name: {}", std::strerror(errno)));
  }
}

std::unique_ptr<Resolver> NetModule::makeResolver(boost::asio::io_context& io, runtime::Timers& timers,
                                                  log::Log& log) {
  auto resolver = Resolver::create(io, timers);
  if (resolver) return std::move(*resolver);
  log.write("net", fmt::format("no resolver for host names: {}", resolver.error()));
  return nullptr;
}

NtpClient::Resolve NetModule::resolveFunction() {
  if (!resolver_) return {};
  Resolver* resolver = resolver_.get();
  return [resolver](const std::string& name, std::function<void(Result<std::vector<std::string>>)> done) {
    resolver->resolve(name, std::move(done));
  };
}

void NetModule::applyNtp(const config::Config& config) {
  ntp_.configure(config.get("NTP_ENABLE") == "yes", column(config, "NTP_SERVERS", "NTP_SERVER"));
}

Status NetModule::start(const config::Snapshot& snapshot) {
  if (board_.ports.empty()) {
    // No ports of its own (the sim board, a process on a host): names are
    // resolved with the host's name servers.
    if (resolver_) {
      std::ifstream in("/etc/resolv.conf");
      std::vector<std::string> servers;
      for (std::string line; std::getline(in, line);) {
        std::istringstream words(line);
        std::string key, value;
        if (words >> key >> value && key == "nameserver" && parseIpv4(value)) {
          servers.push_back(value);
        }
      }
      if (Status s = resolver_->setServers(servers); !s) log_.write("net", s.message());
    }
    applyNtp(*snapshot);
    return {};
  }
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
  current_ = snapshot;
  // At start a failure is logged and the rest goes on: a port that cannot
  // be configured must not cost the appliance its other doors.
  for (Status s : {applyInternal(*snapshot), applyDmz(*snapshot), applyDhcpServer(*snapshot),
                   applyExternal(*snapshot)}) {
    if (!s) log_.write("net", s.message());
  }
  applyDns(*snapshot);
  if (Status s = applyDnsForwarder(*snapshot); !s) log_.write("net", s.message());
  applyNtp(*snapshot);  // after the name servers: it may resolve names at once
  return {};
}

Status NetModule::reconfigure(const config::Snapshot& snapshot, const config::Diff& diff) {
  bool ntp = diff.touches("NTP_ENABLE") || diff.touches("NTP_SERVERS");
  if (board_.ports.empty()) {
    if (ntp) applyNtp(*snapshot);
    return {};
  }
  bool dmz = diff.touches("DMZ_ADDRESSES");
  if ((dmz || diff.touches("INT_ADDRESSES")) && board_.port(platform::Port::Role::Dmz)) {
    if (Status s = checkDmzNetworks(*snapshot); !s) return s;  // before anything changes
  }
  if (diff.touches("HOSTNAME")) applyHostname(*snapshot);
  if (dmz) {
    if (Status s = applyDmz(*snapshot); !s) return s;
  }
  if (diff.touches("INT_ADDRESSES")) {
    if (Status s = applyInternal(*snapshot); !s) return s;
    if (Status s = applyDnsForwarder(*snapshot); !s) return s;
  }
  if (diff.touches("INT_ADDRESSES") || diff.touches("DHCP_INT_MODE") || diff.touches("DHCP_INT_POOL") ||
      diff.touches("DHCP_INT_DNS") || diff.touches("DHCP_INT_LEASE_TIME")) {
    if (Status s = applyDhcpServer(*snapshot); !s) return s;
  }
  if (diff.touches("ROUTER_MODE") || diff.touches("HOSTNAME") || diff.touches("EXT_ADDRESSES") ||
      diff.touches("EXT_GATEWAY")) {
    if (Status s = applyExternal(*snapshot, diff.touches("HOSTNAME")); !s) return s;
  }
  current_ = snapshot;
  if (diff.touches("ROUTER_MODE") || diff.touches("DNS_MODE") || diff.touches("DNS_SERVERS")) applyDns(*snapshot);
  if (ntp) applyNtp(*snapshot);  // after the name servers
  return {};
}

Status NetModule::applyExternal(const config::Config& config, bool restartDhcp) {
  const platform::Port* external = board_.port(platform::Port::Role::External);
  if (!external) return {};
  const std::string& mode = config.get("ROUTER_MODE");
  std::vector<std::string> wanted;
  std::string gateway;
  if (mode == "static") {
    wanted = column(config, "EXT_ADDRESSES", "ADDRESS");
    gateway = config.get("EXT_GATEWAY");
    if (!gateway.empty() && !inNetworkOf(gateway, wanted)) {
      return Error{fmt::format("EXT_GATEWAY {} lies in no network of EXT_ADDRESSES", gateway)};
    }
  }
  if (mode != "dhcp") stopDhcpClient(*external);
  if (Status s = reconcileAddresses(external->interface, wanted, staticAddresses_); !s) return s;
  if (gateway != staticGateway_) {
    Status s = gateway.empty() ? removeDefaultRoute(external->interface)
                               : setDefaultRoute(external->interface, gateway);
    if (!s) return s;
    staticGateway_ = gateway;
  }
  if (mode == "static") {
    log_.write("net", fmt::format("{} ({}): static address {}, gateway {}", external->name, external->interface,
                                  wanted.empty() ? "none" : joined(wanted), gateway.empty() ? "none" : gateway));
    return {};
  }
  if (mode == "dhcp") {
    if (dhcpClient_ && !restartDhcp) return {};
    return applyDhcpClient(config);
  }
  log_.write("net", fmt::format("ROUTER_MODE {}: {} has no modem; the external interface stays unconfigured", mode,
                                board_.productName));
  return {};
}

void NetModule::applyDns(const config::Config& config) {
  std::vector<std::string> servers =
      config.get("DNS_MODE") == "user" ? column(config, "DNS_SERVERS", "SERVER") : dhcpDns_;
  std::string text = resolvConf(servers);
  if (text == resolvConf_) return;
  if (resolver_) {
    if (Status s = resolver_->setServers(servers); !s) log_.write("net", s.message());
  }
  // 0644: dnsmasq reads it as nobody.
  if (Status s = replaceFile(runDir_ / "resolv.conf", text, 0644); !s) return log_.write("net", s.message());
  resolvConf_ = text;
  log_.write("net", servers.empty() ? std::string("no DNS server known")
                                    : fmt::format("DNS servers {}", joined(servers)));
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

Status NetModule::applyDmz(const config::Config& config) {
  const platform::Port* dmz = board_.port(platform::Port::Role::Dmz);
  if (!dmz) return {};
  if (Status s = checkDmzNetworks(config); !s) return s;
  std::vector<std::string> wanted = column(config, "DMZ_ADDRESSES", "ADDRESS");
  if (wanted == dmzAddresses_) return {};
  if (Status s = reconcileAddresses(dmz->interface, wanted, dmzAddresses_); !s) return s;
  log_.write("net", fmt::format("{} ({}): address {}", dmz->name, dmz->interface,
                                wanted.empty() ? "none" : joined(wanted)));
  return {};
}

}  // namespace bulwark::net
