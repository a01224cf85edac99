// libFuzzer target for the packet filter's compiler (firewall/compiler.hpp)
// over structured configurations, not ATV text (atv_fuzz covers parsing).
// The input is a program: each byte picks an edit of the factory default,
// and the bytes after it pick its arguments (a byte past the end reads 0):
//   rows of FW_INCOMING, FW_OUTGOING, the DMZ tables, the SET of an
//   FW_RULESETS record, the TEMPLATE_RULE and TEMPLATE_USERS of a
//   USERFW_TEMPLATE, NAT_PORT_FORWARDING, NAT_MASQUERADING and
//   INT_ADDRESSES, alone or as a run of similar rows (sequential or
//   overlapping addresses and ports, one odd row), so that the compiler's
//   folding into sets is exercised; scalar variables; cell edits, deletions
//   and moves of rows; the records' run-time state and the firewall users'
//   logins; the board's interface names; whether to load() too.
// Each cell is drawn mostly from its column's domain in the schema
// (addresses, networks of every prefix length, ports, ranges "a:b", "any",
// enums, yes/no, integers at and near their bounds, comments) and sometimes
// from outside it; every value goes through setScalar, so the schema refuses
// what it refuses in production; a configuration that does not validate as
// a whole is refused too, as in production.
// Then compile(): a ruleset, or an error that is not empty and names a
// variable. A ruleset must print (toNft), its dispatch chain must be what
// recordDispatch() says, its rule-table chains must decide IPv4 packets at
// the rows' bounds as the tables read (folding and reordering included),
// and the kernel must accept it: firewall::check(), and load() where the
// input asks, in a network namespace of the process's own (made once, at
// start; where that is not permitted the kernel part is skipped, and said so
// once). A refusal aborts with the kernel's message, the configuration's
// changes to the factory default (ATV) and the ruleset (nft), so that
// libFuzzer keeps the input and the report says what it stands for.
// BULWARK_FUZZ_PRINT=1 prints the same for every input run.
#include <sched.h>

#include <algorithm>
#include <charconv>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include <fmt/format.h>

#include "config/atv.hpp"
#include "config/config.hpp"
#include "common/ipv4.hpp"
#include "config/schema.hpp"
#include "firewall/compiler.hpp"
#include "firewall/nft_backend.hpp"

namespace {

using namespace bulwark;
using config::Kind;
using config::Variable;

// Rows in all tables together: enough for sets of hundreds of elements,
// few enough that one input stays in the milliseconds.
constexpr std::size_t kMaxRows = 1500;

// The choices of the input, first byte first; past the end every read is 0
// (so a short input is still a whole program).
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> data) : data_(data) {}
  bool done() const { return pos_ >= data_.size(); }
  std::uint8_t byte() { return pos_ < data_.size() ? data_[pos_++] : 0; }
  std::size_t pick(std::size_t n) { return n == 0 ? 0 : byte() % n; }
  bool chance(unsigned in256) { return byte() < in256; }
  std::uint16_t u16() { return static_cast<std::uint16_t>(byte() << 8 | byte()); }
  std::uint32_t u32() { return std::uint32_t(u16()) << 16 | u16(); }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

std::string dotted(std::uint32_t a) {
  return fmt::format("{}.{}.{}.{}", a >> 24, (a >> 16) & 0xff, (a >> 8) & 0xff, a & 0xff);
}

// Addresses that collide often: a small pool, one /16, or anything.
std::uint32_t address(Reader& in) {
  static constexpr std::uint32_t kPool[] = {0x00000000, 0x0a000000, 0x0a000001, 0xc0a80100, 0xc0a80101,
                                            0xac100000, 0x7f000001, 0xe0000001, 0xffffffff, 0x08080808};
  switch (in.pick(3)) {
    case 0: return kPool[in.pick(std::size(kPool))];
    case 1: return 0x0a000000 | in.u16();
    default: return in.u32();
  }
}

unsigned prefixLength(Reader& in) {
  static constexpr unsigned kCommon[] = {32, 24, 16, 8, 0};
  return in.chance(160) ? kCommon[in.pick(std::size(kCommon))] : static_cast<unsigned>(in.pick(33));
}

std::uint16_t portNumber(Reader& in) {
  static constexpr std::uint16_t kCommon[] = {1, 22, 53, 80, 443, 1024, 8080, 65534, 65535};
  if (in.chance(128)) return kCommon[in.pick(std::size(kCommon))];
  return static_cast<std::uint16_t>(std::max(1, int(in.u16())));
}

std::string portText(Reader& in) {
  switch (in.pick(4)) {
    case 0: return "any";
    case 1: {
      std::uint16_t a = portNumber(in), b = portNumber(in);
      return fmt::format("{}:{}", std::min(a, b), std::max(a, b));
    }
    default: return std::to_string(portNumber(in));
  }
}

