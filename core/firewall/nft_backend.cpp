#include "firewall/nft_backend.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/time.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>
#include <memory>
#include <vector>

#include <fmt/format.h>

namespace bulwark::firewall {

namespace {

template <typename T, void (*Free)(const T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using TablePtr = std::unique_ptr<nftnl_table, Deleter<nftnl_table, nftnl_table_free>>;
using ChainPtr = std::unique_ptr<nftnl_chain, Deleter<nftnl_chain, nftnl_chain_free>>;
using RulePtr = std::unique_ptr<nftnl_rule, Deleter<nftnl_rule, nftnl_rule_free>>;
using SetPtr = std::unique_ptr<nftnl_set, Deleter<nftnl_set, nftnl_set_free>>;

// One expression, added to the rule (which then owns it).
struct Expr {
  nftnl_expr* e;
  Expr(nftnl_rule* rule, const char* name) : e(nftnl_expr_alloc(name)) { nftnl_rule_add_expr(rule, e); }
  Expr& u32(std::uint16_t attr, std::uint32_t v) {
    nftnl_expr_set_u32(e, attr, v);
    return *this;
  }
  Expr& u8(std::uint16_t attr, std::uint8_t v) {
    nftnl_expr_set_u8(e, attr, v);
    return *this;
  }
  Expr& u64(std::uint16_t attr, std::uint64_t v) {
    nftnl_expr_set_u64(e, attr, v);
    return *this;
  }
  Expr& u16(std::uint16_t attr, std::uint16_t v) {
    nftnl_expr_set_u16(e, attr, v);
    return *this;
  }
  Expr& str(std::uint16_t attr, const std::string& v) {
    nftnl_expr_set_str(e, attr, v.c_str());
    return *this;
  }
  Expr& data(std::uint16_t attr, const void* p, std::uint32_t len) {
    nftnl_expr_set(e, attr, p, len);
    return *this;
  }
};

void loadMeta(nftnl_rule* r, std::uint32_t key) {
  Expr(r, "meta").u32(NFTNL_EXPR_META_KEY, key).u32(NFTNL_EXPR_META_DREG, NFT_REG_1);
}

void compare(nftnl_rule* r, std::uint32_t op, const void* p, std::uint32_t len) {
  Expr(r, "cmp").u32(NFTNL_EXPR_CMP_SREG, NFT_REG_1).u32(NFTNL_EXPR_CMP_OP, op).data(NFTNL_EXPR_CMP_DATA, p, len);
}

void interfaceName(nftnl_rule* r, std::uint32_t key, const std::string& name) {
  char padded[IFNAMSIZ] = {};
  std::strncpy(padded, name.c_str(), IFNAMSIZ - 1);
  loadMeta(r, key);
  compare(r, NFT_CMP_EQ, padded, static_cast<std::uint32_t>(std::strlen(padded) + 1));
}

void payload(nftnl_rule* r, std::uint32_t base, std::uint32_t offset, std::uint32_t len,
             std::uint32_t reg = NFT_REG_1) {
  Expr(r, "payload")
      .u32(NFTNL_EXPR_PAYLOAD_DREG, reg)
      .u32(NFTNL_EXPR_PAYLOAD_BASE, base)
      .u32(NFTNL_EXPR_PAYLOAD_OFFSET, offset)
      .u32(NFTNL_EXPR_PAYLOAD_LEN, len);
}

// reg1 &= mask (`len` bytes as given).
void mask(nftnl_rule* r, const void* bits, std::uint32_t len) {
  std::uint32_t zero = 0;
  Expr(r, "bitwise")
      .u32(NFTNL_EXPR_BITWISE_SREG, NFT_REG_1)
      .u32(NFTNL_EXPR_BITWISE_DREG, NFT_REG_1)
      .u32(NFTNL_EXPR_BITWISE_LEN, len)
      .data(NFTNL_EXPR_BITWISE_MASK, bits, len)
      .data(NFTNL_EXPR_BITWISE_XOR, &zero, len);
}

// The same for four bytes (network order as given).
void mask(nftnl_rule* r, std::uint32_t bits) { mask(r, &bits, 4); }

void address(nftnl_rule* r, std::uint32_t offset, const Prefix& p) {
  payload(r, NFT_PAYLOAD_NETWORK_HEADER, offset, 4);
  std::uint32_t net = htonl(p.address);
  if (p.length < 32) mask(r, htonl(p.length == 0 ? 0 : ~std::uint32_t(0) << (32 - p.length)));
  compare(r, NFT_CMP_EQ, &net, 4);
}

void port(nftnl_rule* r, std::uint32_t offset, const PortRange& range) {
  payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, offset, 2);
  std::uint16_t from = htons(range.from), to = htons(range.to);
  if (range.from == range.to) return compare(r, NFT_CMP_EQ, &from, 2);
  compare(r, NFT_CMP_GTE, &from, 2);
  compare(r, NFT_CMP_LTE, &to, 2);
}

std::uint8_t protocolNumber(Protocol p) {
  switch (p) {
    case Protocol::Tcp: return IPPROTO_TCP;
    case Protocol::Udp: return IPPROTO_UDP;
    case Protocol::Icmp: return IPPROTO_ICMP;
    case Protocol::Esp: return IPPROTO_ESP;
    case Protocol::Gre: return IPPROTO_GRE;
    case Protocol::Any: return 0;
  }
  return 0;
}

void verdict(nftnl_rule* r, std::int32_t code, const std::string& chain = {}) {
  Expr imm(r, "immediate");
  imm.u32(NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT).u32(NFTNL_EXPR_IMM_VERDICT, static_cast<std::uint32_t>(code));
  if (!chain.empty()) imm.str(NFTNL_EXPR_IMM_CHAIN, chain);
}

// The key of a set's lookup: each field into the next four bytes of the
// registers, from NFT_REG_1 on (the layout of nft's concatenations).
void lookup(nftnl_rule* r, const Set& set, std::uint32_t id) {
  for (std::size_t i = 0; i < set.key.size(); ++i) {
    std::uint32_t reg = i == 0 ? std::uint32_t{NFT_REG_1} : NFT_REG32_00 + static_cast<std::uint32_t>(i);
    switch (set.key[i]) {
      case Field::Saddr: payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4, reg); break;
      case Field::Daddr: payload(r, NFT_PAYLOAD_NETWORK_HEADER, 16, 4, reg); break;
      case Field::Sport: payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 2, reg); break;
      case Field::Dport: payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, reg); break;
    }
  }
  Expr e(r, "lookup");
  e.u32(NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1).str(NFTNL_EXPR_LOOKUP_SET, set.name);
  if (id) e.u32(NFTNL_EXPR_LOOKUP_SET_ID, id);  // a set made in the same batch
}

