#include "firewall/nflog.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_log.h>
#include <net/if.h>
#include <sys/socket.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <map>
#include <vector>

#include <fmt/format.h>

#include "firewall/log_format.hpp"
#include "runtime/fd_watch.hpp"

namespace bulwark::firewall {

namespace {

constexpr std::uint16_t kCopyRange = 256;  // bytes of each packet: headers, not data
constexpr int kBatch = 256;                // datagrams a turn of the loop; the rest on the next

// One configuration message to nfnetlink_log, acknowledged.
Status configure(mnl_socket* nl, std::uint16_t group, std::uint16_t attribute, const void* data, std::size_t len) {
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  nlmsghdr* nlh = mnl_nlmsg_put_header(buffer.data());
  nlh->nlmsg_type = (NFNL_SUBSYS_ULOG << 8) | NFULNL_MSG_CONFIG;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  auto* nfg = static_cast<nfgenmsg*>(mnl_nlmsg_put_extra_header(nlh, sizeof(nfgenmsg)));
  nfg->nfgen_family = AF_UNSPEC;
  nfg->version = NFNETLINK_V0;
  nfg->res_id = htons(group);
  mnl_attr_put(nlh, attribute, len, data);
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) return Error{fmt::format("NFLOG: {}", std::strerror(errno))};
  ssize_t n = mnl_socket_recvfrom(nl, buffer.data(), buffer.size());
  if (n < 0) return Error{fmt::format("NFLOG: {}", std::strerror(errno))};
  if (mnl_cb_run(buffer.data(), static_cast<size_t>(n), 0, mnl_socket_get_portid(nl), nullptr, nullptr) < 0) {
    return Error{fmt::format("NFLOG group {}: {}", group, std::strerror(errno))};
  }
  return {};
}

}  // namespace

struct NflogReader::Impl {
  log::Log& log;
  mnl_socket* nl;
  std::unique_ptr<runtime::FdWatch> watch;
  std::vector<char> buffer = std::vector<char>(MNL_SOCKET_BUFFER_SIZE);
  std::map<unsigned, std::string> names;  // interface index -> name
  std::vector<VpnTunnel> tunnels;
  std::uint64_t logged = 0, lost = 0, lostSaid = 0;
  std::optional<std::uint32_t> lastSeq;
  std::chrono::steady_clock::time_point lastSaid{};

  Impl(log::Log& log, mnl_socket* nl) : log(log), nl(nl) {}
  ~Impl() {
    watch.reset();
    mnl_socket_close(nl);
  }

  std::string name(unsigned index) {
    if (index == 0) return {};
    auto it = names.find(index);
    if (it != names.end()) return it->second;
    char text[IF_NAMESIZE] = {};
    std::string found = if_indextoname(index, text) ? text : fmt::format("if{}", index);
    if (names.size() > 256) names.clear();  // interfaces come and go (tun); keep it small
    names[index] = found;
    return found;
  }

  struct Attributes {
    const nlattr* table[NFULA_MAX + 1] = {};
  };

  static int onAttribute(const nlattr* attr, void* data) {
    auto* a = static_cast<Attributes*>(data);
    int type = mnl_attr_get_type(attr);
    if (type >= 0 && type <= NFULA_MAX) a->table[type] = attr;
    return MNL_CB_OK;
  }

