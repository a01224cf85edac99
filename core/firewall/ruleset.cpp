#include "firewall/ruleset.hpp"

#include <fmt/format.h>

namespace bulwark::firewall {

namespace {

std::string prefix(const Prefix& p) {
  return p.length == 32 ? ipv4Text(p.address) : fmt::format("{}/{}", ipv4Text(p.address), p.length);
}

std::string ports(const PortRange& r) {
  return r.from == r.to ? fmt::format("{}", r.from) : fmt::format("{}-{}", r.from, r.to);
}

std::string states(unsigned s) {
  std::vector<std::string> names;
  if (s & kInvalid) names.push_back("invalid");
  if (s & kEstablished) names.push_back("established");
  if (s & kRelated) names.push_back("related");
  if (s & kNew) names.push_back("new");
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) out += (i ? "," : "") + names[i];
  return out;
}

// nft's string syntax: printable ASCII in double quotes, no quote inside
// (the compiler only makes such texts; others become '?').
std::string quoted(const std::string& text) {
  std::string out = "\"";
  for (char c : text) out += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
  return out + "\"";
}

std::string verdictText(Verdict v) {
  switch (v) {
    case Verdict::Accept: return "accept";
    case Verdict::Drop: return "drop";
    default: return "";
  }
}

std::string fieldText(Field f, const char* l4) {
  switch (f) {
    case Field::Saddr: return "ip saddr";
    case Field::Daddr: return "ip daddr";
    case Field::Sport: return fmt::format("{} sport", l4 ? l4 : "th");
    case Field::Dport: return fmt::format("{} dport", l4 ? l4 : "th");
  }
  return "";
}

bool hasPorts(const Set* set) {
  if (!set) return false;
  for (Field f : set->key) {
    if (f == Field::Sport || f == Field::Dport) return true;
  }
  return false;
}

std::string element(const Set& set, const Element& e) {
  std::string out;
  for (Field f : set.key) {
    if (!out.empty()) out += " . ";
    switch (f) {
      case Field::Saddr: out += prefix(e.saddr); break;
      case Field::Daddr: out += prefix(e.daddr); break;
      case Field::Sport: out += ports(e.sport); break;
      case Field::Dport: out += ports(e.dport); break;
    }
  }
  return out;
}

std::string flagNames(std::uint8_t bits) {
  static const std::pair<std::uint8_t, const char*> kNames[] = {{kFin, "fin"}, {kSyn, "syn"}, {kRst, "rst"},
                                                                 {kPsh, "psh"}, {kAck, "ack"}, {kUrg, "urg"}};
  std::string out;
  for (auto [bit, name] : kNames) {
    if (bits & bit) out += (out.empty() ? "" : " | ") + std::string(name);
  }
  return out.empty() ? "0x0" : out;
}

std::string rule(const Rule& r, const Ruleset& rs) {
  std::vector<std::string> parts;
  const Set* set = r.set.empty() ? nullptr : rs.findSet(r.set);
  const Set* meter = set && set->dynamic ? set : nullptr;
  if (meter) set = nullptr;
  if (!r.iif.empty()) parts.push_back("iifname " + quoted(r.iif));
  if (!r.oif.empty()) parts.push_back("oifname " + quoted(r.oif));
  if (r.toLocal) parts.push_back("fib daddr type local");
  if (r.saddr) parts.push_back("ip saddr " + prefix(*r.saddr));
  if (r.daddr) parts.push_back("ip daddr " + prefix(*r.daddr));
  const char* l4 = nullptr;
  switch (r.protocol) {
    case Protocol::Any: break;
    case Protocol::Tcp: l4 = "tcp"; break;
    case Protocol::Udp: l4 = "udp"; break;
    case Protocol::Icmp:
      if (!r.echoRequest) parts.push_back("meta l4proto icmp");
      break;
    case Protocol::Esp: parts.push_back("meta l4proto esp"); break;
    case Protocol::Gre: parts.push_back("meta l4proto gre"); break;
  }
  if (l4 && !r.sport && !r.dport && !hasPorts(set) && !r.tcpFlags) parts.push_back(fmt::format("meta l4proto {}", l4));
  if (l4 && r.sport) parts.push_back(fmt::format("{} sport {}", l4, ports(*r.sport)));
  if (l4 && r.dport) parts.push_back(fmt::format("{} dport {}", l4, ports(*r.dport)));
  if (set) {
    std::string key;
    for (Field f : set->key) key += (key.empty() ? "" : " . ") + fieldText(f, l4);
    parts.push_back(fmt::format("{} @{}", key, set->name));
  }
  if (r.tcpFlags) {
    parts.push_back(fmt::format("tcp flags & ({}) == {}", flagNames(r.tcpFlags->first), flagNames(r.tcpFlags->second)));
  }
  if (r.echoRequest) parts.push_back("icmp type echo-request");
  if (r.longerThan) parts.push_back(fmt::format("meta length > {}", *r.longerThan));
  if (r.dnatted) parts.push_back("ct status dnat");
  if (r.ctStates) parts.push_back("ct state " + states(r.ctStates));
  if (r.ipsec == Rule::Ipsec::In) parts.push_back("meta ipsec exists");
  if (r.ipsec == Rule::Ipsec::NotIn) parts.push_back("meta ipsec missing");
  if (r.ipsec == Rule::Ipsec::Out) parts.push_back("rt ipsec exists");
  if (r.connectionsOver && meter) {
    parts.push_back(fmt::format("add @{} {{ ip saddr ct count over {} }}", meter->name, *r.connectionsOver));
  } else if (r.connectionsOver) {
    parts.push_back(fmt::format("ct count over {}", *r.connectionsOver));
  }
  if (r.limit) {
    parts.push_back(fmt::format("limit rate {}{}/{} burst {} packets", r.limit->over ? "over " : "", r.limit->rate,
                                r.limit->perMinute ? "minute" : "second", r.limit->burst));
  }
  if (r.counter) parts.push_back("counter");
  if (!r.logPrefix.empty()) parts.push_back(fmt::format("log prefix {} group {}", quoted(r.logPrefix), r.logGroup));
  if (r.masquerade) parts.push_back("masquerade");
  if (r.dnat) parts.push_back(fmt::format("dnat ip to {}:{}", ipv4Text(r.dnat->address), r.dnat->port));
  switch (r.verdict) {
    case Verdict::None: break;
    case Verdict::Accept:
    case Verdict::Drop: parts.push_back(verdictText(r.verdict)); break;
    case Verdict::Reject:
      parts.push_back(r.protocol == Protocol::Tcp ? "reject with tcp reset" : "reject with icmpx type port-unreachable");
      break;
    case Verdict::Jump: parts.push_back("jump " + r.target); break;
  }
  if (!r.comment.empty()) parts.push_back("comment " + quoted(r.comment));
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) out += (i ? " " : "") + parts[i];
  return out;
}

}  // namespace