// The expressions of one rule, in the order nft itself would emit them (the
// integration test compares what `nft list` prints, which does not show
// every difference of encoding).
// `set`: the set the rule looks up (with its id in the batch), or null.
void buildRule(nftnl_rule* r, const Rule& rule, const Set* set, std::uint32_t setId) {
  if (!rule.iif.empty()) interfaceName(r, NFT_META_IIFNAME, rule.iif);
  if (!rule.oif.empty()) interfaceName(r, NFT_META_OIFNAME, rule.oif);
  if (rule.toLocal) {
    Expr(r, "fib")
        .u32(NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR)
        .u32(NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE)
        .u32(NFTNL_EXPR_FIB_DREG, NFT_REG_1);
    std::uint32_t local = RTN_LOCAL;
    compare(r, NFT_CMP_EQ, &local, 4);
  }
  const Set* meter = set && set->dynamic ? set : nullptr;
  if (meter) set = nullptr;
  if (rule.saddr || rule.daddr || set || rule.echoRequest) {
    std::uint8_t ipv4 = NFPROTO_IPV4;  // in an inet table, "ip saddr" implies IPv4
    loadMeta(r, NFT_META_NFPROTO);
    compare(r, NFT_CMP_EQ, &ipv4, 1);
    if (rule.saddr) address(r, 12, *rule.saddr);
    if (rule.daddr) address(r, 16, *rule.daddr);
  }
  if (rule.protocol != Protocol::Any) {
    std::uint8_t number = protocolNumber(rule.protocol);
    loadMeta(r, NFT_META_L4PROTO);
    compare(r, NFT_CMP_EQ, &number, 1);
  }
  if (rule.sport) port(r, 0, *rule.sport);
  if (rule.dport) port(r, 2, *rule.dport);
  if (set) lookup(r, *set, setId);
  if (rule.tcpFlags) {
    payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 13, 1);
    std::uint8_t bits = rule.tcpFlags->first;
    mask(r, &bits, 1);
    std::uint8_t value = rule.tcpFlags->second;
    compare(r, NFT_CMP_EQ, &value, 1);
  }
  if (rule.echoRequest) {
    payload(r, NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1);
    std::uint8_t type = 8;  // ICMP_ECHO
    compare(r, NFT_CMP_EQ, &type, 1);
  }
  if (rule.longerThan) {
    loadMeta(r, NFT_META_LEN);
    Expr(r, "byteorder")
        .u32(NFTNL_EXPR_BYTEORDER_SREG, NFT_REG_1)
        .u32(NFTNL_EXPR_BYTEORDER_DREG, NFT_REG_1)
        .u32(NFTNL_EXPR_BYTEORDER_OP, NFT_BYTEORDER_HTON)
        .u32(NFTNL_EXPR_BYTEORDER_LEN, 4)
        .u32(NFTNL_EXPR_BYTEORDER_SIZE, 4);
    std::uint32_t length = htonl(*rule.longerThan);
    compare(r, NFT_CMP_GT, &length, 4);
  }
  if (rule.dnatted) {
    std::uint32_t zero = 0;
    Expr(r, "ct").u32(NFTNL_EXPR_CT_KEY, NFT_CT_STATUS).u32(NFTNL_EXPR_CT_DREG, NFT_REG_1);
    mask(r, IPS_DST_NAT);
    compare(r, NFT_CMP_NEQ, &zero, 4);
  }
  if (rule.ctStates) {
    std::uint32_t states = 0;
    if (rule.ctStates & kInvalid) states |= NF_CT_STATE_INVALID_BIT;
    if (rule.ctStates & kEstablished) states |= NF_CT_STATE_BIT(IP_CT_ESTABLISHED);
    if (rule.ctStates & kRelated) states |= NF_CT_STATE_BIT(IP_CT_RELATED);
    if (rule.ctStates & kNew) states |= NF_CT_STATE_BIT(IP_CT_NEW);
    std::uint32_t zero = 0;
    Expr(r, "ct").u32(NFTNL_EXPR_CT_KEY, NFT_CT_STATE).u32(NFTNL_EXPR_CT_DREG, NFT_REG_1);
    mask(r, states);  // the state is host order: the bits as the kernel has them
    compare(r, NFT_CMP_NEQ, &zero, 4);
  }
  if (rule.ipsec != Rule::Ipsec::None) {
    std::uint8_t exists = rule.ipsec == Rule::Ipsec::NotIn ? 0 : 1;
    if (rule.ipsec == Rule::Ipsec::Out) {
      Expr(r, "rt").u32(NFTNL_EXPR_RT_KEY, NFT_RT_XFRM).u32(NFTNL_EXPR_RT_DREG, NFT_REG_1);
    } else {
      loadMeta(r, NFT_META_SECPATH);
    }
    compare(r, NFT_CMP_EQ, &exists, 1);
  }
  if (rule.connectionsOver) {
    nftnl_expr* count = nftnl_expr_alloc("connlimit");
    nftnl_expr_set_u32(count, NFTNL_EXPR_CONNLIMIT_COUNT, *rule.connectionsOver);
    nftnl_expr_set_u32(count, NFTNL_EXPR_CONNLIMIT_FLAGS, NFT_CONNLIMIT_F_INV);
    if (meter) {
      // add @meter { ip saddr ct count over n }: the source's own count.
      std::uint8_t ipv4 = NFPROTO_IPV4;
      loadMeta(r, NFT_META_NFPROTO);
      compare(r, NFT_CMP_EQ, &ipv4, 1);
      payload(r, NFT_PAYLOAD_NETWORK_HEADER, 12, 4);
      Expr dynset(r, "dynset");
      dynset.u32(NFTNL_EXPR_DYNSET_SREG_KEY, NFT_REG_1)
          .u32(NFTNL_EXPR_DYNSET_OP, NFT_DYNSET_OP_ADD)
          .str(NFTNL_EXPR_DYNSET_SET_NAME, meter->name);
      if (setId) dynset.u32(NFTNL_EXPR_DYNSET_SET_ID, setId);
      nftnl_expr_add_expr(dynset.e, NFTNL_EXPR_DYNSET_EXPRESSIONS, count);
    } else {
      nftnl_rule_add_expr(r, count);
    }
  }
  if (rule.limit) {
    Expr(r, "limit")
        .u64(NFTNL_EXPR_LIMIT_RATE, rule.limit->rate)
        .u64(NFTNL_EXPR_LIMIT_UNIT, rule.limit->perMinute ? 60 : 1)
        .u32(NFTNL_EXPR_LIMIT_BURST, rule.limit->burst)
        .u32(NFTNL_EXPR_LIMIT_TYPE, NFT_LIMIT_PKTS)
        .u32(NFTNL_EXPR_LIMIT_FLAGS, rule.limit->over ? NFT_LIMIT_F_INV : 0);
  }
  if (rule.counter) Expr(r, "counter");
  if (!rule.logPrefix.empty()) {
    Expr(r, "log").str(NFTNL_EXPR_LOG_PREFIX, rule.logPrefix).u16(NFTNL_EXPR_LOG_GROUP, rule.logGroup);
  }
  if (rule.masquerade) Expr(r, "masq");
  if (rule.dnat) {
    std::uint32_t to = htonl(rule.dnat->address);
    std::uint16_t port = htons(rule.dnat->port);
    Expr(r, "immediate").u32(NFTNL_EXPR_IMM_DREG, NFT_REG_1).data(NFTNL_EXPR_IMM_DATA, &to, 4);
    Expr(r, "immediate").u32(NFTNL_EXPR_IMM_DREG, NFT_REG_2).data(NFTNL_EXPR_IMM_DATA, &port, 2);
    Expr(r, "nat")
        .u32(NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT)
        .u32(NFTNL_EXPR_NAT_FAMILY, NFPROTO_IPV4)
        .u32(NFTNL_EXPR_NAT_REG_ADDR_MIN, NFT_REG_1)
        .u32(NFTNL_EXPR_NAT_REG_PROTO_MIN, NFT_REG_2);
  }
  switch (rule.verdict) {
    case Verdict::None: break;
    case Verdict::Accept: verdict(r, NF_ACCEPT); break;
    case Verdict::Drop: verdict(r, NF_DROP); break;
    case Verdict::Jump: verdict(r, NFT_JUMP, rule.target); break;
    case Verdict::Reject:
      if (rule.protocol == Protocol::Tcp) {
        Expr(r, "reject").u32(NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_TCP_RST).u8(NFTNL_EXPR_REJECT_CODE, 0);
      } else {
        Expr(r, "reject")
            .u32(NFTNL_EXPR_REJECT_TYPE, NFT_REJECT_ICMPX_UNREACH)
            .u8(NFTNL_EXPR_REJECT_CODE, NFT_REJECT_ICMPX_PORT_UNREACH);
      }
      break;
  }
  if (!rule.comment.empty()) {
    nftnl_udata_buf* buf = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN);
    nftnl_udata_put_strz(buf, NFTNL_UDATA_RULE_COMMENT, rule.comment.c_str());
    nftnl_rule_set_data(r, NFTNL_RULE_USERDATA, nftnl_udata_buf_data(buf), nftnl_udata_buf_len(buf));
    nftnl_udata_buf_free(buf);
  }
}