std::string integerText(Reader& in, const Variable& v) {
  switch (in.pick(4)) {
    case 0: return std::to_string(v.min);
    case 1: return std::to_string(v.max);
    case 2: return std::to_string(v.min + std::int64_t(in.pick(16)));
    default: {
      std::int64_t span = v.max - v.min + 1;
      return std::to_string(v.min + std::int64_t(in.u32()) % span);
    }
  }
}

std::string commentText(Reader& in, std::size_t maxLen) {
  std::size_t n = std::min<std::size_t>(in.pick(4) == 0 ? in.byte() : in.pick(12), maxLen);
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    // Printable ASCII mostly; quotes and backslashes, which comments must
    // not carry into nft; now and then a UTF-8 byte.
    std::uint8_t b = in.byte();
    s += b < 0xe0 ? char(0x20 + b % 0x5f) : char(0x80 | (b & 0x3f));
  }
  return s;
}

// What the schema must refuse (or, for a few, may take: setScalar decides).
std::string invalidText(Reader& in, const Variable& v) {
  static constexpr std::string_view kAny[] = {"", " ", "-1", "0", "65536", "any ", "1:", ":2", "2:1", "1-2",
                                              "256.0.0.1/8", "1.2.3.4/33", "1.2.3.4", "1.2.3/8", "01.2.3.4/8",
                                              "1.2.3.4/08", "yes\n", "ALL", "\"", "MAIv"};
  switch (in.pick(3)) {
    case 0: return std::string(kAny[in.pick(std::size(kAny))]);
    case 1:
      if (v.kind == Kind::Integer) return std::to_string(in.chance(128) ? v.min - 1 : v.max + 1);
      return std::string(kAny[in.pick(std::size(kAny))]);
    default: {
      std::string s;
      for (std::size_t n = in.pick(8); n > 0; --n) s += char(in.byte());
      return s;
    }
  }
}

// A value for `v`, nearly always from its domain.
std::string valueFor(Reader& in, const Variable& v) {
  if (in.chance(12)) return invalidText(in, v);
  switch (v.kind) {
    case Kind::Cidr: return fmt::format("{}/{}", dotted(address(in)), prefixLength(in));
    case Kind::Ipv4: return dotted(address(in));
    case Kind::Port: return portText(in);
    case Kind::Enum: return std::string(v.choices[in.pick(v.choices.size())]);
    case Kind::YesNo: return in.chance(96) ? "yes" : "no";
    case Kind::Integer: return integerText(in, v);
    case Kind::String: return commentText(in, v.max > 0 ? std::size_t(v.max) : 255);
    default: return std::string(v.defaultValue);
  }
}

struct Fuzz {
  const config::Schema& schema = config::Schema::builtin();
  config::Config cfg = config::factoryDefault(config::Schema::builtin());
  firewall::State state;
  firewall::Interfaces interfaces{"eth0", "eth1", ""};
  bool apply = false;  // load() the ruleset after check()
  std::set<std::string> usedIds;
  std::size_t rows = 0;
  std::uint64_t nextId = 0;
  Reader& in;

  explicit Fuzz(Reader& reader) : in(reader) {
    for (const auto& [id, table] : config::collectRowIds(cfg)) usedIds.insert(id);
    state = firewall::initialState(cfg);
  }

  // Fresh, deterministic row ids; some as long as the schema allows (they
  // end up in chain, set and log prefix names).
  std::string rowId(bool longest) {
    for (;;) {
      ++nextId;
      std::string id = longest ? fmt::format("MAIv{}", 10000000000000000000ull + nextId)
                               : fmt::format("MAIv{}", 500000000 + nextId);
      if (usedIds.insert(id).second) return id;
    }
  }

  // Sets a cell through the schema; a refusal must say why.
  void set(const std::string& path, std::string value) {
    if (Status s = config::setScalar(schema, cfg, path, std::move(value)); !s && s.message().empty()) {
      std::fprintf(stderr, "firewall_fuzz: setScalar(%s) refused without a reason\n", path.c_str());
      std::abort();
    }
  }

  // The rows of `path` and its table in the schema: a top-level table
  // ("FW_INCOMING") or a record's rules ("FW_RULESETS:2.SET"), the only
  // paths made here.
  std::vector<config::Row>* table(const std::string& path, const Variable** var) {
    auto dot = path.find('.');
    const Variable* top = schema.find(path.substr(0, path.find(':')));
    if (!top || top->kind != Kind::Table) return nullptr;
    auto& rowsOf = cfg.values.at(std::string(top->name)).rows;
    if (dot == std::string::npos) {
      *var = top;
      return &rowsOf;
    }
    std::size_t record = 0;
    std::from_chars(path.data() + path.find(':') + 1, path.data() + dot, record);
    *var = config::Schema::findColumn(*top, path.substr(dot + 1));
    return &rowsOf.at(record).fields.at(path.substr(dot + 1)).rows;
  }

