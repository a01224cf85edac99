// The packet filter as data: one nftables table of our own ("inet bulwark")
// with its sets, chains and rules, in the few shapes the compiler
// (compiler.hpp) produces: each rule is a plain sequence of matches and one
// action, so it maps onto nftables expressions one to one; a rule may look
// its addresses and ports up in a set (rules folded by the compiler). The
// same model is printed in nft syntax (toNft: `bulwark fw show`, the golden
// tests) and turned into a netlink batch by the backend.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/ipv4.hpp"

namespace bulwark::firewall {

// "192.168.1.0/24" as address and prefix length (host order).
using Prefix = Ipv4Prefix;

struct PortRange {
  std::uint16_t from = 0, to = 0;  // from == to: one port
  bool operator==(const PortRange&) const = default;
};

enum class Protocol { Any, Tcp, Udp, Icmp, Esp, Gre };

// Connection tracking states, as a bit set.
enum CtState : unsigned { kInvalid = 1, kEstablished = 2, kRelated = 4, kNew = 8 };

enum class Verdict { None, Accept, Drop, Reject, Jump };

// The fields of a set's key, a concatenation in this order.
enum class Field { Saddr, Daddr, Sport, Dport };

// One element of a set: a range for each field of the key (the others are
// ignored).
struct Element {
  Prefix saddr{0, 0}, daddr{0, 0};
  PortRange sport{0, 65535}, dport{0, 65535};
  bool operator==(const Element&) const = default;
};

// A set of concatenations, at least two fields, elements that do not
// overlap (the kernel refuses overlapping ones). Where some element has a
// range (a network, a port range, a field it leaves open) it is a set of
// concatenated ranges (nftables "flags interval": the kernel's pipapo set);
// where all are single values, a hash set, which loads faster.
constexpr unsigned kDynamicSetSize = 65535;  // the most sources a dynamic set holds

struct Set {
  std::string name;
  std::vector<Field> key;
  std::vector<Element> elements;
  // A set the rules fill, not the compiler: source addresses (key Saddr),
  // each with the connections it has open (Rule::connectionsOver).
  bool dynamic = false;
  bool intervals() const;
  bool operator==(const Set&) const = default;
};

// nft's "limit rate [over] N/second|minute burst B packets".
struct Limit {
  unsigned rate = 0;
  bool perMinute = false;
  unsigned burst = 0;
  bool over = false;  // matches when the rate is exceeded
  bool operator==(const Limit&) const = default;
};

// TCP flag bits as in the header.
enum TcpFlag : std::uint8_t { kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10, kUrg = 0x20 };

struct Rule {
  std::string iif, oif;                 // meta iifname / oifname
  bool toLocal = false;                 // fib daddr type local: to one of the appliance's addresses
  std::optional<Prefix> saddr, daddr;   // ip saddr / daddr
  Protocol protocol = Protocol::Any;
  std::optional<PortRange> sport, dport;  // TCP or UDP only
  std::string set;                      // "": none; else the key's fields must be in this set
  std::optional<std::pair<std::uint8_t, std::uint8_t>> tcpFlags;  // (mask, value): flags & mask == value
  bool echoRequest = false;             // icmp type echo-request
  std::optional<std::uint32_t> longerThan;  // meta length > n (bytes of the IP packet)
  unsigned ctStates = 0;                // any of them; 0: no match on the state
  // IPsec: In, the packet came out of an SA (kernel ESP: "meta ipsec
  // exists"); NotIn, it did not ("meta ipsec missing"); Out, its route
  // sends it into one ("rt ipsec exists").
  enum class Ipsec { None, In, NotIn, Out } ipsec = Ipsec::None;
  // ct count over n: more connections than n went through this rule; with
  // `set` naming a dynamic set, more than n from the packet's source
  // ("add @set { ip saddr ct count over n }").
  std::optional<unsigned> connectionsOver;
  std::optional<Limit> limit;           // after the matches, before the log
  bool counter = false;                 // counts packets and bytes (readable with ruleCounters)
  std::string logPrefix;                // "": no log; else NFLOG with this prefix
  std::uint16_t logGroup = 0;
  bool dnatted = false;                 // ct status dnat: the connection was forwarded
  bool masquerade = false;              // a NAT rule: masquerade after the matches
  struct Destination {
    std::uint32_t address = 0;  // host order
    std::uint16_t port = 0;
    bool operator==(const Destination&) const = default;
  };
  std::optional<Destination> dnat;      // a NAT rule: send the connection there
  Verdict verdict = Verdict::None;
  std::string target;                   // Verdict::Jump: the chain
  std::string comment;
  bool operator==(const Rule&) const = default;
};

struct Chain {
  std::string name;
  // A base chain has a hook: type ("filter", "nat"), hook ("input",
  // "forward", "output", "postrouting"), priority and policy.
  std::string type, hook;
  int priority = 0;
  Verdict policy = Verdict::Accept;
  std::vector<Rule> rules;
  bool base() const { return !hook.empty(); }
  bool operator==(const Chain&) const = default;
};

struct Ruleset {
  std::string table = "bulwark";  // family inet
  std::vector<Set> sets;
  std::vector<Chain> chains;
  const Chain* chain(const std::string& name) const;
  const Set* findSet(const std::string& name) const;
  Chain* chain(const std::string& name);
  bool operator==(const Ruleset&) const = default;
};

// The ruleset in nft syntax (`nft -f` reads it back): a table definition
// that first deletes the table, so loading replaces it as a whole.
std::string toNft(const Ruleset& ruleset);

}  // namespace bulwark::firewall