std::uint32_t hookNumber(const std::string& hook) {
  if (hook == "prerouting") return NF_INET_PRE_ROUTING;
  if (hook == "input") return NF_INET_LOCAL_IN;
  if (hook == "forward") return NF_INET_FORWARD;
  if (hook == "output") return NF_INET_LOCAL_OUT;
  return NF_INET_POST_ROUTING;
}

// A batch of messages and what each one was, for error messages. Only the
// last message asks for an acknowledgement: the kernel handles the whole
// batch while sendto() runs and then answers the errors of any message,
// the failure of the commit (on the batch's first message) and that one
// acknowledgement, in this order. The batch is in force only when that
// acknowledgement came and no error did: silence is a failure.
class Batch {
 public:
  Batch() {
    reserve();
    nftnl_batch_begin(tail(), seq_++);
    next();
  }

  // The header of the next message; valid until the next call.
  nlmsghdr* header(std::uint16_t type, std::uint16_t flags, std::string what) {
    reserve();
    what_[seq_] = std::move(what);
    last_ = used_;
    return nftnl_nlmsg_build_hdr(tail(), type, NFPROTO_INET, flags, seq_++);
  }
  void next() { used_ += NLMSG_ALIGN(reinterpret_cast<nlmsghdr*>(tail())->nlmsg_len); }