  // A new row at the end of `path`, each cell drawn from its column.
  std::size_t addRow(const std::string& path) {
    const Variable* var = nullptr;
    auto* rowsOf = table(path, &var);
    if (!rowsOf || rows >= kMaxRows) return SIZE_MAX;
    rowsOf->push_back(config::defaultRow(*var, rowId(in.chance(32))));
    ++rows;
    std::size_t index = rowsOf->size() - 1;
    for (const Variable& column : var->columns) {
      if (column.kind == Kind::Table) continue;
      if (in.chance(200)) set(fmt::format("{}:{}.{}", path, index, column.name), valueFor(in, column));
    }
    // Ports with ICMP, ESP or GRE do not compile: mostly made TCP, so that
    // most inputs reach the kernel (a quarter did not).
    const config::Row& row = (*rowsOf)[index];
    auto cellIs = [&](const char* column, std::string_view value) {
      auto it = row.fields.find(column);
      return it != row.fields.end() && it->second.text == value;
    };
    bool portless = cellIs("PROTO", "icmp") || cellIs("PROTO", "esp") || cellIs("PROTO", "gre");
    if (portless && !(cellIs("SRC_PORT", "any") && cellIs("DST_PORT", "any")) && in.chance(224)) {
      set(fmt::format("{}:{}.PROTO", path, index), "tcp");
    }
    return index;
  }

  // A run of `count` rows like one template, varying one network or port
  // cell by the row's position (sequential or overlapping networks and port
  // ranges), and one odd row (another target, or logged) somewhere in it.
  void addRun(const std::string& path) {
    const Variable* var = nullptr;
    if (!table(path, &var)) return;
    std::vector<const Variable*> variable;
    for (const Variable& c : var->columns) {
      if (c.kind == Kind::Cidr || c.kind == Kind::Port) variable.push_back(&c);
    }
    std::size_t first = addRow(path);
    if (first == SIZE_MAX || variable.empty()) return;
    std::size_t count = 2 + (in.chance(200) ? in.pick(40) : in.byte());
    const Variable& varied = *variable[in.pick(variable.size())];
    std::uint32_t base = address(in);
    unsigned length = prefixLength(in);
    std::uint32_t stride = length == 0 || length == 32 ? 1 : std::uint32_t(1) << (32 - length);
    if (in.chance(64)) stride = std::max<std::uint32_t>(1, stride / 2);  // overlapping networks
    std::uint16_t port = portNumber(in);
    unsigned width = in.chance(128) ? 1 : 1 + unsigned(in.pick(100));
    unsigned step = in.chance(200) ? width : 1 + unsigned(in.pick(width));  // step < width: overlapping ranges
    std::size_t odd = in.chance(128) ? in.pick(count) : SIZE_MAX;
    const Variable* target = config::Schema::findColumn(*var, "TARGET");
    const Variable* proto = config::Schema::findColumn(*var, "PROTO");
    const config::Row templ = (*table(path, &var))[first];
    for (std::size_t i = 1; i < count && rows < kMaxRows; ++i) {
      auto* rowsOf = table(path, &var);
      config::Row row = templ;
      row.id = rowId(templ.id.size() > 13);
      rowsOf->push_back(std::move(row));
      ++rows;
      std::string at = fmt::format("{}:{}.", path, rowsOf->size() - 1);
      std::string value;
      if (varied.kind == Kind::Cidr) {
        value = fmt::format("{}/{}", dotted(base + std::uint32_t(i) * stride), length);
      } else {
        unsigned from = port + unsigned(i) * step;
        value = width == 1 ? std::to_string(from) : fmt::format("{}:{}", from, from + width - 1);
      }
      set(at + std::string(varied.name), value);  // past 65535 the schema refuses it: the template's stays
      if (i == odd && target && in.chance(128)) {
        set(at + "TARGET", valueFor(in, *target));
      } else if (i == odd && config::Schema::findColumn(*var, "LOG")) {
        set(at + "LOG", "yes");
      }
      if (proto && in.chance(16)) set(at + "PROTO", valueFor(in, *proto));
    }
  }

  std::size_t rowCount(const std::string& path) {
    const Variable* var = nullptr;
    auto* rowsOf = table(path, &var);
    return rowsOf ? rowsOf->size() : 0;
  }

