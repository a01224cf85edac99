#include "firewall/compiler.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include <fmt/format.h>
#include <openssl/sha.h>

#include "common/ipv4.hpp"
#include "common/number.hpp"

namespace bulwark::firewall {

namespace {

constexpr std::size_t kMaxComment = 100;

// A comment as nft's syntax can carry it (and netlink gets the same text):
// printable ASCII without quotes or backslashes, at most 100 characters.
std::string commentOf(const std::string& text) {
  std::string out;
  for (char c : text.substr(0, kMaxComment)) out += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
  return out;
}

std::string cell(const config::Row& row, const char* name) {
  auto it = row.fields.find(name);
  return it == row.fields.end() ? std::string() : it->second.text;
}

const std::vector<config::Row> kNoRows;

// The rows of a table variable, none when it is not there.
const std::vector<config::Row>& rowsOf(const config::Value* table) { return table ? table->rows : kNoRows; }
// The rows of the table in `column` of a row.
const std::vector<config::Row>& innerRows(const config::Row& row, const char* column) {
  auto it = row.fields.find(column);
  return it == row.fields.end() ? kNoRows : it->second.rows;
}

// A network to match ("0.0.0.0/0": no match at all), host bits cleared.
Result<std::optional<Prefix>> parsePrefix(const std::string& text) {
  auto p = parseIpv4Prefix(text);
  if (!p) return Error{fmt::format("'{}' is not a network", text)};
  if (p->length == 0) return std::optional<Prefix>{};
  return std::optional<Prefix>{Prefix{p->network(), p->length}};
}

Result<std::optional<PortRange>> parsePorts(const std::string& text) {
  if (text.empty() || text == "any") return std::optional<PortRange>{};
  auto number = [](const std::string& t) -> std::optional<std::uint16_t> {
    auto v = toNumber<std::uint16_t>(t);
    return v && *v != 0 ? v : std::nullopt;
  };
  auto colon = text.find(':');
  auto from = number(text.substr(0, colon));
  auto to = colon == std::string::npos ? from : number(text.substr(colon + 1));
  if (!from || !to || *from > *to) return Error{fmt::format("'{}' is not a port or a range", text)};
  return std::optional<PortRange>{PortRange{*from, *to}};
}

// The protocols a rule row stands for: "all" with ports is TCP and UDP, two rules.
std::vector<Protocol> protocolsOf(const std::string& text, bool withPorts) {
  if (text == "tcp") return {Protocol::Tcp};
  if (text == "udp") return {Protocol::Udp};
  if (text == "icmp") return {Protocol::Icmp};
  if (text == "esp") return {Protocol::Esp};
  if (text == "gre") return {Protocol::Gre};
  if (withPorts) return {Protocol::Tcp, Protocol::Udp};
  return {Protocol::Any};
}

const char* actName(Verdict v) {
  switch (v) {
    case Verdict::Accept: return "ACCEPT";
    case Verdict::Reject: return "REJECT";
    default: return "DROP";
  }
}

Rule accept(std::string iif, Protocol protocol, std::optional<PortRange> dport, std::string comment) {
  Rule r;
  r.iif = std::move(iif);
  r.protocol = protocol;
  r.dport = dport;
  r.verdict = Verdict::Accept;
  r.comment = std::move(comment);
  return r;
}

// Packets from `iif` to `oif` go on in `chain`.
Rule jump(std::string iif, std::string oif, std::string chain) {
  Rule r;
  r.iif = std::move(iif);
  r.oif = std::move(oif);
  r.verdict = Verdict::Jump;
  r.target = std::move(chain);
  return r;
}

// A rule of a table and the row it came from.
struct Numbered {
  Rule rule;
  std::size_t row;
};

// Fewer rules of one protocol than this stay rules.
constexpr std::size_t kFoldMin = 8;

const char* protocolName(Protocol p) {
  switch (p) {
    case Protocol::Tcp: return "tcp";
    case Protocol::Udp: return "udp";
    case Protocol::Icmp: return "icmp";
    case Protocol::Esp: return "esp";
    case Protocol::Gre: return "gre";
    case Protocol::Any: return "all";
  }
  return "all";
}

PortRange rangeOf(Field f, const Element& e) { return f == Field::Sport ? e.sport : e.dport; }

std::pair<std::uint32_t, std::uint32_t> span(Field f, const Element& e) {
  if (f == Field::Saddr || f == Field::Daddr) {
    const Prefix& p = f == Field::Saddr ? e.saddr : e.daddr;
    return {p.network(), p.network() | ~p.mask()};
  }
  PortRange r = rangeOf(f, e);
  return {r.from, r.to};
}

// Whether no two elements overlap (the kernel refuses a set where they do):
// true when in some field of the key all their ranges are disjoint.
bool disjoint(const std::vector<Field>& key, const std::vector<Element>& elements) {
  for (Field f : key) {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> spans;
    spans.reserve(elements.size());
    for (const Element& e : elements) spans.push_back(span(f, e));
    std::sort(spans.begin(), spans.end());
    bool ok = true;
    for (std::size_t i = 1; i < spans.size() && ok; ++i) ok = spans[i].first > spans[i - 1].second;
    if (ok) return true;
  }
  return false;
}

// A run of rules with one verdict and no logging: their order does not
// matter, so the rules of each protocol become one lookup in a set of
// concatenated ranges where there are enough of them and the ranges allow
// it (reference rows stay countable in the comment `fw show` prints).
void fold(const std::vector<Numbered>& run, const std::string& table, const std::string& chain, Chain& c,
          std::vector<Set>& sets) {
  std::map<Protocol, std::vector<const Numbered*>> groups;
  for (const Numbered& n : run) groups[n.rule.protocol].push_back(&n);
  std::map<Protocol, Rule> folded;
  for (auto& [protocol, members] : groups) {
    if (members.size() < kFoldMin) continue;
    bool ports = protocol == Protocol::Tcp || protocol == Protocol::Udp;
    bool has[4] = {};
    for (const Numbered* n : members) {
      has[0] |= n->rule.saddr.has_value();
      has[1] |= n->rule.daddr.has_value();
      has[2] |= ports && n->rule.sport.has_value();
      has[3] |= ports && n->rule.dport.has_value();
    }
    // A set's key has an IPv4 address field; rows without any address also
    // match IPv6 as rules, so they stay rules.
    if (!has[0] && !has[1]) continue;
    std::vector<Field> key;
    for (int i = 0; i < 4; ++i) {
      if (has[i]) key.push_back(static_cast<Field>(i));
    }
    // The kernel's set of concatenated ranges needs two fields: an address
    // that matches everything makes up the number.
    if (key.size() < 2) key.insert(has[0] ? key.begin() + 1 : key.begin(), has[0] ? Field::Daddr : Field::Saddr);
    Set set;
    set.name = fmt::format("{}-{}-{}", chain, members.front()->row, protocolName(protocol));
    set.key = key;
    for (const Numbered* n : members) {
      Element e;
      if (n->rule.saddr) e.saddr = *n->rule.saddr;
      if (n->rule.daddr) e.daddr = *n->rule.daddr;
      if (n->rule.sport) e.sport = *n->rule.sport;
      if (n->rule.dport) e.dport = *n->rule.dport;
      set.elements.push_back(e);
    }
    auto order = [](const Element& e) {
      return std::tuple(e.saddr.address, e.saddr.length, e.daddr.address, e.daddr.length, e.sport.from, e.sport.to,
                        e.dport.from, e.dport.to);
    };
    std::sort(set.elements.begin(), set.elements.end(),
              [&](const Element& a, const Element& b) { return order(a) < order(b); });
    set.elements.erase(std::unique(set.elements.begin(), set.elements.end()), set.elements.end());
    if (!disjoint(set.key, set.elements)) continue;
    Rule r;
    r.protocol = protocol;
    r.set = set.name;
    r.verdict = members.front()->rule.verdict;
    r.comment = fmt::format("{} rows {}-{}: {} rules as one set lookup", table, members.front()->row,
                            members.back()->row, members.size());
    folded[protocol] = std::move(r);
    sets.push_back(std::move(set));
  }
  for (const Numbered& n : run) {
    auto it = folded.find(n.rule.protocol);
    if (it == folded.end()) {
      c.rules.push_back(n.rule);
    } else if (&n == groups[n.rule.protocol].front()) {
      c.rules.push_back(it->second);
    }
  }
}

// A rule row's TARGET (no TARGET: accept), LOG ("<logName>-<number>-<id>
// act=X") and COMMENT on `r`.
void decide(const config::Row& row, const std::string& logName, std::size_t number, const std::string& id, Rule& r) {
  std::string target = cell(row, "TARGET");
  r.verdict = target == "drop" ? Verdict::Drop : target == "reject" ? Verdict::Reject : Verdict::Accept;
  if (cell(row, "LOG") == "yes") {
    r.logPrefix = fmt::format("{}-{}-{} act={}", logName, number, id, actName(r.verdict));
    r.logGroup = kLogGroup;
  }
  r.comment = commentOf(cell(row, "COMMENT"));
}

// One row of a rule table as a rule, its protocol still to expand with
// protocolsOf(proto, ports); `source`, when given, instead of SRC_IP (the
// user firewall). Rows without TARGET accept.
struct RowRule {
  Rule rule;
  std::string proto;
  bool ports = false;
};

Result<RowRule> rowRule(const config::Row& row, const std::optional<Prefix>* source, const std::string& logName,
                        std::size_t number, const std::string& id) {
  RowRule out;
  Rule& r = out.rule;
  if (source) {
    r.saddr = *source;
  } else {
    auto saddr = parsePrefix(cell(row, "SRC_IP"));
    if (!saddr) return Error{saddr.error()};
    r.saddr = *saddr;
  }
  auto daddr = parsePrefix(cell(row, "DST_IP"));
  auto sports = parsePorts(cell(row, "SRC_PORT"));
  auto dports = parsePorts(cell(row, "DST_PORT"));
  if (!daddr) return Error{daddr.error()};
  if (!sports) return Error{sports.error()};
  if (!dports) return Error{dports.error()};
  r.daddr = *daddr;
  r.sport = *sports;
  r.dport = *dports;
  out.proto = cell(row, "PROTO");
  out.ports = r.sport || r.dport;
  if (out.ports && out.proto != "all" && out.proto != "tcp" && out.proto != "udp" && !out.proto.empty()) {
    return Error{fmt::format("ports need TCP or UDP, not {}", out.proto)};
  }
  decide(row, logName, number, id, r);
  return out;
}

// The rows of a rule table (FW_INCOMING, a rule record's SET) as rules
// appended to `c`, logged as "<logName>-<row>-<id> act=X"; runs that fold
// become sets named "<logName>-<first row>-<protocol>". `where` names the
// table in errors and comments.
Status tableRules(const std::vector<config::Row>& rows, const std::string& where, const std::string& logName,
                  const std::string& id, Chain& c, std::vector<Set>& sets) {
  std::vector<Numbered> run;  // foldable rules since the last rule that is not
  auto flush = [&] {
    fold(run, where, logName, c, sets);
    run.clear();
  };
  std::size_t number = 0;
  for (const config::Row& row : rows) {
    ++number;
    auto fail = [&](const std::string& why) { return Error{fmt::format("{}:{}: {}", where, number - 1, why)}; };
    auto made = rowRule(row, nullptr, logName, number, id);
    if (!made) return fail(made.error());
    auto& [r, proto, ports] = *made;
    bool foldable = r.logPrefix.empty();
    if (!foldable || (!run.empty() && run.back().rule.verdict != r.verdict)) flush();
    for (Protocol p : protocolsOf(proto, ports)) {
      r.protocol = p;
      if (foldable) {
        run.push_back({r, number});
      } else {
        c.rules.push_back(r);
      }
    }
  }
  flush();
  return {};
}

// The rules of FW_INCOMING or FW_OUTGOING as the chain `chain`, ending in a drop.
// The rows of a rule table as the chain `chain`, logged with the log id
// `id`, ending in a drop, logged when `logDefault`.
Result<Chain> tableChain(const std::vector<config::Row>& rows, const std::string& where, const std::string& chain,
                         const std::string& id, bool logDefault, std::vector<Set>& sets) {
  Chain c;
  c.name = chain;
  if (Status s = tableRules(rows, where, chain, id, c, sets); !s) return Error{s.message()};
  Rule last;
  last.verdict = Verdict::Drop;
  if (logDefault) {
    last.logPrefix = fmt::format("{}-0-{} act=DROP", chain, id);
    last.logGroup = kLogGroup;
  }
  c.rules.push_back(std::move(last));
  return c;
}

Result<Chain> ruleTable(const config::Config& config, const std::string& table, const std::string& chain,
                        const std::string& logDefault, std::vector<Set>& sets) {
  return tableChain(rowsOf(config.find(table)), table, chain, logId(config, table), config.get(logDefault) == "yes",
                    sets);
}

// Row ids name chains and log prefixes: letters, digits, '_' and '-' only.
bool plainId(const std::string& id) {
  // 40 characters keep "fw-ruleset_<id>-<row>-<log id> act=ACCEPT" within
  // the kernel's 127 of a log prefix.
  return !id.empty() && id.size() <= 40 &&
         id.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") == std::string::npos;
}

// FW_RULESETS: a chain of each record's rules (falling through when none
// matches) and the dispatch chain jumping to the active ones.
Status ruleRecords(const config::Config& config, const State& state, Ruleset& rs) {
  std::size_t index = 0;
  for (const config::Row& record : rowsOf(config.find("FW_RULESETS"))) {
    ++index;
    if (!plainId(record.id)) return Error{fmt::format("FW_RULESETS:{}: the row id '{}' is not usable", index - 1, record.id)};
    Chain c;
    c.name = recordChain(record.id);
    auto set = record.fields.find("SET");
    if (set != record.fields.end()) {
      std::string where = fmt::format("FW_RULESETS:{}.SET", index - 1);
      if (Status s = tableRules(set->second.rows, where, c.name, recordLogId(record), c, rs.sets); !s) return s;
    }
    rs.chains.push_back(std::move(c));
  }
  rs.chains.push_back(recordDispatch(config, state));
  return {};
}

// A chain that logs what reaches it, at most `perSecond` lines a second
// (a burst of bad packets must not flood the log), and drops it.
Chain dropChain(const std::string& name, const std::string& prefix, unsigned perSecond) {
  Chain c;
  c.name = name;
  Rule log;
  log.limit = Limit{perSecond, false, perSecond, false};
  log.logPrefix = prefix;
  log.logGroup = kLogGroup;
  c.rules.push_back(std::move(log));
  Rule drop;
  drop.verdict = Verdict::Drop;
  c.rules.push_back(std::move(drop));
  return c;
}

Rule jumpTo(Rule match, std::string chain) {
  match.verdict = Verdict::Jump;
  match.target = std::move(chain);
  return match;
}

// A whole decimal number of the configuration, 0 when the text is none.
unsigned positive(const std::string& text) { return toNumber<unsigned>(text).value_or(0); }

// Log lines a second of the checks below (the floods: one, reference 4.4.16).
constexpr unsigned kCheckLines = 10;

// Connections at once from one address on the external side to the web
// server and to SSH (4.4.4, "fw-throttle"): a few browsers' worth, and more
// sessions than the roles' limits allow, so that only a flood is cut.
// Counted per source, so that one host cannot take every other's turn.
constexpr unsigned kThrottleHttps = 32;
constexpr unsigned kThrottleSsh = 10;

// The checks of reference 4.4.5-4.4.7 and 4.4.16-4.4.18 at the head of the
// input or forward chain (`hook`), before established connections are
// accepted (a ping's echo requests after the first are "established"):
// anti-spoofing (4.4.5: a source of the network of another interface than
// the one the packet came in on; checked on the external port, refusing
// the internal and DMZ networks and loopback, and on the DMZ port,
// refusing the internal networks and loopback), invalid connection
// tracking, the consistency checks (FW_CONSISTENCY_CHECKS), SYN and ICMP
// echo floods per direction (DOS_*_MAX; each hook counts its own packets)
// and the largest echo request (FW_ICMP_MAXLEN). Each jumps to a chain
// that logs and drops; `chains` gets those the first time.
Status checks(const config::Config& config, const Interfaces& ifs, const std::string& hook, Chain& c,
              std::vector<Chain>& chains) {
  auto add = [&](Chain chain) {
    for (const Chain& have : chains) {
      if (have.name == chain.name) return;
    }
    chains.push_back(std::move(chain));
  };
  add(dropChain("fw-antispoofing-ext1", "fw-antispoofing-ext1-0- act=DROP", kCheckLines));
  auto networks = [&](const char* name, std::vector<Prefix>& out) -> Status {
    if (const config::Value* table = config.find(name)) {
      for (const config::Row& row : table->rows) {
        auto p = parseIpv4Prefix(cell(row, "ADDRESS"));
        if (!p) return Error{fmt::format("{}: '{}' is not a network", name, cell(row, "ADDRESS"))};
        out.push_back(Prefix{p->network(), p->length});
      }
    }
    return {};
  };
  std::vector<Prefix> inside{Prefix{0x7f000000, 8}};
  if (Status s = networks("INT_ADDRESSES", inside); !s) return s;
  // The external port refuses the DMZ's networks too (a board without a DMZ
  // port has none).
  std::vector<Prefix> outside = inside;
  if (!ifs.dmz.empty()) {
    if (Status s = networks("DMZ_ADDRESSES", outside); !s) return s;
  }
  for (const Prefix& p : outside) {
    Rule r;
    r.iif = ifs.external;
    r.saddr = p;
    c.rules.push_back(jumpTo(r, "fw-antispoofing-ext1"));
  }
  if (!ifs.dmz.empty()) {
    add(dropChain("fw-antispoofing-dmz", "fw-antispoofing-dmz-0- act=DROP", kCheckLines));
    for (const Prefix& p : inside) {
      Rule r;
      r.iif = ifs.dmz;
      r.saddr = p;
      c.rules.push_back(jumpTo(r, "fw-antispoofing-dmz"));
    }
  }
  Rule invalid;
  invalid.ctStates = kInvalid;
  add(dropChain("fw-invalid-" + hook, fmt::format("fw-invalid-{}-0- act=DROP", hook), kCheckLines));
  c.rules.push_back(jumpTo(invalid, "fw-invalid-" + hook));
  if (config.get("FW_CONSISTENCY_CHECKS") == "yes") {
    std::string unclean = "fw-unclean-" + hook;
    add(dropChain(unclean, fmt::format("fw-unclean-{}-0- act=DROP", hook), kCheckLines));
    // Flags no TCP stack sends together or alone, and port 0.
    for (auto [mask, value] : std::initializer_list<std::pair<std::uint8_t, std::uint8_t>>{
             {kSyn | kFin, kSyn | kFin}, {kSyn | kRst, kSyn | kRst}, {kFin | kRst, kFin | kRst},
             {kFin | kAck, kFin}, {kPsh | kAck, kPsh}, {kUrg | kAck, kUrg},
             {kFin | kSyn | kRst | kPsh | kAck | kUrg, 0}}) {
      Rule r;
      r.protocol = Protocol::Tcp;
      r.tcpFlags = {mask, value};
      c.rules.push_back(jumpTo(r, unclean));
    }
    for (Protocol p : {Protocol::Tcp, Protocol::Udp}) {
      for (bool source : {true, false}) {
        Rule r;
        r.protocol = p;
        (source ? r.sport : r.dport) = PortRange{0, 0};
        c.rules.push_back(jumpTo(r, unclean));
      }
    }
  }
  add(dropChain("fw-SYN-flood", "fw-SYN-flood act=DROP", 1));
  add(dropChain("fw-ICMP-flood", "fw-ICMP-flood act=DROP", 1));
  // The DMZ side counts as an inside one, with the same limits.
  std::vector<std::tuple<std::string, const char*, const char*>> sides{
      {ifs.external, "DOS_SYN_IN_MAX", "DOS_ICMP_IN_MAX"}, {ifs.internal, "DOS_SYN_OUT_MAX", "DOS_ICMP_OUT_MAX"}};
  if (!ifs.dmz.empty()) sides.emplace_back(ifs.dmz, "DOS_SYN_OUT_MAX", "DOS_ICMP_OUT_MAX");
  for (const auto& [iif, syn, icmp] : sides) {
    unsigned synMax = positive(config.get(syn)), icmpMax = positive(config.get(icmp));
    if (synMax == 0 || icmpMax == 0) return Error{fmt::format("{} and {} must be 1 or more", syn, icmp)};
    Rule r;
    r.iif = iif;
    r.protocol = Protocol::Tcp;
    r.tcpFlags = {kSyn | kAck, kSyn};
    r.ctStates = kNew;
    r.limit = Limit{synMax, false, synMax, true};
    c.rules.push_back(jumpTo(r, "fw-SYN-flood"));
    Rule echo;
    echo.iif = iif;
    echo.protocol = Protocol::Icmp;
    echo.echoRequest = true;
    echo.limit = Limit{icmpMax, false, icmpMax, true};
    c.rules.push_back(jumpTo(echo, "fw-ICMP-flood"));
  }
  unsigned maxlen = positive(config.get("FW_ICMP_MAXLEN"));
  if (maxlen == 0) return Error{"FW_ICMP_MAXLEN is not a size"};
  add(dropChain("fw-ICMP-maxlen", "fw-ICMP-maxlen act=DROP", kCheckLines));
  Rule big;
  big.protocol = Protocol::Icmp;
  big.echoRequest = true;
  big.longerThan = maxlen;
  c.rules.push_back(jumpTo(big, "fw-ICMP-maxlen"));
  return {};
}

// Remote access to the web management and SSH (4.4.8): connections beyond
// kThrottle* at once from the external side jump to fw-throttle (4.4.4);
// then the rows of HTTPS_REMOTE_ACCESS_RULES / SSH_REMOTE_ACCESS_RULES in
// order, those of the external interface only with HTTPS_REMOTE_ACCESS /
// SSH_REMOTE_ACCESS, logged as "fw-https-access-<row>-<log id> act=X"
// ("vpn": out of an IPsec tunnel, by either way it arrives; "dmz": only on
// a board with a DMZ port). What no row decides: the internal side is let in
// after these rules, the others are not.
Status remoteAccess(const config::Config& config, const Interfaces& ifs, PortRange https, Chain& input,
                    std::vector<Chain>& chains, std::vector<Set>& sets) {
  bool throttled = false;
  for (auto [allowed, table, name, port, most, meter] :
       {std::tuple{"HTTPS_REMOTE_ACCESS", "HTTPS_REMOTE_ACCESS_RULES", "fw-https-access", https, kThrottleHttps,
                   "fw-throttle-https"},
        std::tuple{"SSH_REMOTE_ACCESS", "SSH_REMOTE_ACCESS_RULES", "fw-ssh-access", PortRange{22, 22}, kThrottleSsh,
                   "fw-throttle-ssh"}}) {
    bool remote = config.get(allowed) == "yes";
    if (remote) {
      Set sources;
      sources.name = meter;
      sources.key = {Field::Saddr};
      sources.dynamic = true;
      sets.push_back(std::move(sources));
      Rule over = accept(ifs.external, Protocol::Tcp, port, allowed);
      over.ctStates = kNew;
      over.ipsec = Rule::Ipsec::NotIn;
      over.set = meter;
      over.connectionsOver = most;
      input.rules.push_back(jumpTo(over, "fw-throttle"));
      if (!throttled) chains.push_back(dropChain("fw-throttle", "fw-throttle-0- act=DROP", kCheckLines));
      throttled = true;
    }
    const config::Value* rows = config.find(table);
    if (!rows) continue;
    std::string id = logId(config, table);
    std::size_t number = 0;
    for (const config::Row& row : rows->rows) {
      ++number;
      auto from = parsePrefix(cell(row, "FROM_IP"));
      if (!from) return Error{fmt::format("{}:{}: {}", table, number - 1, from.error())};
      Rule r;
      r.saddr = *from;
      r.protocol = Protocol::Tcp;
      r.dport = port;
      r.ctStates = kNew;
      decide(row, name, number, id, r);
      std::string where = cell(row, "INTERFACE");
      if (where == "vpn") {
        Rule device = r;
        r.ipsec = Rule::Ipsec::In;
        device.iif = kIpsecDevice;
        input.rules.push_back(std::move(r));
        input.rules.push_back(std::move(device));
        continue;
      }
      // Kernel ESP keeps the external port as a tunnel packet's: "external"
      // means not out of an IPsec SA.
      if (where != "internal" && where != "dmz") r.ipsec = Rule::Ipsec::NotIn;
      r.iif = where == "internal" ? ifs.internal : where == "dmz" ? ifs.dmz : remote ? ifs.external : std::string();
      if (!r.iif.empty()) input.rules.push_back(std::move(r));
    }
  }
  return {};
}

// A port forwarding table (NAT_PORT_FORWARDING, an OpenVPN connection's
// PORT_FORWARDING): for each row a prerouting DNAT rule of packets arriving
// on `iif` and a forward accept to the internal port, logged with LOG as
// "<logName>-<row>-<id> act=ACCEPT". `where` names the table in errors.
Status portForwarding(const std::vector<config::Row>& rows, const std::string& where, const std::string& logName,
                      const std::string& id, const std::string& iif, const Interfaces& ifs, Chain& prerouting,
                      Chain& forward) {
  std::size_t number = 0;
  for (const config::Row& row : rows) {
    ++number;
    auto fail = [&](const std::string& why) { return Error{fmt::format("{}:{}: {}", where, number - 1, why)}; };
    auto saddr = parsePrefix(cell(row, "SRC_IP"));
    auto sport = parsePorts(cell(row, "SRC_PORT"));
    auto in = parsePorts(cell(row, "IN_PORT"));
    auto to = parsePorts(cell(row, "TO_PORT"));
    auto target = parseIpv4(cell(row, "TO_IP"));
    if (!saddr) return fail(saddr.error());
    if (!sport) return fail(sport.error());
    if (!in || !*in || (*in)->from != (*in)->to) return fail("IN_PORT must be one port");
    if (!to || (*to && (*to)->from != (*to)->to)) return fail("TO_PORT must be one port");
    if (!target) return fail("TO_IP is not an address");
    Protocol protocol = cell(row, "PROTO") == "udp" ? Protocol::Udp : Protocol::Tcp;
    std::uint16_t port = *to ? (*to)->from : (*in)->from;
    Rule nat;
    nat.iif = iif;
    nat.toLocal = true;  // to the appliance, not through it
    if (iif == ifs.external) nat.ipsec = Rule::Ipsec::NotIn;
    nat.saddr = *saddr;
    nat.protocol = protocol;
    nat.sport = *sport;
    nat.dport = *in;
    nat.dnat = Rule::Destination{*target, port};
    nat.comment = commentOf(cell(row, "COMMENT"));
    prerouting.rules.push_back(nat);
    Rule pass;
    pass.iif = iif;
    pass.oif = ifs.internal;
    pass.saddr = *saddr;
    pass.daddr = Prefix{*target, 32};
    pass.protocol = protocol;
    pass.dport = PortRange{port, port};
    pass.dnatted = true;
    if (cell(row, "LOG") == "yes") {
      pass.logPrefix = fmt::format("{}-{}-{} act=ACCEPT", logName, number, id);
      pass.logGroup = kLogGroup;
    }
    pass.verdict = Verdict::Accept;
    pass.comment = nat.comment;
    forward.rules.push_back(std::move(pass));
  }
  return {};
}

}  // namespace

namespace {

// "\n<id>\t<name>=<value>..." for a row and its tables' rows (appends,
// not formats: this runs for every cell of a 50,000-row table).
void rowText(const config::Row& row, std::string& text) {
  text += '\n';
  text += row.id;
  for (const auto& [name, v] : row.fields) {  // a sorted map
    text += '\t';
    text += name;
    text += '=';
    text += v.text;
    for (const config::Row& inner : v.rows) rowText(inner, text);
  }
}

std::string hashId(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  std::string hex;
  for (int i = 0; i < 16; ++i) hex += fmt::format("{:02x}", digest[i]);
  return fmt::format("{}-{}-{}-{}-{}", hex.substr(0, 8), hex.substr(8, 4), hex.substr(12, 4), hex.substr(16, 4),
                     hex.substr(20, 12));
}

// The log id of `rows` under the name `head`.
std::string idOf(std::string head, const std::vector<config::Row>& rows) {
  for (const config::Row& row : rows) rowText(row, head);
  return hashId(head);
}

}  // namespace

std::string logId(const config::Config& config, std::string_view table) {
  return idOf(std::string(table), rowsOf(config.find(std::string(table))));
}

std::string recordLogId(const config::Row& record) { return idOf("FW_RULESETS", {record}); }

std::string recordChain(const std::string& rowid) { return "fw-ruleset_" + rowid; }

State initialState(const config::Config& config) {
  State state;
  if (const config::Value* records = config.find("FW_RULESETS")) {
    for (const config::Row& record : records->rows) {
      if (cell(record, "INITIAL_STATE") == "active") state.activeRecords.insert(record.id);
    }
  }
  return state;
}

namespace {


// A template's rules for a login from `address` (also used with address 0
// to check a template when nobody is logged in).
Status templateRules(const config::Row& tmpl, std::size_t index, std::uint32_t address, Chain& c) {
  std::string where = fmt::format("USERFW_TEMPLATE:{}", index);
  if (!plainId(tmpl.id)) return Error{fmt::format("{}: the row id '{}' is not usable", where, tmpl.id)};
  std::string source = cell(tmpl, "TEMPLATE_SRC_IP");
  std::optional<Prefix> from = Prefix{address, 32};
  if (!source.empty() && source != "%authorized_ip") {
    auto p = parsePrefix(source);
    if (!p) return Error{fmt::format("{}.TEMPLATE_SRC_IP: {}", where, p.error())};
    from = *p;
  }
  std::string id = idOf("USERFW_TEMPLATE", {tmpl});
  std::string logName = "fw-ufw_" + tmpl.id;
  std::size_t number = 0;
  for (const config::Row& row : innerRows(tmpl, "TEMPLATE_RULE")) {
    ++number;
    auto fail = [&](const std::string& why) {
      return Error{fmt::format("{}.TEMPLATE_RULE:{}: {}", where, number - 1, why)};
    };
    auto made = rowRule(row, &from, logName, number, id);
    if (!made) return fail(made.error());
    auto& [r, proto, ports] = *made;
    for (Protocol p : protocolsOf(proto, ports)) {
      r.protocol = p;
      c.rules.push_back(r);
    }
  }
  return {};
}

// A rule table inside a row (a VPN connection's FW_INCOMING) as the chain
// `chain`: its rules, logged as "<chain>-<row>-<log id> act=X", and a drop
// logged with the row's `logDefault`.
Result<Chain> innerTable(const config::Row& row, const std::string& where, const char* table, const char* logDefault,
                         const std::string& chain, std::vector<Set>& sets) {
  const std::vector<config::Row>& rows = innerRows(row, table);
  // Named by the row, not its place: moving the row keeps its log ids.
  std::string id = idOf(fmt::format("{}.{}.{}", where.substr(0, where.find(':')), row.id, table), rows);
  return tableChain(rows, fmt::format("{}.{}", where, table), chain, id, cell(row, logDefault) == "yes", sets);
}

// The VPN connections' firewalls (4.4.14, 4.4.15). Each IPsec connection
// (VPN_CONNECTION, enabled or not: nph-vpn.cgi may start it) has the chains
// fw-vpn-in_<ROWID>, for connections from its remote networks, and
// fw-vpn-out_<ROWID>, into them, from its FW_INCOMING and FW_OUTGOING rows,
// each ending in a drop. A packet reaches them through its tunnel's jumps:
// from REMOTE_NET to LOCAL_NET when it came out of an IPsec SA (kernel ESP:
// it carries the SA, "meta ipsec exists"; charon's own ESP,
// kernel-libipsec: it arrives on ipsec0), the other way when its route
// leads into one ("rt ipsec exists", or out of ipsec0). Each OpenVPN
// connection (OPENVPN_CONNECTION) is the device openvpnDevice() names:
// fw-openvpn-in_<ROWID> for what arrives on it, fw-openvpn-out_<ROWID> for
// what leaves through it, and its PORT_FORWARDING rows as DNAT of what
// arrives on it, logged as fw-openvpn-portfw_<ROWID>.
// A VPN connection's two chains, fw-<kind>-in_<ROWID> and
// fw-<kind>-out_<ROWID>, from its FW_INCOMING and FW_OUTGOING rows.
Status connectionChains(const config::Row& row, const std::string& where, const std::string& kind,
                        std::vector<Chain>& chains, std::vector<Set>& sets) {
  if (!plainId(row.id)) return Error{fmt::format("{}: the row id '{}' is not usable", where, row.id)};
  for (auto [table, logDefault, direction] : {std::tuple{"FW_INCOMING", "FW_INCOMING_LOG_DEFAULT", "in"},
                                              std::tuple{"FW_OUTGOING", "FW_OUTGOING_LOG_DEFAULT", "out"}}) {
    auto chain = innerTable(row, where, table, logDefault, fmt::format("fw-{}-{}_{}", kind, direction, row.id), sets);
    if (!chain) return Error{chain.error()};
    chains.push_back(std::move(*chain));
  }
  return {};
}

Status vpnFirewalls(const config::Config& config, const Interfaces& ifs, const State& state, Chain& prerouting,
                    Chain& forward, std::vector<Chain>& chains, std::vector<Rule>& jumps, std::vector<Set>& sets) {
  const std::vector<config::Row>& ipsec = rowsOf(config.find("VPN_CONNECTION"));
  std::size_t index = 0;
  for (const config::Row& row : ipsec) {
    if (Status s = connectionChains(row, fmt::format("VPN_CONNECTION:{}", index++), "vpn", chains, sets); !s) return s;
  }
  auto tunnels = vpnTunnels(config);
  if (!tunnels) return Error{tunnels.error()};
  auto net = [](const Prefix& p) { return p.length ? std::optional<Prefix>(p) : std::nullopt; };
  for (const VpnTunnel& tunnel : *tunnels) {
    std::string comment = commentOf(fmt::format("{} tunnel {}", tunnel.name, tunnel.tunnel));
    for (bool device : {false, true}) {
      Rule from;
      from.saddr = net(tunnel.remote);
      from.daddr = net(tunnel.local);
      Rule to;
      to.saddr = net(tunnel.local);
      to.daddr = net(tunnel.remote);
      if (device) {
        from.iif = to.oif = kIpsecDevice;
      } else {
        from.ipsec = Rule::Ipsec::In;
        to.ipsec = Rule::Ipsec::Out;
      }
      from.comment = to.comment = comment;
      jumps.push_back(jumpTo(from, "fw-vpn-in_" + tunnel.connection));
      jumps.push_back(jumpTo(to, "fw-vpn-out_" + tunnel.connection));
    }
  }
  // What an enabled (or started) connection's tunnel should carry but does
  // not go into an SA (the SA is not up yet, or down) is dropped as the
  // connection's outgoing rules drop, not sent out in clear text and
  // masqueraded. A connection that is off leaves its networks to the
  // other rules (a disabled "everything through the tunnel" connection
  // must not cut the LAN off).
  for (const VpnTunnel& tunnel : *tunnels) {
    const config::Row* row = nullptr;
    for (const config::Row& r : ipsec) {
      if (r.id == tunnel.connection) row = &r;
    }
    if (!row || (cell(*row, "ENABLED") != "yes" && !state.startedVpns.contains(row->id))) continue;
    const Chain* out = nullptr;
    for (const Chain& c : chains) {
      if (c.name == "fw-vpn-out_" + tunnel.connection) out = &c;
    }
    Rule leak = out->rules.back();  // the chain's drop, logged with FW_OUTGOING_LOG_DEFAULT
    leak.saddr = net(tunnel.local);
    leak.daddr = net(tunnel.remote);
    leak.comment = commentOf(fmt::format("{} tunnel {}: not in clear text", tunnel.name, tunnel.tunnel));
    jumps.push_back(std::move(leak));
  }
  index = 0;
  for (const config::Row& row : rowsOf(config.find("OPENVPN_CONNECTION"))) {
    std::string where = fmt::format("OPENVPN_CONNECTION:{}", index);
    std::string device = openvpnDevice(index++);
    if (Status s = connectionChains(row, where, "openvpn", chains, sets); !s) return s;
    const std::vector<config::Row>& forwarded = innerRows(row, "PORT_FORWARDING");
    if (Status s = portForwarding(forwarded, where + ".PORT_FORWARDING", "fw-openvpn-portfw_" + row.id,
                                  idOf(fmt::format("OPENVPN_CONNECTION.{}.PORT_FORWARDING", row.id), forwarded),
                                  device, ifs, prerouting, forward);
        !s) {
      return s;
    }
    jumps.push_back(jump(device, "", "fw-openvpn-in_" + row.id));
    jumps.push_back(jump("", device, "fw-openvpn-out_" + row.id));
  }
  return {};
}

}  // namespace

namespace {

// A tunnel's networks as written in the configuration, and where.
struct TunnelNets {
  std::string id, local, remote, localAt, remoteAt;
};

// The tunnels charon is given for the connection `row` (the `index`th): its
// TUNNEL rows, or with mode configuration (MODECFG server) one tunnel
// "<ROWID>-modecfg" from each local network to MODECFG_REMOTE_POOL, in
// which the peers' addresses are.
std::vector<TunnelNets> tunnelNets(const config::Row& row, std::size_t index) {
  std::vector<TunnelNets> out;
  std::string at = fmt::format("VPN_CONNECTION:{}.", index);
  if (cell(row, "MODECFG") == "server") {
    std::string pool = cell(row, "MODECFG_REMOTE_POOL"), poolAt = at + "MODECFG_REMOTE_POOL";
    if (cell(row, "MODECFG_LOCAL") != "table") {
      out.push_back({row.id + "-modecfg", cell(row, "MODECFG_LOCAL_NET"), pool, at + "MODECFG_LOCAL_NET", poolAt});
      return out;
    }
    const std::vector<config::Row>& nets = innerRows(row, "MODECFG_LOCAL_NETS");
    for (std::size_t j = 0; j < nets.size(); ++j) {
      out.push_back({row.id + "-modecfg", cell(nets[j], "NETWORK"), pool,
                     fmt::format("{}MODECFG_LOCAL_NETS:{}.NETWORK", at, j), poolAt});
    }
    return out;
  }
  const std::vector<config::Row>& tunnels = innerRows(row, "TUNNEL");
  for (std::size_t j = 0; j < tunnels.size(); ++j) {
    std::string tunnelAt = fmt::format("{}TUNNEL:{}.", at, j);
    out.push_back({tunnels[j].id, cell(tunnels[j], "LOCAL_NET"), cell(tunnels[j], "REMOTE_NET"),
                   tunnelAt + "LOCAL_NET", tunnelAt + "REMOTE_NET"});
  }
  return out;
}

}  // namespace

Result<std::vector<VpnTunnel>> vpnTunnels(const config::Config& config) {
  std::vector<VpnTunnel> out;
  const config::Value* table = config.find("VPN_CONNECTION");
  if (!table) return out;
  for (std::size_t i = 0; i < table->rows.size(); ++i) {
    const config::Row& row = table->rows[i];
    for (const TunnelNets& nets : tunnelNets(row, i)) {
      VpnTunnel t{row.id, nets.id, cell(row, "VPN_NAME"), {}, {}};
      for (auto [text, at, net] : {std::tuple{&nets.local, &nets.localAt, &t.local},
                                   std::tuple{&nets.remote, &nets.remoteAt, &t.remote}}) {
        auto p = parsePrefix(*text);
        if (!p) return Error{fmt::format("{}: {}", *at, p.error())};
        *net = p->value_or(Prefix{0, 0});
      }
      out.push_back(std::move(t));
    }
  }
  return out;
}

std::string openvpnDevice(std::size_t index) { return fmt::format("tun{}", index); }

bool templateListsUser(const config::Row& tmpl, const std::string& user) {
  auto users = tmpl.fields.find("TEMPLATE_USERS");
  if (users == tmpl.fields.end()) return false;
  for (const config::Row& row : users->second.rows) {
    if (cell(row, "USERNAME") == user) return true;
  }
  return false;
}

Result<Chain> userFirewall(const config::Config& config, const State& state, std::vector<std::size_t>* owners) {
  Chain c;
  c.name = kUserFirewall;
  const config::Value* templates = config.find("USERFW_TEMPLATE");
  if (!templates) return c;
  // Every enabled template must compile, logged in or not.
  Chain scratch;
  for (std::size_t i = 0; i < templates->rows.size(); ++i) {
    if (Status s = templateRules(templates->rows[i], i, 0, scratch); !s) return Error{s.message()};
  }
  if (owners) owners->clear();
  for (std::size_t who = 0; who < state.logins.size(); ++who) {
    const State::Login& login = state.logins[who];
    for (std::size_t i = 0; i < templates->rows.size(); ++i) {
      const config::Row& tmpl = templates->rows[i];
      if (cell(tmpl, "TEMPLATE_ENABLED") != "yes" || !cell(tmpl, "VPN_CONN_REF").empty()) continue;
      if (!templateListsUser(tmpl, login.user)) continue;
      std::size_t first = c.rules.size();
      if (Status s = templateRules(tmpl, i, login.address, c); !s) return Error{s.message()};
      for (std::size_t r = first; r < c.rules.size(); ++r) {
        if (c.rules[r].comment.empty()) c.rules[r].comment = commentOf("firewall user " + login.user);
        c.rules[r].counter = true;
        if (owners) owners->push_back(who);
      }
    }
  }
  return c;
}

Chain recordDispatch(const config::Config& config, const State& state) {
  Chain c;
  c.name = kRecordDispatch;
  if (const config::Value* records = config.find("FW_RULESETS")) {
    for (const config::Row& record : records->rows) {
      if (!state.activeRecords.contains(record.id) || !plainId(record.id)) continue;
      Rule r;
      r.verdict = Verdict::Jump;
      r.target = recordChain(record.id);
      r.comment = commentOf(cell(record, "FRIENDLY_NAME"));
      c.rules.push_back(std::move(r));
    }
  }
  return c;
}

Result<Ruleset> compile(const config::Config& config, const Interfaces& ifs, const State& state) {
  if (ifs.external.empty() || ifs.internal.empty()) {
    return Error{"the packet filter needs an external and an internal interface"};
  }
  Ruleset rs;
  auto https = parsePorts(config.get("HTTPS_PORT"));
  if (!https || !*https) return Error{"HTTPS_PORT is not a port"};

  Chain input{"input", "filter", "input", 0, Verdict::Drop, {}};
  input.rules.push_back(accept("lo", Protocol::Any, {}, "loopback"));
  std::vector<Chain> checkChains;
  if (Status s = checks(config, ifs, "input", input, checkChains); !s) return Error{s.message()};
  Rule established;
  established.ctStates = kEstablished | kRelated;
  established.verdict = Verdict::Accept;
  input.rules.push_back(established);
  if (Status s = remoteAccess(config, ifs, **https, input, checkChains, rs.sets); !s) return Error{s.message()};
  // The appliance's services, from the internal network.
  for (auto [protocol, port, what] : {std::tuple{Protocol::Tcp, **https, "HTTPS"}, std::tuple{Protocol::Tcp, PortRange{22, 22}, "SSH"},
                                      std::tuple{Protocol::Tcp, PortRange{53, 53}, "DNS"},
                                      std::tuple{Protocol::Udp, PortRange{53, 53}, "DNS"},
                                      std::tuple{Protocol::Udp, PortRange{67, 67}, "DHCP"},
                                      std::tuple{Protocol::Udp, PortRange{123, 123}, "NTP"}}) {
    input.rules.push_back(accept(ifs.internal, protocol, port, what));
  }
  input.rules.push_back(accept(ifs.internal, Protocol::Icmp, std::nullopt, "ICMP"));
  Rule dhcpReply = accept(ifs.external, Protocol::Udp, PortRange{68, 68}, "DHCP client");
  dhcpReply.sport = PortRange{67, 67};
  input.rules.push_back(dhcpReply);
  // IKE and ESP of the IPsec connections (NAT-T and kernel-libipsec: ESP
  // in UDP 4500): from the peers' addresses, from anywhere where a peer is
  // %any or a host name.
  if (const config::Value* vpn = config.find("VPN_CONNECTION"); vpn && !vpn->rows.empty()) {
    std::set<std::uint32_t> peers;
    bool anyone = false;
    for (const config::Row& row : vpn->rows) {
      auto address = parseIpv4(cell(row, "REMOTE_GATEWAY"));
      if (address) {
        peers.insert(*address);
      } else {
        anyone = true;
      }
    }
    std::vector<std::optional<Prefix>> sources;
    if (anyone) {
      sources.push_back(std::nullopt);
    } else {
      for (std::uint32_t peer : peers) sources.push_back(Prefix{peer, 32});
    }
    for (const std::optional<Prefix>& from : sources) {
      for (Rule r : {accept(ifs.external, Protocol::Udp, PortRange{500, 500}, "IPsec IKE"),
                     accept(ifs.external, Protocol::Udp, PortRange{4500, 4500}, "IPsec IKE and ESP, NAT-T"),
                     accept(ifs.external, Protocol::Esp, std::nullopt, "IPsec ESP")}) {
        r.saddr = from;
        input.rules.push_back(std::move(r));
      }
    }
  }
  rs.chains.push_back(std::move(input));

  Chain forward{"forward", "filter", "forward", 0, Verdict::Drop, {}};
  if (Status s = checks(config, ifs, "forward", forward, checkChains); !s) return Error{s.message()};
  forward.rules.push_back(established);
  Chain prerouting{"prerouting", "nat", "prerouting", -100, Verdict::Accept, {}};
  if (const config::Value* table = config.find("NAT_PORT_FORWARDING")) {
    if (Status s = portForwarding(table->rows, "NAT_PORT_FORWARDING", "fw-portforwarding",
                                  logId(config, "NAT_PORT_FORWARDING"), ifs.external, ifs, prerouting, forward);
        !s) {
      return Error{s.message()};
    }
  }
  std::vector<Chain> vpnChains;
  std::vector<Rule> vpnJumps;
  if (Status s = vpnFirewalls(config, ifs, state, prerouting, forward, vpnChains, vpnJumps, rs.sets); !s) {
    return Error{s.message()};
  }
  forward.rules.push_back(jump("", "", kRecordDispatch));
  forward.rules.push_back(jump("", "", kUserFirewall));
  for (Rule& r : vpnJumps) forward.rules.push_back(std::move(r));
  forward.rules.push_back(jump(ifs.internal, ifs.external, "fw-outgoing"));
  forward.rules.push_back(jump(ifs.external, ifs.internal, "fw-incoming"));
  // 4.4.10: "incoming" is into the DMZ, "outgoing" out of it.
  struct DmzTable {
    const char* table;
    const char* chain;
    std::string from, to;
  };
  std::vector<DmzTable> dmzTables;
  if (!ifs.dmz.empty()) {
    dmzTables = {{"FW_DMZ_INCOMING_WAN", "fw-dmz-incoming-wan", ifs.external, ifs.dmz},
                 {"FW_DMZ_OUTGOING_WAN", "fw-dmz-outgoing-wan", ifs.dmz, ifs.external},
                 {"FW_DMZ_INCOMING_LAN", "fw-dmz-incoming-lan", ifs.internal, ifs.dmz},
                 {"FW_DMZ_OUTGOING_LAN", "fw-dmz-outgoing-lan", ifs.dmz, ifs.internal}};
  }
  for (const DmzTable& t : dmzTables) forward.rules.push_back(jump(t.from, t.to, t.chain));
  rs.chains.push_back(std::move(forward));

  rs.chains.push_back({"output", "filter", "output", 0, Verdict::Accept, {}});

  auto incoming = ruleTable(config, "FW_INCOMING", "fw-incoming", "FW_INCOMING_LOG_DEFAULT", rs.sets);
  if (!incoming) return Error{incoming.error()};
  auto outgoing = ruleTable(config, "FW_OUTGOING", "fw-outgoing", "FW_OUTGOING_LOG_DEFAULT", rs.sets);
  if (!outgoing) return Error{outgoing.error()};
  rs.chains.push_back(std::move(*incoming));
  rs.chains.push_back(std::move(*outgoing));
  for (const DmzTable& t : dmzTables) {
    auto chain = ruleTable(config, t.table, t.chain, "FW_DMZ_LOG_DEFAULT", rs.sets);
    if (!chain) return Error{chain.error()};
    rs.chains.push_back(std::move(*chain));
  }
  if (Status s = ruleRecords(config, state, rs); !s) return Error{s.message()};
  auto users = userFirewall(config, state);
  if (!users) return Error{users.error()};
  rs.chains.push_back(std::move(*users));
  for (Chain& c : vpnChains) rs.chains.push_back(std::move(c));

  for (Chain& c : checkChains) rs.chains.push_back(std::move(c));
  rs.chains.push_back(std::move(prerouting));
  Chain nat{"postrouting", "nat", "postrouting", 100, Verdict::Accept, {}};
  if (const config::Value* vpn = config.find("VPN_CONNECTION"); vpn && !vpn->rows.empty()) {
    // Packets into an IPsec tunnel (kernel ESP: out of the external port)
    // keep their addresses: the tunnel's networks name them.
    Rule tunnelled;
    tunnelled.ipsec = Rule::Ipsec::Out;
    tunnelled.verdict = Verdict::Accept;
    tunnelled.comment = "IPsec: not masqueraded";
    nat.rules.push_back(std::move(tunnelled));
  }
  if (const config::Value* masq = config.find("NAT_MASQUERADING")) {
    std::size_t number = 0;
    for (const config::Row& row : masq->rows) {
      ++number;
      std::string where = cell(row, "INTERFACE");
      std::string oif = where == "external" ? ifs.external : where == "internal" ? ifs.internal
                        : where == "dmz"    ? ifs.dmz
                                            : std::string();
      if (oif.empty()) continue;  // no such interface here (dmz), or a VPN (issue 6)
      auto from = parsePrefix(cell(row, "FROM_IP"));
      if (!from) return Error{fmt::format("NAT_MASQUERADING:{}: {}", number - 1, from.error())};
      Rule r;
      r.oif = oif;
      r.saddr = *from;
      r.masquerade = true;
      r.comment = commentOf(cell(row, "COMMENT"));
      nat.rules.push_back(std::move(r));
    }
  }
  rs.chains.push_back(std::move(nat));
  return rs;
}

}  // namespace bulwark::firewall