  // `commit` false: the batch has no end, so the kernel checks every
  // message and then aborts the transaction (what `nft -c` does).
  Status send(bool commit = true) {
    if (last_ == 0) return {};  // nothing to do
    auto* lastMessage = reinterpret_cast<nlmsghdr*>(buffer_.data() + last_);
    lastMessage->nlmsg_flags |= NLM_F_ACK;
    std::uint32_t lastSeq = lastMessage->nlmsg_seq;
    if (commit) {
      reserve();
      nftnl_batch_end(tail(), seq_++);
      next();
    }
    mnl_socket* nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    if (!nl) return Error{fmt::format("nftables: netlink: {}", std::strerror(errno))};
    std::unique_ptr<mnl_socket, int (*)(mnl_socket*)> guard(nl, mnl_socket_close);
    if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) return Error{fmt::format("nftables: bind: {}", std::strerror(errno))};
    int fd = mnl_socket_get_fd(nl);
    // Errors carry only the header of the refused message, not all of it
    // (a chunk of set elements is tens of KiB).
    int on = 1;
    setsockopt(fd, SOL_NETLINK, NETLINK_CAP_ACK, &on, sizeof on);
    // The batch goes as one message: the send buffer must hold it.
    int size = static_cast<int>(std::min<std::size_t>(used_ + 4096, INT32_MAX / 2));
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size) < 0) {
      setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    }
    timeval timeout{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (mnl_socket_sendto(nl, buffer_.data(), used_) < 0) {
      return Error{fmt::format("nftables: send ({} bytes): {}", used_, std::strerror(errno))};
    }
    std::vector<char> reply(64 * 1024);
    std::string firstError;
    bool acknowledged = false;
    while (!acknowledged) {
      ssize_t n = recv(fd, reply.data(), reply.size(), 0);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        if (firstError.empty()) firstError = fmt::format("the batch: no answer from the kernel: {}", std::strerror(errno));
        break;
      }
      int len = static_cast<int>(n);
      auto* nlh = reinterpret_cast<nlmsghdr*>(reply.data());
      for (; mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
        if (nlh->nlmsg_type != NLMSG_ERROR) continue;
        auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        if (err->error != 0 && firstError.empty()) {
          auto it = what_.find(nlh->nlmsg_seq);
          firstError = fmt::format("{}: {}", it == what_.end() ? std::string("the batch") : it->second,
                                   std::strerror(-err->error));
        }
        if (err->error == 0 && nlh->nlmsg_seq == lastSeq) acknowledged = true;
      }
      if (len > 0 && firstError.empty()) firstError = "the batch: an answer the kernel cut short";
    }
    if (!firstError.empty()) return Error{"nftables refused " + firstError + "; the previous ruleset stays"};
    return {};
  }

 private:
  // Room for the largest message we build (a chunk of set elements).
  static constexpr std::size_t kRoom = 128 * 1024;
  char* tail() { return buffer_.data() + used_; }
  void reserve() {
    if (buffer_.size() - used_ < kRoom) buffer_.resize(std::max(buffer_.size() * 2, used_ + kRoom));
  }

  std::vector<char> buffer_;
  std::size_t used_ = 0;
  std::size_t last_ = 0;  // offset of the last message's header (0: none yet)
  std::uint32_t seq_ = 1;
  std::map<std::uint32_t, std::string> what_;
};