  // A rule record's SET, making a record when there is none.
  std::string recordSet() {
    std::size_t n = rowCount("FW_RULESETS");
    if (n == 0) n = addRecord() == SIZE_MAX ? 0 : 1;
    if (n == 0) return "FW_RULESETS";  // out of rows: the caller's row is refused too
    return fmt::format("FW_RULESETS:{}.SET", in.pick(n));
  }

  // A record; its name is required (a form would not send it without),
  // and it is switched to its INITIAL_STATE or left as it is.
  std::size_t addRecord() {
    std::size_t index = addRow("FW_RULESETS");
    if (index == SIZE_MAX) return index;
    const auto& record = cfg.find("FW_RULESETS")->rows[index];
    if (record.fields.at("FRIENDLY_NAME").text.empty()) {
      set(fmt::format("FW_RULESETS:{}.FRIENDLY_NAME", index), fmt::format("record {}", index));
    }
    if (in.chance(96) && record.fields.at("INITIAL_STATE").text == "active") state.activeRecords.insert(record.id);
    return index;
  }

  const char* ruleTable() {
    static constexpr const char* kTables[] = {"FW_INCOMING",         "FW_OUTGOING",         "NAT_PORT_FORWARDING",
                                              "NAT_MASQUERADING",    "INT_ADDRESSES",       "FW_RULESETS",
                                              "FW_DMZ_INCOMING_WAN", "FW_DMZ_OUTGOING_WAN", "FW_DMZ_INCOMING_LAN",
                                              "FW_DMZ_OUTGOING_LAN", "USERFW_TEMPLATE"};
    return kTables[in.pick(std::size(kTables))];
  }

  const char* dmzTable() {
    static constexpr const char* kTables[] = {"FW_DMZ_INCOMING_WAN", "FW_DMZ_OUTGOING_WAN", "FW_DMZ_INCOMING_LAN",
                                              "FW_DMZ_OUTGOING_LAN"};
    return kTables[in.pick(std::size(kTables))];
  }

  // Firewall users: a few names, so that templates and logins meet.
  std::string userName() {
    static constexpr const char* kUsers[] = {"alice", "bob", "carol"};
    return in.chance(224) ? kUsers[in.pick(std::size(kUsers))] : commentText(in, 64);
  }

  // A user firewall template: named, mostly from %authorized_ip or a
  // network (a free text that is neither does not compile).
  std::size_t addTemplate() {
    std::size_t index = addRow("USERFW_TEMPLATE");
    if (index == SIZE_MAX) return index;
    std::string at = fmt::format("USERFW_TEMPLATE:{}.", index);
    set(at + "TEMPLATE_NAME", fmt::format("template {}", index));
    if (in.chance(160)) {
      set(at + "TEMPLATE_SRC_IP", "%authorized_ip");
    } else if (in.chance(192)) {
      set(at + "TEMPLATE_SRC_IP", fmt::format("{}/{}", dotted(address(in)), prefixLength(in)));
    }
    set(at + "VPN_CONN_REF", "");
    return index;
  }

  // A template's TEMPLATE_RULE or TEMPLATE_USERS, making a template when
  // there is none.
  std::string templateTable(const char* column) {
    std::size_t n = rowCount("USERFW_TEMPLATE");
    if (n == 0) n = addTemplate() == SIZE_MAX ? 0 : 1;
    if (n == 0) return "USERFW_TEMPLATE";
    return fmt::format("USERFW_TEMPLATE:{}.{}", in.pick(n), column);
  }

  void addTemplateUser() {
    std::string path = templateTable("TEMPLATE_USERS");
    std::size_t index = addRow(path);
    if (index != SIZE_MAX && path.ends_with("USERS")) set(fmt::format("{}:{}.USERNAME", path, index), userName());
  }

  // A firewall user logs in (or logs in again, from another address).
  void login() {
    std::string user = userName();
    std::uint32_t from = address(in);
    state.logins.push_back({user, from});
  }

  std::string anyTable() {
    if (in.chance(64)) return recordSet();
    return ruleTable();
  }

  // A table to edit and its rows (null when it has fewer than `minRows`).
  struct Picked {
    std::string path;
    const Variable* var = nullptr;
    std::vector<config::Row>* rows = nullptr;
  };
  Picked pickTable(std::size_t minRows) {
    Picked t{anyTable()};
    t.rows = table(t.path, &t.var);
    if (t.rows && t.rows->size() < minRows) t.rows = nullptr;
    return t;
  }

  void editCell() {
    Picked t = pickTable(1);
    if (!t.rows) return;
    std::size_t index = in.pick(t.rows->size());
    std::vector<const Variable*> scalars;
    for (const Variable& c : t.var->columns) {
      if (c.kind != Kind::Table) scalars.push_back(&c);
    }
    const Variable& column = *scalars[in.pick(scalars.size())];
    set(fmt::format("{}:{}.{}", t.path, index, column.name), valueFor(in, column));
  }