  static int onMessage(const nlmsghdr* nlh, void* data) {
    auto* self = static_cast<Impl*>(data);
    if ((nlh->nlmsg_type & 0xff) != NFULNL_MSG_PACKET) return MNL_CB_OK;
    Attributes a;
    if (mnl_attr_parse(nlh, sizeof(nfgenmsg), onAttribute, &a) < 0) return MNL_CB_OK;
    if (a.table[NFULA_SEQ] && mnl_attr_get_payload_len(a.table[NFULA_SEQ]) >= 4) {
      std::uint32_t seq = ntohl(mnl_attr_get_u32(a.table[NFULA_SEQ]));
      if (self->lastSeq && seq > *self->lastSeq + 1) self->lost += seq - *self->lastSeq - 1;
      self->lastSeq = seq;
    }
    LoggedPacket p;
    if (a.table[NFULA_PREFIX]) {
      const char* text = static_cast<const char*>(mnl_attr_get_payload(a.table[NFULA_PREFIX]));
      p.prefix.assign(text, strnlen(text, mnl_attr_get_payload_len(a.table[NFULA_PREFIX])));
    }
    auto index = [&](int attr) -> unsigned {
      if (!a.table[attr] || mnl_attr_get_payload_len(a.table[attr]) < 4) return 0;
      return ntohl(mnl_attr_get_u32(a.table[attr]));
    };
    p.in = self->name(index(NFULA_IFINDEX_INDEV));
    p.out = self->name(index(NFULA_IFINDEX_OUTDEV));
    if (a.table[NFULA_HWADDR] && mnl_attr_get_payload_len(a.table[NFULA_HWADDR]) >= sizeof(nfulnl_msg_packet_hw)) {
      const auto* hw = static_cast<const nfulnl_msg_packet_hw*>(mnl_attr_get_payload(a.table[NFULA_HWADDR]));
      std::size_t len = std::min<std::size_t>(ntohs(hw->hw_addrlen), sizeof hw->hw_addr);
      p.mac = std::span<const std::uint8_t>(hw->hw_addr, len);
    }
    if (a.table[NFULA_PAYLOAD]) {
      p.ip = std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(mnl_attr_get_payload(a.table[NFULA_PAYLOAD])),
                                           mnl_attr_get_payload_len(a.table[NFULA_PAYLOAD]));
    }
    if (auto line = formatLogLine(p)) {
      *line += tunnelFields(self->tunnels, p);
      self->log.write("firewall", std::move(*line));
      ++self->logged;
    }
    return MNL_CB_OK;
  }

  void readSome() {
    for (int i = 0; i < kBatch; ++i) {
      ssize_t n = recv(mnl_socket_get_fd(nl), buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n < 0 && errno == ENOBUFS) continue;  // overflowed: the sequence numbers count what was lost
      if (n <= 0) break;
      mnl_cb_run(buffer.data(), static_cast<size_t>(n), 0, 0, onMessage, this);
    }
    auto now = std::chrono::steady_clock::now();
    if (lost > lostSaid && now - lastSaid >= std::chrono::seconds(1)) {
      log.write("firewall", fmt::format("{} packet log lines were lost (more logged packets than the log keeps up with)",
                                        lost - lostSaid));
      lostSaid = lost;
      lastSaid = now;
    }
  }
};

NflogReader::NflogReader(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
NflogReader::~NflogReader() = default;
std::uint64_t NflogReader::logged() const { return impl_->logged; }
std::uint64_t NflogReader::lost() const { return impl_->lost; }
void NflogReader::setTunnels(std::vector<VpnTunnel> tunnels) { impl_->tunnels = std::move(tunnels); }

Result<std::unique_ptr<NflogReader>> NflogReader::open(boost::asio::io_context& io, log::Log& log, std::uint16_t group) {
  mnl_socket* nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (!nl) return Error{fmt::format("NFLOG: {}", std::strerror(errno))};
  auto impl = std::make_unique<Impl>(log, nl);
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) return Error{fmt::format("NFLOG: bind: {}", std::strerror(errno))};
  int size = 4 << 20;  // room for bursts; as root beyond rmem_max
  if (setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) != 0) {
    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
  }
  nfulnl_msg_config_cmd bind{NFULNL_CFG_CMD_BIND};
  if (Status s = configure(nl, group, NFULA_CFG_CMD, &bind, sizeof bind); !s) return Error{s.message()};
  nfulnl_msg_config_mode mode{};
  mode.copy_range = htonl(kCopyRange);
  mode.copy_mode = NFULNL_COPY_PACKET;
  if (Status s = configure(nl, group, NFULA_CFG_MODE, &mode, sizeof mode); !s) return Error{s.message()};
  std::uint16_t flags = htons(NFULNL_CFG_F_SEQ);
  if (Status s = configure(nl, group, NFULA_CFG_FLAGS, &flags, sizeof flags); !s) return Error{s.message()};
  // The kernel gathers up to 100 packets in one message but holds a part
  // full one for at most this long (1/100 s; its default, one second, made
  // a single logged packet's line come a second late).
  std::uint32_t flush = htonl(10);
  if (Status s = configure(nl, group, NFULA_CFG_TIMEOUT, &flush, sizeof flush); !s) return Error{s.message()};
  Impl* raw = impl.get();
  impl->watch = std::make_unique<runtime::FdWatch>(io, mnl_socket_get_fd(nl), [raw] { raw->readSome(); });
  return std::unique_ptr<NflogReader>(new NflogReader(std::move(impl)));
}

}  // namespace bulwark::firewall