void table(Batch& b, std::uint16_t type, const std::string& name) {
  TablePtr t(nftnl_table_alloc());
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, NFPROTO_INET);
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, name.c_str());
  auto* nlh = b.header(type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0, fmt::format("table inet {}", name));
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  b.next();
}

bool isAddress(Field f) { return f == Field::Saddr || f == Field::Daddr; }

// One side of an element's ranges (`end`: the last value of each), four
// bytes per field in network order, ports padded with zeros.
std::vector<std::uint8_t> keyOf(const Set& set, const Element& e, bool end) {
  std::vector<std::uint8_t> out(set.key.size() * 4, 0);
  for (std::size_t i = 0; i < set.key.size(); ++i) {
    Field f = set.key[i];
    if (isAddress(f)) {
      const Prefix& p = f == Field::Saddr ? e.saddr : e.daddr;
      std::uint32_t value = htonl(end ? (p.network() | ~p.mask()) : p.network());
      std::memcpy(&out[i * 4], &value, 4);
    } else {
      const PortRange& range = f == Field::Sport ? e.sport : e.dport;
      std::uint16_t value = htons(end ? range.to : range.from);
      std::memcpy(&out[i * 4], &value, 2);
    }
  }
  return out;
}

SetPtr setFor(const std::string& table, const Set& s, std::uint32_t id) {
  SetPtr set(nftnl_set_alloc());
  nftnl_set_set_str(set.get(), NFTNL_SET_TABLE, table.c_str());
  nftnl_set_set_str(set.get(), NFTNL_SET_NAME, s.name.c_str());
  nftnl_set_set_u32(set.get(), NFTNL_SET_FAMILY, NFPROTO_INET);
  nftnl_set_set_u32(set.get(), NFTNL_SET_ID, id);
  return set;
}