  void deleteRows() {
    Picked t = pickTable(1);
    if (!t.rows) return;
    std::size_t from = in.pick(t.rows->size());
    std::size_t count = in.chance(128) ? 1 : 1 + in.pick(t.rows->size() - from);
    for (std::size_t i = from; i < from + count; ++i) {
      const config::Row& row = (*t.rows)[i];
      state.activeRecords.erase(row.id);  // as the module forgets a record that went
      if (auto set = row.fields.find("SET"); set != row.fields.end()) rows -= set->second.rows.size();
    }
    t.rows->erase(t.rows->begin() + std::ptrdiff_t(from), t.rows->begin() + std::ptrdiff_t(from + count));
    rows -= std::min(rows, count);
  }

  void moveRow() {
    Picked t = pickTable(2);
    if (!t.rows) return;
    std::size_t from = in.pick(t.rows->size()), to = in.pick(t.rows->size());
    config::Row row = std::move((*t.rows)[from]);
    t.rows->erase(t.rows->begin() + std::ptrdiff_t(from));
    t.rows->insert(t.rows->begin() + std::ptrdiff_t(to), std::move(row));
  }

  void setVariable() {
    static constexpr const char* kScalars[] = {
        "FW_INCOMING_LOG_DEFAULT", "FW_OUTGOING_LOG_DEFAULT", "FW_CONSISTENCY_CHECKS", "FW_ICMP_MAXLEN",
        "DOS_ICMP_IN_MAX",         "DOS_ICMP_OUT_MAX",        "DOS_SYN_IN_MAX",        "DOS_SYN_OUT_MAX",
        "HTTPS_PORT",              "HTTPS_REMOTE_ACCESS",     "SSH_REMOTE_ACCESS",     "NETWORK_MODE"};
    const char* name = kScalars[in.pick(std::size(kScalars))];
    set(name, valueFor(in, *schema.find(name)));
  }

  // The records' run-time state: switched by the CGI, or an id that names
  // no record (a stale switch).
  void toggleRecord() {
    std::size_t n = rowCount("FW_RULESETS");
    if (n == 0 || in.chance(16)) {
      state.activeRecords.insert(fmt::format("MAIv{}", in.u16()));
      return;
    }
    const std::string& id = cfg.find("FW_RULESETS")->rows[in.pick(n)].id;
    if (!state.activeRecords.erase(id)) state.activeRecords.insert(id);
  }

  void chooseInterfaces() {
    static const firewall::Interfaces kBoards[] = {
        {"eth0", "eth1", ""}, {"eth0", "eth1", "eth2"}, {"wan0123456789ab", "lan0123456789ab", "dmz0"}};
    interfaces = kBoards[in.pick(std::size(kBoards))];
  }

  void run() {
    while (!in.done()) {
      switch (in.pick(21)) {
        case 0: addRow("FW_INCOMING"); break;
        case 1: addRow("FW_OUTGOING"); break;
        case 2: addRun(in.chance(128) ? "FW_INCOMING" : "FW_OUTGOING"); break;
        case 3: addRecord(); break;
        case 4: addRow(recordSet()); break;
        case 5: addRun(recordSet()); break;
        case 6: addRow("NAT_PORT_FORWARDING"); break;
        case 7: addRow("NAT_MASQUERADING"); break;
        case 8: addRow("INT_ADDRESSES"); break;
        case 9: setVariable(); break;
        case 10: editCell(); break;
        case 11: deleteRows(); break;
        case 12: moveRow(); break;
        case 13: toggleRecord(); break;
        case 14: addRun(ruleTable()); break;
        case 15: chooseInterfaces(); break;
        case 16: apply = true; break;
        case 17: in.chance(128) ? addRun(dmzTable()) : (void)addRow(dmzTable()); break;
        case 18: addTemplate(); break;
        case 19: in.chance(128) ? addRun(templateTable("TEMPLATE_RULE")) : addTemplateUser(); break;
        default: login(); break;
      }
    }
  }
};

// --- what the rule tables mean ------------------------------------------
// The compiler folds runs of rows into sets and reorders them; for IPv4
// packets made from the rows' own bounds, its chain must decide as the
// table reads: the first matching row's target, logged as that row when
// it logs; no row: the table's default.

struct Packet {
  std::uint32_t saddr = 0, daddr = 0;
  firewall::Protocol protocol = firewall::Protocol::Any;  // Any: one the tables cannot name (SCTP)
  std::uint16_t sport = 0, dport = 0;
};

