#include "firewall/nft_backend.hpp"

#include <arpa/inet.h>
#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/nf_tables.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/time.h>

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

void payload(nftnl_rule* r, std::uint32_t base, std::uint32_t offset, std::uint32_t len) {
  Expr(r, "payload")
      .u32(NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1)
      .u32(NFTNL_EXPR_PAYLOAD_BASE, base)
      .u32(NFTNL_EXPR_PAYLOAD_OFFSET, offset)
      .u32(NFTNL_EXPR_PAYLOAD_LEN, len);
}

// reg1 &= mask (four bytes, network order as given).
void mask(nftnl_rule* r, std::uint32_t bits) {
  std::uint32_t zero = 0;
  Expr(r, "bitwise")
      .u32(NFTNL_EXPR_BITWISE_SREG, NFT_REG_1)
      .u32(NFTNL_EXPR_BITWISE_DREG, NFT_REG_1)
      .u32(NFTNL_EXPR_BITWISE_LEN, 4)
      .data(NFTNL_EXPR_BITWISE_MASK, &bits, 4)
      .data(NFTNL_EXPR_BITWISE_XOR, &zero, 4);
}

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

// The expressions of one rule, in the order nft itself would emit them.
void buildRule(nftnl_rule* r, const Rule& rule) {
  if (!rule.iif.empty()) interfaceName(r, NFT_META_IIFNAME, rule.iif);
  if (!rule.oif.empty()) interfaceName(r, NFT_META_OIFNAME, rule.oif);
  if (rule.saddr || rule.daddr) {
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

// A batch of messages and what each one was, for error messages.
class Batch {
 public:
  Batch() : buffer_(kSize), batch_(mnl_nlmsg_batch_start(buffer_.data(), kSize)) {
    nftnl_batch_begin(static_cast<char*>(mnl_nlmsg_batch_current(batch_)), seq_++);
    next();
  }
  ~Batch() { mnl_nlmsg_batch_stop(batch_); }

  nlmsghdr* header(std::uint16_t type, std::uint16_t flags, std::string what) {
    if (mnl_nlmsg_batch_size(batch_) + MNL_SOCKET_BUFFER_SIZE > buffer_.size() - 1024) grow();
    what_[seq_] = std::move(what);
    auto* nlh = nftnl_nlmsg_build_hdr(static_cast<char*>(mnl_nlmsg_batch_current(batch_)), type, NFPROTO_INET,
                                      flags | NLM_F_ACK, seq_++);
    ++acks_;
    return nlh;
  }
  void next() { mnl_nlmsg_batch_next(batch_); }

  // `commit` false: the batch has no end, so the kernel checks every
  // message and then aborts the transaction (what `nft -c` does).
  Status send(bool commit = true) {
    if (commit) {
      nftnl_batch_end(static_cast<char*>(mnl_nlmsg_batch_current(batch_)), seq_++);
      next();
    }
    mnl_socket* nl = mnl_socket_open2(NETLINK_NETFILTER, SOCK_CLOEXEC);
    if (!nl) return Error{fmt::format("nftables: netlink: {}", std::strerror(errno))};
    std::unique_ptr<mnl_socket, int (*)(mnl_socket*)> guard(nl, mnl_socket_close);
    if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) return Error{fmt::format("nftables: bind: {}", std::strerror(errno))};
    timeval timeout{5, 0};
    setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (mnl_socket_sendto(nl, mnl_nlmsg_batch_head(batch_), mnl_nlmsg_batch_size(batch_)) < 0) {
      return Error{fmt::format("nftables: send: {}", std::strerror(errno))};
    }
    // One acknowledgement per message; the first error names its message.
    std::vector<char> reply(MNL_SOCKET_BUFFER_SIZE);
    std::string firstError;
    int acks = 0;
    while (acks < acks_) {
      ssize_t n = mnl_socket_recvfrom(nl, reply.data(), reply.size());
      if (n <= 0) {
        if (!firstError.empty()) break;  // after an error the kernel may not acknowledge the rest
        return Error{fmt::format("nftables: no answer from the kernel: {}", std::strerror(errno))};
      }
      int len = static_cast<int>(n);
      for (auto* nlh = reinterpret_cast<nlmsghdr*>(reply.data()); mnl_nlmsg_ok(nlh, len); nlh = mnl_nlmsg_next(nlh, &len)) {
        if (nlh->nlmsg_type != NLMSG_ERROR) continue;
        ++acks;
        auto* err = static_cast<nlmsgerr*>(mnl_nlmsg_get_payload(nlh));
        if (err->error != 0 && firstError.empty()) {
          auto it = what_.find(nlh->nlmsg_seq);
          firstError = fmt::format("{}: {}", it == what_.end() ? std::string("the batch") : it->second,
                                   std::strerror(-err->error));
        }
      }
      if (!firstError.empty()) {
        timeval brief{0, 100000};
        setsockopt(mnl_socket_get_fd(nl), SOL_SOCKET, SO_RCVTIMEO, &brief, sizeof brief);
      }
    }
    if (!firstError.empty()) return Error{"nftables refused " + firstError + "; the previous ruleset stays"};
    return {};
  }

 private:
  static constexpr std::size_t kSize = 1 << 20;
  void grow();

  std::vector<char> buffer_;
  mnl_nlmsg_batch* batch_;
  std::uint32_t seq_ = 1;
  int acks_ = 0;
  std::map<std::uint32_t, std::string> what_;
};

// A batch larger than the buffer: not expected with the compiler's rule
// counts yet; refused loudly rather than cut.
void Batch::grow() { throw std::length_error("nftables batch larger than 1 MiB"); }

void table(Batch& b, std::uint16_t type, const std::string& name) {
  TablePtr t(nftnl_table_alloc());
  nftnl_table_set_u32(t.get(), NFTNL_TABLE_FAMILY, NFPROTO_INET);
  nftnl_table_set_str(t.get(), NFTNL_TABLE_NAME, name.c_str());
  auto* nlh = b.header(type, type == NFT_MSG_NEWTABLE ? NLM_F_CREATE : 0, fmt::format("table inet {}", name));
  nftnl_table_nlmsg_build_payload(nlh, t.get());
  b.next();
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
    for (const Chain& c : rs.chains) {
      std::size_t number = 0;
      for (const Rule& rule : c.rules) {
        ++number;
        RulePtr r(nftnl_rule_alloc());
        nftnl_rule_set_u32(r.get(), NFTNL_RULE_FAMILY, NFPROTO_INET);
        nftnl_rule_set_str(r.get(), NFTNL_RULE_TABLE, rs.table.c_str());
        nftnl_rule_set_str(r.get(), NFTNL_RULE_CHAIN, c.name.c_str());
        buildRule(r.get(), rule);
        auto* nlh = b.header(NFT_MSG_NEWRULE, NLM_F_CREATE | NLM_F_APPEND,
                             fmt::format("rule {} of chain {}", number, c.name));
        nftnl_rule_nlmsg_build_payload(nlh, r.get());
        b.next();
      }
    }
    return b.send(commit);
  } catch (const std::exception& e) {
    return Error{fmt::format("nftables: {}", e.what())};
  }
}

}  // namespace

Status load(const Ruleset& rs) { return submit(rs, true); }

Status check(const Ruleset& rs) { return submit(rs, false); }

Status unload(const std::string& name) {
  Batch b;
  table(b, NFT_MSG_NEWTABLE, name);
  table(b, NFT_MSG_DELTABLE, name);
  return b.send();
}

}  // namespace bulwark::firewall