// Elements per message: the element list is one attribute, at most 64 KiB.
constexpr std::size_t kElementsPerMessage = 500;

void addSet(Batch& b, const std::string& table, const Set& s, std::uint32_t id) {
  if (s.dynamic) {
    SetPtr set = setFor(table, s, id);
    nftnl_set_set_u32(set.get(), NFTNL_SET_FLAGS, NFT_SET_EVAL);
    nftnl_set_set_u32(set.get(), NFTNL_SET_KEY_TYPE, 7);  // ipv4_addr
    nftnl_set_set_u32(set.get(), NFTNL_SET_KEY_LEN, 4);
    nftnl_set_set_u32(set.get(), NFTNL_SET_DESC_SIZE, kDynamicSetSize);
    auto* nlh = b.header(NFT_MSG_NEWSET, NLM_F_CREATE, fmt::format("set {}", s.name));
    nftnl_set_nlmsg_build_payload(nlh, set.get());
    b.next();
    return;
  }
  // nft's datatype ids (ipv4_addr 7, inet_service 13), six bits per field,
  // so that `nft list` prints the key's type.
  std::uint32_t type = 0;
  std::vector<std::uint8_t> lengths;
  for (Field f : s.key) {
    type = type << 6 | (isAddress(f) ? 7 : 13);
    lengths.push_back(isAddress(f) ? 4 : 2);
  }
  bool intervals = s.intervals();
  SetPtr set = setFor(table, s, id);
  nftnl_set_set_u32(set.get(), NFTNL_SET_FLAGS, intervals ? NFT_SET_INTERVAL | NFT_SET_CONCAT : 0);
  nftnl_set_set_u32(set.get(), NFTNL_SET_KEY_TYPE, type);
  nftnl_set_set_u32(set.get(), NFTNL_SET_KEY_LEN, static_cast<std::uint32_t>(s.key.size() * 4));
  if (intervals) {
    nftnl_set_set_data(set.get(), NFTNL_SET_DESC_CONCAT, lengths.data(), static_cast<std::uint32_t>(lengths.size()));
  }
  auto* nlh = b.header(NFT_MSG_NEWSET, NLM_F_CREATE, fmt::format("set {}", s.name));
  nftnl_set_nlmsg_build_payload(nlh, set.get());
  b.next();
  for (std::size_t first = 0; first < s.elements.size(); first += kElementsPerMessage) {
    std::size_t last = std::min(s.elements.size(), first + kElementsPerMessage);
    SetPtr chunk = setFor(table, s, id);
    for (std::size_t i = first; i < last; ++i) {
      nftnl_set_elem* e = nftnl_set_elem_alloc();
      auto from = keyOf(s, s.elements[i], false), to = keyOf(s, s.elements[i], true);
      nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, from.data(), static_cast<std::uint32_t>(from.size()));
      if (intervals) nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY_END, to.data(), static_cast<std::uint32_t>(to.size()));
      nftnl_set_elem_add(chunk.get(), e);
    }
    auto* elements = b.header(NFT_MSG_NEWSETELEM, NLM_F_CREATE,
                              fmt::format("elements {} to {} of set {}", first + 1, last, s.name));
    nftnl_set_elems_nlmsg_build_payload(elements, chunk.get());
    b.next();
  }
}