bool carriesPorts(firewall::Protocol p) { return p == firewall::Protocol::Tcp || p == firewall::Protocol::Udp; }

firewall::Protocol protocolOf(const std::string& name) {
  using firewall::Protocol;
  return name == "tcp" ? Protocol::Tcp : name == "udp" ? Protocol::Udp : name == "icmp" ? Protocol::Icmp
         : name == "esp" ? Protocol::Esp : name == "gre" ? Protocol::Gre : Protocol::Any;
}

const std::string& cellOf(const config::Row& row, const char* column) { return row.fields.at(column).text; }

std::optional<firewall::PortRange> rangeOf(const std::string& text) {
  if (text == "any") return std::nullopt;
  auto colon = text.find(':');
  std::uint16_t from = 0, to = 0;
  std::from_chars(text.data(), text.data() + std::min(colon, text.size()), from);
  to = from;
  if (colon != std::string::npos) std::from_chars(text.data() + colon + 1, text.data() + text.size(), to);
  return firewall::PortRange{from, to};
}

bool within(const std::optional<firewall::PortRange>& r, std::uint16_t port) {
  return !r || (r->from <= port && port <= r->to);
}

// A row of a rule table, parsed once (it is asked for every probe).
struct TableRow {
  Ipv4Prefix src, dst;
  std::optional<firewall::PortRange> sports, dports;
  std::string proto, target;
  bool log = false;
};

std::vector<TableRow> parseRows(const std::vector<config::Row>& rows) {
  std::vector<TableRow> out;
  out.reserve(rows.size());
  for (const config::Row& row : rows) {
    out.push_back({*parseIpv4Prefix(cellOf(row, "SRC_IP")), *parseIpv4Prefix(cellOf(row, "DST_IP")),
                   rangeOf(cellOf(row, "SRC_PORT")), rangeOf(cellOf(row, "DST_PORT")), cellOf(row, "PROTO"),
                   cellOf(row, "TARGET"), cellOf(row, "LOG") == "yes"});
  }
  return out;
}

// The row as the reference reads it (one with ports and a protocol without
// them does not compile, so it is not asked).
bool rowMatches(const TableRow& row, const Packet& p) {
  if (!row.src.contains(p.saddr) || !row.dst.contains(p.daddr)) return false;
  if (row.proto != "all" && protocolOf(row.proto) != p.protocol) return false;
  if (!row.sports && !row.dports) return true;
  return carriesPorts(p.protocol) && within(row.sports, p.sport) && within(row.dports, p.dport);
}

bool inElement(const firewall::Set& set, const firewall::Element& e, const Packet& p) {
  for (firewall::Field f : set.key) {
    switch (f) {
      case firewall::Field::Saddr: if (!e.saddr.contains(p.saddr)) return false; break;
      case firewall::Field::Daddr: if (!e.daddr.contains(p.daddr)) return false; break;
      case firewall::Field::Sport: if (!carriesPorts(p.protocol) || !within(e.sport, p.sport)) return false; break;
      case firewall::Field::Dport: if (!carriesPorts(p.protocol) || !within(e.dport, p.dport)) return false; break;
    }
  }
  return true;
}

bool ruleMatches(const firewall::Ruleset& rs, const firewall::Rule& r, const Packet& p) {
  if ((r.saddr && !r.saddr->contains(p.saddr)) || (r.daddr && !r.daddr->contains(p.daddr))) return false;
  if (r.protocol != firewall::Protocol::Any && r.protocol != p.protocol) return false;
  if ((r.sport || r.dport) && !(carriesPorts(p.protocol) && within(r.sport, p.sport) && within(r.dport, p.dport))) {
    return false;
  }
  if (r.set.empty()) return true;
  const firewall::Set* set = rs.findSet(r.set);
  return set && std::any_of(set->elements.begin(), set->elements.end(),
                            [&](const firewall::Element& e) { return inElement(*set, e, p); });
}

// Packets at the bounds of the rows' networks and ports (and just outside
// them), for at most 48 rows of the table.
std::vector<Packet> probes(const std::vector<TableRow>& rows) {
  std::vector<Packet> out;
  std::size_t step = std::max<std::size_t>(1, rows.size() / 48);
  for (std::size_t i = 0; i < rows.size(); i += step) {
    const TableRow& row = rows[i];
    for (unsigned variant = 0; variant < 4; ++variant) {
      Packet p;
      bool high = variant & 1;
      p.saddr = high ? row.src.network() | ~row.src.mask() : row.src.network();
      p.daddr = high ? row.dst.network() | ~row.dst.mask() : row.dst.network();
      if (variant == 2) p.saddr -= 1;  // just outside (or wrapped around)
      p.sport = row.sports ? (high ? row.sports->to : row.sports->from) : std::uint16_t(1000 + i);
      p.dport = row.dports ? (high ? row.dports->to : row.dports->from) : std::uint16_t(2000 + i);
      if (variant == 3 && row.dports) p.dport = std::uint16_t(row.dports->to + 1);
      p.protocol = protocolOf(row.proto);
      if (row.proto == "all") {
        static constexpr firewall::Protocol kSome[] = {firewall::Protocol::Tcp, firewall::Protocol::Udp,
                                                       firewall::Protocol::Icmp, firewall::Protocol::Any};
        p.protocol = kSome[(i + variant) % ((row.sports || row.dports) ? 2 : 4)];
      }
      out.push_back(p);
    }
  }
  return out;
}