const Chain* Ruleset::chain(const std::string& name) const {
  for (const Chain& c : chains) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

Chain* Ruleset::chain(const std::string& name) {
  for (Chain& c : chains) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

bool Set::intervals() const {
  for (const Element& e : elements) {
    for (Field f : key) {
      bool point = f == Field::Saddr   ? e.saddr.length == 32
                   : f == Field::Daddr ? e.daddr.length == 32
                   : f == Field::Sport ? e.sport.from == e.sport.to
                                       : e.dport.from == e.dport.to;
      if (!point) return true;
    }
  }
  return false;
}

const Set* Ruleset::findSet(const std::string& name) const {
  for (const Set& s : sets) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

std::string toNft(const Ruleset& ruleset) {
  std::string out = fmt::format("table inet {}\ndelete table inet {}\ntable inet {} {{\n", ruleset.table, ruleset.table,
                                ruleset.table);
  for (const Set& s : ruleset.sets) {
    if (s.dynamic) {
      out += fmt::format("\tset {} {{\n\t\ttype ipv4_addr\n\t\tsize {}\n\t\tflags dynamic\n\t}}\n", s.name,
                         kDynamicSetSize);
      continue;
    }
    std::string type;
    for (Field f : s.key) {
      type += std::string(type.empty() ? "" : " . ") + (f == Field::Saddr || f == Field::Daddr ? "ipv4_addr" : "inet_service");
    }
    out += fmt::format("\tset {} {{\n\t\ttype {}\n{}", s.name, type, s.intervals() ? "\t\tflags interval\n" : "");
    if (!s.elements.empty()) {
      out += "\t\telements = {";
      for (std::size_t i = 0; i < s.elements.size(); ++i) {
        out += fmt::format("{}\n\t\t\t{}", i ? "," : "", element(s, s.elements[i]));
      }
      out += " }\n";
    }
    out += "\t}\n";
  }
  for (const Chain& c : ruleset.chains) {
    out += fmt::format("\tchain {} {{\n", c.name);
    if (c.base()) {
      out += fmt::format("\t\ttype {} hook {} priority {}; policy {};\n", c.type, c.hook, c.priority,
                         verdictText(c.policy));
    }
    for (const Rule& r : c.rules) out += "\t\t" + rule(r, ruleset) + "\n";
    out += "\t}\n";
  }
  return out + "}\n";
}

}  // namespace bulwark::firewall