RulePtr ruleOf(const std::string& table, const std::string& chain) {
  RulePtr r(nftnl_rule_alloc());
  nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
  nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, table.c_str());
  nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, chain.c_str());
  return r;
}

// The rules of `c`, appended; `setIds`: the sets made in this batch.
Status addRules(Batch& b, const Ruleset& rs, const Chain& c, const std::map<std::string, std::uint32_t>& setIds) {
  std::size_t number = 0;
  for (const Rule& rule : c.rules) {
    ++number;
    RulePtr r = ruleOf(rs.table, c.name);
    const Set* set = rule.set.empty() ? nullptr : rs.findSet(rule.set);
    if (!rule.set.empty() && !set) return Error{fmt::format("rule {} of chain {}: no set {}", number, c.name, rule.set)};
    auto id = set ? setIds.find(set->name) : setIds.end();
    buildRule(r.get(), rule, set, id == setIds.end() ? 0 : id->second);
    auto* nlh = b.header(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND, fmt::format("rule {} of chain {}", number, c.name));
    nftnl_rule_nlmsg_build_payload(nlh, r.get());
    b.next();
  }
  return {};
}

}  // namespace

namespace {

Status submit(const Ruleset& rs, bool commit) {
  try {
    Batch b;
    table(b, NFT_MSG_NEWTABLE, rs.table);
    table(b, NFT_MSG_DELTABLE, rs.table);
    table(b, NFT_MSG_NEWTABLE, rs.table);
    for (const Chain& c : rs.chains) {
      ChainPtr chain(nftnl_chain_alloc());
      nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TABLE, rs.table.c_str());
      nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_NAME, c.name.c_str());
      if (c.base()) {
        nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_HOOKNUM, hookNumber(c.hook));
        nftnl_chain_set_s32(chain.get(), NFTNL_CHAIN_PRIO, c.priority);
        nftnl_chain_set_str(chain.get(), NFTNL_CHAIN_TYPE, c.type.c_str());
        nftnl_chain_set_u32(chain.get(), NFTNL_CHAIN_POLICY, c.policy == Verdict::Drop ? NF_DROP : NF_ACCEPT);
      }
      auto* nlh = b.header(NFT_MSG_NEWCHAIN, NLM_F_CREATE, fmt::format("chain {}", c.name));
      nftnl_chain_nlmsg_build_payload(nlh, chain.get());
      b.next();
    }
    std::map<std::string, std::uint32_t> setIds;
    for (const Set& set : rs.sets) {
      std::uint32_t id = static_cast<std::uint32_t>(setIds.size() + 1);
      setIds[set.name] = id;
      addSet(b, rs.table, set, id);
    }
    for (const Chain& c : rs.chains) {
      if (Status s = addRules(b, rs, c, setIds); !s) return s;
    }
    return b.send(commit);
  } catch (const std::exception& e) {
    return Error{fmt::format("nftables: {}", e.what())};
  }
}

}  // namespace