// "" when `chain` decides every probe as `rows` do; else what differs.
// `fallsThrough`: a rule record, whose chain ends without a verdict.
std::string meaningDiffers(const firewall::Ruleset& rs, const std::string& chainName,
                           const std::vector<config::Row>& table, bool fallsThrough) {
  const firewall::Chain* chain = rs.chain(chainName);
  if (!chain) return "no chain " + chainName;
  std::vector<TableRow> rows = parseRows(table);
  for (const Packet& p : probes(rows)) {
    auto row = std::find_if(rows.begin(), rows.end(), [&](const TableRow& r) { return rowMatches(r, p); });
    auto rule = std::find_if(chain->rules.begin(), chain->rules.end(),
                             [&](const firewall::Rule& r) { return ruleMatches(rs, r, p); });
    std::string expected, actual;
    if (row != rows.end()) {
      expected = row->target == "accept" ? "ACCEPT" : row->target == "drop" ? "DROP" : "REJECT";
      if (row->log) expected += fmt::format(" logged as {}-{}-", chainName, row - rows.begin() + 1);
    } else {
      expected = fallsThrough ? "no verdict" : "the table's default";
    }
    if (rule == chain->rules.end()) {
      actual = "no verdict";
    } else if (row == rows.end() && !fallsThrough && rule + 1 == chain->rules.end()) {
      actual = "the table's default";
    } else {
      actual = rule->verdict == firewall::Verdict::Accept ? "ACCEPT"
               : rule->verdict == firewall::Verdict::Drop ? "DROP"
               : rule->verdict == firewall::Verdict::Reject ? "REJECT" : "another verdict";
      if (!rule->logPrefix.empty()) {
        actual += " logged as " + rule->logPrefix.substr(0, rule->logPrefix.find('-', chainName.size() + 1) + 1);
      }
    }
    if (expected != actual) {
      return fmt::format("{}: a packet {} -> {} protocol {} ports {} -> {}: the table says {}, the chain {}", chainName,
                         dotted(p.saddr), dotted(p.daddr), int(p.protocol), p.sport, p.dport, expected, actual);
    }
  }
  return "";
}

std::string meaningDiffers(const firewall::Ruleset& rs, const config::Config& cfg) {
  for (auto [table, chain] : {std::pair{"FW_INCOMING", "fw-incoming"}, std::pair{"FW_OUTGOING", "fw-outgoing"},
                              std::pair{"FW_DMZ_INCOMING_WAN", "fw-dmz-incoming-wan"},
                              std::pair{"FW_DMZ_OUTGOING_WAN", "fw-dmz-outgoing-wan"},
                              std::pair{"FW_DMZ_INCOMING_LAN", "fw-dmz-incoming-lan"},
                              std::pair{"FW_DMZ_OUTGOING_LAN", "fw-dmz-outgoing-lan"}}) {
    if (!rs.chain(chain)) continue;  // the DMZ tables, on a board without a DMZ port
    if (std::string why = meaningDiffers(rs, chain, cfg.find(table)->rows, false); !why.empty()) return why;
  }
  for (const config::Row& record : cfg.find("FW_RULESETS")->rows) {
    std::string why = meaningDiffers(rs, firewall::recordChain(record.id), record.fields.at("SET").rows, true);
    if (!why.empty()) return why;
  }
  return "";
}

// The configuration as what differs from the factory default: each changed
// variable in ATV form (rows with their cells), for a report and a fixture;
// with the records' run-time state and the board's interfaces.
std::string changes(const config::Config& cfg, const firewall::State& state, const firewall::Interfaces& ifs) {
  const config::Schema& schema = config::Schema::builtin();
  config::Diff d = config::diff(schema, config::factoryDefault(schema), cfg);
  std::string out = fmt::format("// interfaces external={} internal={} dmz={}; active records:", ifs.external,
                                ifs.internal, ifs.dmz);
  for (const std::string& id : state.activeRecords) out += " " + id;
  out += "; logins:";
  for (const auto& login : state.logins) out += fmt::format(" '{}'@{}", login.user, dotted(login.address));
  out += "\n";
  for (const auto& [name, value] : cfg.values) {
    if (d.touches(name)) out += config::writeAtvValue(name, value);
  }
  return out;
}