Status load(const Ruleset& rs) { return submit(rs, true); }

Status check(const Ruleset& rs) { return submit(rs, false); }

Status replaceChain(const Ruleset& rs, const std::string& name) {
  const Chain* c = rs.chain(name);
  if (!c) return Error{fmt::format("nftables: the ruleset has no chain {}", name)};
  try {
    Batch b;
    RulePtr flush = ruleOf(rs.table, name);
    auto* nlh = b.header(NFT_MSG_DELRULE, 0, fmt::format("flush of chain {}", name));
    nftnl_rule_nlmsg_build_payload(nlh, flush.get());
    b.next();
    if (Status s = addRules(b, rs, *c, {}); !s) return s;
    return b.send();
  } catch (const std::exception& e) {
    return Error{fmt::format("nftables: {}", e.what())};
  }
}

Result<std::vector<std::uint64_t>> ruleCounters(const std::string& table, const std::string& chain) {
  mnl_socket* nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
  if (!nl) return Error{fmt::format("nftables: netlink: {}", std::strerror(errno))};
  std::unique_ptr<mnl_socket, int (*)(mnl_socket*)> guard(nl, mnl_socket_close);
  if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) return Error{fmt::format("nftables: bind: {}", std::strerror(errno))};
  std::vector<char> buffer(MNL_SOCKET_BUFFER_SIZE);
  std::uint32_t seq = 1;
  auto* nlh = nftnl_nlmsg_build_hdr(buffer.data(), NFT_MSG_GETRULE, NFPROTO_INET, NLM_F_DUMP, seq);
  RulePtr filter = ruleOf(table, chain);
  nftnl_rule_nlmsg_build_payload(nlh, filter.get());
  if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) return Error{fmt::format("nftables: send: {}", std::strerror(errno))};
  timeval timeout{2, 0};
  setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  struct Dump {
    std::string chain;
    std::vector<std::uint64_t> packets;
  } dump{chain, {}};
  auto onRule = [](const nlmsghdr* msg, void* data) -> int {
    auto* d = static_cast<Dump*>(data);
    RulePtr r(nftnl_rule_alloc());
    if (nftnl_rule_nlmsg_parse(msg, r.get()) < 0) return MNL_CB_ERROR;
    const char* name = nftnl_rule_get_str(r.get(), NFTNL_RULE_CHAIN);
    if (!name || d->chain != name) return MNL_CB_OK;  // kernels before 4.x ignore the filter
    std::uint64_t packets = 0;
    nftnl_expr_iter* it = nftnl_expr_iter_create(r.get());
    for (nftnl_expr* e = nftnl_expr_iter_next(it); e; e = nftnl_expr_iter_next(it)) {
      if (std::strcmp(nftnl_expr_get_str(e, NFTNL_EXPR_NAME), "counter") == 0) {
        packets = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
      }
    }
    nftnl_expr_iter_destroy(it);
    d->packets.push_back(packets);
    return MNL_CB_OK;
  };
  for (;;) {
    ssize_t n = mnl_socket_recvfrom(nl, buffer.data(), buffer.size());
    if (n < 0) return Error{fmt::format("nftables: the rules of chain {}: {}", chain, std::strerror(errno))};
    int ret = mnl_cb_run(buffer.data(), static_cast<size_t>(n), seq, mnl_socket_get_portid(nl), onRule, &dump);
    if (ret == MNL_CB_STOP) break;
    if (ret < 0) return Error{fmt::format("nftables: the rules of chain {}: {}", chain, std::strerror(errno))};
  }
  return dump.packets;
}

Status unload(const std::string& name) {
  Batch b;
  table(b, NFT_MSG_NEWTABLE, name);
  table(b, NFT_MSG_DELTABLE, name);
  return b.send();
}

}  // namespace bulwark::firewall