[[noreturn]] void bug(std::string_view what, const std::string& input, const std::string& nft = {}) {
  std::fprintf(stderr, "firewall_fuzz: %.*s\n--- the configuration's changes to the factory default ---\n%s",
               static_cast<int>(what.size()), what.data(), input.c_str());
  if (!nft.empty()) std::fprintf(stderr, "--- ruleset ---\n%s", nft.c_str());
  std::abort();
}

// Whether `error` names a variable of the schema (a table names its row too,
// "FW_INCOMING:3: ...", but a scalar has none).
bool namesVariable(const std::string& error) {
  for (const Variable& v : config::Schema::builtin().variables()) {
    if (error.find(v.name) != std::string::npos) return true;
  }
  return false;
}

bool kernel = false;
// BULWARK_FUZZ_PRINT set: each input's configuration and result on stderr
// (to read what a corpus file or a reproducer stands for).
bool verbose = false;

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  verbose = std::getenv("BULWARK_FUZZ_PRINT") != nullptr;
  // A network namespace of our own: the kernel wants CAP_NET_ADMIN in it
  // even for check(), which never commits, and what load() commits stays
  // here; the host's ruleset is never touched.
  if (unshare(CLONE_NEWNET) != 0) {
    std::fprintf(stderr, "firewall_fuzz: unshare(CLONE_NEWNET): %s; the kernel's check is skipped\n",
                 std::strerror(errno));
    return 0;
  }
  auto probe = firewall::compile(config::factoryDefault(config::Schema::builtin()), {"eth0", "eth1", ""});
  if (!probe) bug("the factory default does not compile: " + probe.error(), "");
  if (Status s = firewall::check(*probe); !s) {
    // No nf_tables here (a kernel without it): nothing to check against.
    std::fprintf(stderr, "firewall_fuzz: the kernel refuses the factory default (%s); its check is skipped\n",
                 s.message().c_str());
    return 0;
  }
  kernel = true;
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Reader in(std::span<const std::uint8_t>(data, size));
  Fuzz fuzz(in);
  fuzz.run();
  const config::Config& cfg = fuzz.cfg;
  auto input = [&] { return changes(cfg, fuzz.state, fuzz.interfaces); };
  // Every value went through the schema, but a whole configuration can
  // still be invalid (a required cell left empty): refused, as in production.
  if (!config::validate(fuzz.schema, cfg)) return 0;

  auto ruleset = firewall::compile(cfg, fuzz.interfaces, fuzz.state);
  if (verbose) {
    std::fprintf(stderr, "--- changes ---\n%s--- %s ---\n%s\n", input().c_str(), ruleset ? "ruleset" : "error",
                 ruleset ? firewall::toNft(*ruleset).c_str() : ruleset.error().c_str());
  }
  if (!ruleset) {
    if (ruleset.error().empty() || !namesVariable(ruleset.error())) {
      bug("the compiler failed without naming a variable: '" + ruleset.error() + "'", input());
    }
    return 0;
  }
  std::string nft = firewall::toNft(*ruleset);
  const firewall::Chain* dispatch = ruleset->chain(firewall::kRecordDispatch);
  if (!dispatch || !(*dispatch == firewall::recordDispatch(cfg, fuzz.state))) {
    bug("the dispatch chain is not recordDispatch()'s", input(), nft);
  }
  if (std::string why = meaningDiffers(*ruleset, cfg); !why.empty()) bug("the chain means another table: " + why, input(), nft);
  // Each check() waits for an RCU grace period in the kernel (its aborted
  // transaction: about 12 ms), so a ruleset this process has already had
  // checked (the same text) is not checked again: many inputs differ only
  // in what the schema refused or the compiler did not use.
  static std::unordered_set<std::size_t> checked;
  if (kernel && (fuzz.apply || checked.insert(std::hash<std::string>{}(nft)).second)) {
    if (Status s = firewall::check(*ruleset); !s) bug("the kernel refuses the compiled ruleset: " + s.message(), input(), nft);
    // The namespace is ours: inputs that ask for it are loaded too. The
    // kernel checks some things only when a transaction commits, and what
    // `fw check` passes must apply. Not every input: replacing the table
    // waits for an RCU grace period (about 12 ms, against 0.5 ms for check).
    if (fuzz.apply) {
      if (Status s = firewall::load(*ruleset); !s) bug("check() passed, but load() fails: " + s.message(), input(), nft);
    }
  }
  return 0;
}
