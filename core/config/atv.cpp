#include "config/atv.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>

#include "build_config.hpp"

namespace bulwark::config {

namespace {

constexpr int kMaxDepth = 8;

std::string at(Position p, std::string_view reason) {
  return fmt::format("line {}, column {}: {}", p.line, p.column, reason);
}

// Length of the UTF-8 sequence starting at s[i], or 0 when it is not valid.
std::size_t utf8Length(std::string_view s, std::size_t i) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned char c = b(i);
  if (c < 0x80) return 1;
  std::size_t n;
  std::uint32_t cp;
  if ((c & 0xE0) == 0xC0) n = 2, cp = c & 0x1F;
  else if ((c & 0xF0) == 0xE0) n = 3, cp = c & 0x0F;
  else if ((c & 0xF8) == 0xF0) n = 4, cp = c & 0x07;
  else return 0;
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    if ((b(i + k) & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3F);
  }
  static constexpr std::uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<AtvDocument> run() {
    if (auto e = precheck()) return Error{*e};
    AtvDocument doc;
    bool trailer = false;
    while (true) {
      skipBlank();
      if (eof()) break;
      if (startsWith("//")) {
        if (col_ == 1 && restOfLine() == kAtvTrailer) {
          skipLine();
          trailer = true;
          break;
        }
        if (doc.entries.empty() && col_ == 1) doc.header.emplace_back(restOfLine());
        skipLine();
        continue;
      }
      if (startsWith("#")) return Error{at(pos(), "A \"#\" line may only follow the trailer \"// End of configuration profile\".")};
      AtvEntry entry;
      if (auto e = parseEntry(entry, 0)) return Error{*e};
      doc.entries.push_back(std::move(entry));
    }
    if (!trailer) {
      return Error{fmt::format("line {}: The trailer \"{}\" is missing; the profile is incomplete.", line_,
                               kAtvTrailer)};
    }
    while (!eof()) {
      std::string_view line = restOfLine();
      if (line.substr(0, 5) != "#sig " && line != "#sig") {
        return Error{at(pos(), "Only \"#sig\" lines may follow the trailer \"// End of configuration profile\".")};
      }
      doc.signature.emplace_back(line);
      skipLine();
    }
    return doc;
  }

 private:
  std::optional<std::string> precheck() {
    if (s_.size() > kMaxProfileBytes) {
      return fmt::format("The profile is {} bytes; profiles are limited to 16 MiB.", s_.size());
    }
    if (s_.empty()) return std::string("The profile is empty.");
    int line = 1;
    std::size_t lineStart = 0;
    for (std::size_t i = 0; i < s_.size();) {
      char c = s_[i];
      Position p{line, static_cast<int>(i - lineStart) + 1};
      if (c == '\r') {
        return at(p, "The profile uses Windows line endings (CR LF); convert it to Unix line endings (LF).");
      }
      if (c == '\0') return at(p, "The profile contains a NUL byte.");
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
        return at(p, "The profile contains a control character.");
      }
      std::size_t n = utf8Length(s_, i);
      if (n == 0) return at(p, "The profile is not valid UTF-8.");
      if (c == '\n') {
        ++line;
        lineStart = i + 1;
      }
      i += n;
    }
    if (s_.back() != '\n') {
      return fmt::format("line {}: The profile must end with a newline (LF).", line);
    }
    return std::nullopt;
  }

  bool eof() const { return i_ >= s_.size(); }
  Position pos() const { return {line_, col_}; }
  bool startsWith(std::string_view p) const { return s_.substr(i_, p.size()) == p; }
  std::string_view restOfLine() const {
    std::size_t end = s_.find('\n', i_);
    return s_.substr(i_, end == std::string_view::npos ? std::string_view::npos : end - i_);
  }
  void advance() {
    if (s_[i_] == '\n') {
      ++line_;
      col_ = 1;
    } else {
      ++col_;
    }
    ++i_;
  }
  void skipLine() {
    while (!eof() && s_[i_] != '\n') advance();
    if (!eof()) advance();
  }
  void skipBlank() {
    while (!eof() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n')) advance();
  }
  // White space and comments, inside an entry.
  void skipSpace() {
    while (true) {
      skipBlank();
      if (startsWith("//")) {
        skipLine();
        continue;
      }
      return;
    }
  }

  std::optional<std::string> parseName(std::string& name) {
    std::size_t start = i_;
    while (!eof() && ((s_[i_] >= 'A' && s_[i_] <= 'Z') || (s_[i_] >= 'a' && s_[i_] <= 'z') ||
                      (s_[i_] >= '0' && s_[i_] <= '9') || s_[i_] == '_')) {
      advance();
    }
    if (i_ == start) return at(pos(), "A variable name was expected here.");
    name.assign(s_.substr(start, i_ - start));
    return std::nullopt;
  }

  std::optional<std::string> parseString(std::string& out) {
    Position open = pos();
    advance();  // the quote
    while (true) {
      if (eof() || s_[i_] == '\n') return at(open, "The string that starts here is not closed on its line.");
      char c = s_[i_];
      if (c == '"') {
        advance();
        return std::nullopt;
      }
      if (c == '\\') {
        Position esc = pos();
        advance();
        if (eof()) return at(esc, "The escape sequence is incomplete.");
        switch (s_[i_]) {
          case '"': out += '"'; break;
          case '\\': out += '\\'; break;
          case 'n': out += '\n'; break;
          case 't': out += '\t'; break;
          default: return at(esc, fmt::format("Unknown escape sequence \"\\{}\".", s_[i_]));
        }
        advance();
        continue;
      }
      out += c;
      advance();
    }
  }

  std::optional<std::string> parseEntry(AtvEntry& entry, int depth) {
    entry.pos = pos();
    if (auto e = parseName(entry.name)) return e;
    skipSpace();
    if (eof() || s_[i_] != '=') return at(pos(), fmt::format("\"=\" was expected after {}.", entry.name));
    advance();
    skipSpace();
    entry.valuePos = pos();
    if (eof()) return at(pos(), fmt::format("A value was expected for {}.", entry.name));
    if (s_[i_] == '"') return parseString(entry.text);
    if (s_[i_] != '{') {
      return at(pos(), fmt::format("A value in double quotes or a table in braces was expected for {}.", entry.name));
    }
    if (depth >= kMaxDepth) return at(pos(), "Tables are nested too deeply.");
    entry.isTable = true;
    advance();
    while (true) {
      skipSpace();
      if (eof()) return at(entry.valuePos, fmt::format("The table {} is not closed.", entry.name));
      if (s_[i_] == '}') {
        advance();
        return std::nullopt;
      }
      if (s_[i_] != '{') return at(pos(), fmt::format("A row \"{{\" or the end of table {} \"}}\" was expected.", entry.name));
      AtvRow row;
      if (auto e = parseRow(row, entry.name, depth)) return e;
      entry.rows.push_back(std::move(row));
    }
  }

  std::optional<std::string> parseRow(AtvRow& row, const std::string& table, int depth) {
    row.pos = pos();
    advance();
    while (true) {
      skipSpace();
      if (eof()) return at(row.pos, fmt::format("A row of table {} is not closed.", table));
      if (s_[i_] == '}') {
        advance();
        return std::nullopt;
      }
      AtvEntry field;
      if (auto e = parseEntry(field, depth + 1)) return e;
      if (field.name == kRowIdKey) {
        if (field.isTable) return at(field.valuePos, "ROWID must be a string.");
        if (!row.id.empty()) return at(field.pos, "The row has two ROWID entries.");
        row.id = std::move(field.text);
        row.idPos = field.valuePos;
        continue;
      }
      row.fields.push_back(std::move(field));
    }
  }

  std::string_view s_;
  std::size_t i_ = 0;
  int line_ = 1;
  int col_ = 1;
};

void writeFields(std::string& out, const Fields& fields, int indent);

void writeValue(std::string& out, std::string_view name, const Value& value, int indent) {
  out.append(indent, ' ');
  out += name;
  if (!value.isTable) {
    out += " = \"";
    escapeValueInto(out, value.text);
    out += "\"\n";
    return;
  }
  out += " = {\n";
  for (const Row& row : value.rows) {
    out.append(indent + 2, ' ');
    out += "{\n";
    out.append(indent + 4, ' ');
    out += fmt::format("{} = \"{}\"\n", kRowIdKey, row.id);
    writeFields(out, row.fields, indent + 4);
    out.append(indent + 2, ' ');
    out += "}\n";
  }
  out.append(indent, ' ');
  out += "}\n";
}

void writeFields(std::string& out, const Fields& fields, int indent) {
  for (const auto& [name, value] : fields) writeValue(out, name, value, indent);
}

// --- loading -------------------------------------------------------------------

// Variables renamed between firmware 8.x and 10.x (reference table 3-11).
struct Rename {
  std::string_view from, to;
};
constexpr Rename kRenames[] = {
    {"PORT_MIRROR_RECEIVER", "MIRROR_RECEIVER"},
    {"PHY_SETTING", "SWITCHPORT"},
    {"STATIC_MULTICAST_GROUP", "MULTICAST_GROUP"},
};

class Loader {
 public:
  Loader(const Schema& schema, RowIdGenerator& ids, std::vector<std::string>* notes)
      : schema_(schema), ids_(ids), notes_(notes) {}

  Result<Config> run(const AtvDocument& doc, const Config& base) {
    Config config = base;
    std::map<std::string, Position, std::less<>> seen;
    // Row ids of the profile must be unique; ids of `base` may be reused by
    // the profile (that is how a row keeps its identity across a round trip).
    for (const AtvEntry& e : doc.entries) collectGiven(e);
    // Fresh ids avoid every id of the base and of the profile, collected once.
    // Ids of base tables the profile does not replace stay in use.
    std::set<std::string, std::less<>> replaced;
    for (const AtvEntry& e : doc.entries) replaced.insert(std::string(renamed(e.name)));
    for (auto& [id, table] : collectRowIds(base)) {
      taken_.insert(id);
      if (!replaced.contains(table.substr(0, table.find(':')))) keptIds_.emplace(id, table);
    }
    taken_.insert(given_.begin(), given_.end());
    // A profile that uses a name of firmware 8.x was exported by such a
    // device: the migration rules of reference 3.6.2 and 3.6.4 apply to it.
    for (const AtvEntry& e : doc.entries) {
      for (const Rename& r : kRenames) legacy_ = legacy_ || e.name == r.from;
    }
    for (const AtvEntry& entry : doc.entries) {
      std::string name = entry.name;
      for (const Rename& r : kRenames) {
        if (name == r.from) {
          note(fmt::format("{} was renamed to {} (reference 3.6.5).", r.from, r.to));
          name = std::string(r.to);
        }
      }
      const Variable* var = schema_.find(name);
      if (!var) return Error{at(entry.pos, errorFor(name, shown(entry), "Unknown variable."))};
      if (auto [it, fresh] = seen.emplace(name, entry.pos); !fresh) {
        return Error{at(entry.pos, fmt::format("Error for {}: The variable is set twice (first on line {}).", name,
                                               it->second.line))};
      }
      Value value;
      if (auto e = build(*var, entry, name, value)) return Error{*e};
      config.values[name] = std::move(value);
    }
    if (legacy_) migrateLegacy(config, seen);
    std::string failedPath;
    Status s = validate(schema_, config, &failedPath, /*clearPasswords=*/true);
    if (!s) {
      auto pos = positionOf(doc, failedPath);
      return Error{pos ? at(*pos, s.message()) : s.message()};
    }
    return config;
  }

 private:
  static std::string shown(const AtvEntry& e) { return e.isTable ? "{...}" : e.text; }

  static std::string_view renamed(std::string_view name) {
    for (const Rename& r : kRenames) {
      if (name == r.from) return r.to;
    }
    return name;
  }

  // Where the document sets `path` (a variable, a row, or a cell), for an
  // error found when the whole configuration is checked. Nothing when the
  // path comes from the base configuration, not from the document.
  static std::optional<Position> positionOf(const AtvDocument& doc, std::string_view path) {
    auto steps = parsePath(path);
    if (!steps) return std::nullopt;
    const std::vector<AtvEntry>* entries = &doc.entries;
    for (std::size_t i = 0; i < steps->size(); ++i) {
      const PathStep& step = (*steps)[i];
      auto entry = std::find_if(entries->begin(), entries->end(),
                                [&](const AtvEntry& e) { return renamed(e.name) == step.name; });
      if (entry == entries->end()) return std::nullopt;
      if (!step.index) return entry->valuePos;
      if (*step.index >= entry->rows.size()) return std::nullopt;
      const AtvRow& row = entry->rows[*step.index];
      if (i + 1 == steps->size()) return row.id.empty() ? row.pos : row.idPos;
      entries = &row.fields;
    }
    return std::nullopt;
  }

  void note(std::string text) {
    if (notes_) notes_->push_back(std::move(text));
  }

  void collectGiven(const AtvEntry& e) {
    for (const AtvRow& r : e.rows) {
      if (!r.id.empty()) given_.insert(r.id);
      for (const AtvEntry& f : r.fields) collectGiven(f);
    }
  }

  // Whole-profile rules for a profile of firmware 8.x.
  void migrateLegacy(Config& config, const std::map<std::string, Position, std::less<>>& seen) {
    const Value* groups = config.find("MULTICAST_GROUP");
    if (groups && !groups->rows.empty() && config.get("IGMP_SNOOPING") != "yes") {
      config.values["IGMP_SNOOPING"] = Value::scalar("yes");
      note("IGMP_SNOOPING was enabled because static multicast groups are configured (reference 3.6.4).");
    }
    if (!seen.contains("TLS_MIN_VERSION")) {
      config.values["TLS_MIN_VERSION"] = Value::scalar("1.0");
      note("TLS_MIN_VERSION set to 1.0: firmware 8.x accepted TLS 1.0 and 1.1 (reference 3.6.2).");
    }
  }

  std::string migrateValue(const Variable& var, const std::string& path, std::string value) {
    if (var.name == "VPN_ENCRYPTION" && (value == "Blowfish" || value == "BF-CBC")) {
      note(fmt::format("{}: Blowfish is no longer supported; set to AES-256-GCM (reference 3.6.4).", path));
      return "AES-256-GCM";
    }
    if (var.name.starts_with("SSH_") && var.name.ends_with("_LOGIN_ALLOWED_MAX")) {
      std::int64_t n = 0;
      auto [p, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (ec == std::errc{} && p == value.data() + value.size() && n > 10) {
        note(fmt::format("{}: {} sessions are more than the 10 allowed; set to 10 (reference 3.6.4).", path, value));
        return "10";
      }
    }
    return value;
  }

  std::optional<std::string> build(const Variable& var, const AtvEntry& entry, const std::string& path, Value& out) {
    if (var.kind != Kind::Table) {
      if (entry.isTable) return at(entry.valuePos, errorFor(path, "{...}", "The variable is not a table."));
      // Values of firmware 8.x are migrated only in a profile of firmware 8.x.
      std::string text = legacy_ ? migrateValue(var, path, entry.text) : entry.text;
      if (var.kind == Kind::Password && text.starts_with('$') && !isPasswordHash(text)) {
        // A hash of a method we do not take must not be mistaken for clear text:
        // hashing it again would lock the user out.
        return at(entry.valuePos, errorFor(path, "******",
                                           "The password hash method is not supported (use $y$, $6$, $5$ or $2b$, "
                                           "or give the password in clear text)."));
      }
      bool clearPassword = var.kind == Kind::Password && !text.empty() && !isPasswordHash(text);
      if (!clearPassword) {
        if (auto reason = checkScalar(var, text)) return at(entry.valuePos, errorFor(path, text, *reason));
      } else if (auto reason = checkScalar(Variable{.kind = Kind::String, .max = 128}, text)) {
        return at(entry.valuePos, errorFor(path, "******", *reason));
      }
      out = Value::scalar(std::move(text));
      return std::nullopt;
    }
    if (!entry.isTable) return at(entry.valuePos, errorFor(path, entry.text, "The variable is a table."));
    out = Value::table();
    for (std::size_t i = 0; i < entry.rows.size(); ++i) {
      const AtvRow& r = entry.rows[i];
      std::string rowPath = fmt::format("{}:{}", path, i);
      std::string id = r.id;
      if (id.empty()) {
        id = ids_.next(taken_);
      } else {
        if (!isRowId(id)) return at(r.idPos, errorFor(rowPath + ".ROWID", id, "The row id must be MAIv followed by digits."));
        if (used_.contains(id)) return at(r.idPos, errorFor(rowPath + ".ROWID", id, "The row id is used twice."));
        if (auto kept = keptIds_.find(id); kept != keptIds_.end()) {
          return at(r.idPos, errorFor(rowPath + ".ROWID", id,
                                      fmt::format("The row id is already used by {}, which the profile keeps.",
                                                  kept->second)));
        }
      }
      used_.insert(id);
      Row row = defaultRow(var, id);
      std::set<std::string> fieldsSeen;
      for (const AtvEntry& f : r.fields) {
        const Variable* column = Schema::findColumn(var, f.name);
        std::string fieldPath = rowPath + "." + f.name;
        if (!column) return at(f.pos, errorFor(fieldPath, shown(f), "Unknown variable."));
        if (!fieldsSeen.insert(f.name).second) {
          return at(f.pos, fmt::format("Error for {}: The variable is set twice in this row.", fieldPath));
        }
        Value cell;
        if (auto e = build(*column, f, fieldPath, cell)) return e;
        row.fields[f.name] = std::move(cell);
      }
      // Before CONNECTION_STARTUP existed, a peer address meant "initiate":
      // a profile (or a stored configuration) of then keeps its meaning, and
      // is told so. Rows with the column, or with %any, get the reference's
      // default, wait.
      // (A mode configuration server only waits.)
      if (var.name == "VPN_CONNECTION" && !fieldsSeen.contains("CONNECTION_STARTUP") &&
          fieldsSeen.contains("REMOTE_GATEWAY") && row.fields["REMOTE_GATEWAY"].text != "%any" &&
          row.fields["MODECFG"].text != "server") {
        row.fields["CONNECTION_STARTUP"] = Value::scalar("initiate");
        note(fmt::format("{}.CONNECTION_STARTUP set to initiate: before the variable existed, a peer address meant "
                         "that.",
                         rowPath));
      }
      if (legacy_ && var.name == "OPENVPN_CONNECTION" && !fieldsSeen.contains("VPN_AUTH_HMAC")) {
        row.fields["VPN_AUTH_HMAC"] = Value::scalar("SHA-1");
        note(fmt::format("{}.VPN_AUTH_HMAC set to SHA-1, the hash of firmware 8.x (reference 3.6.2).", rowPath));
      }
      out.rows.push_back(std::move(row));
    }
    return std::nullopt;
  }

  const Schema& schema_;
  RowIdGenerator& ids_;
  std::vector<std::string>* notes_;
  std::set<std::string> given_;  // ids the profile names
  std::set<std::string> used_;   // ids of the rows loaded so far
  std::set<std::string> taken_;  // ids a fresh id must not take
  std::map<std::string, std::string> keptIds_;  // ids of base rows the profile keeps -> their table
  bool legacy_ = false;
};

}  // namespace

Result<AtvDocument> parseAtv(std::string_view text) { return Parser(text).run(); }

bool isValidUtf8(std::string_view text) {
  for (std::size_t i = 0; i < text.size();) {
    std::size_t n = utf8Length(text, i);
    if (n == 0) return false;
    i += n;
  }
  return true;
}

std::string writeAtv(const Schema&, const Config& config) {
  std::string out;
  out.reserve(64 * config.values.size());
  out += "// bulwark configuration profile\n";
  out += fmt::format("// Version: {}\n", build::version);
  writeFields(out, config.values, 0);
  out += kAtvTrailer;
  out += '\n';
  return out;
}

std::string writeAtvValue(std::string_view name, const Value& value) {
  std::string out;
  writeValue(out, name, value, 0);
  return out;
}

std::string writeAtvRow(const Row& row) {
  std::string out = fmt::format("{{\n  {} = \"{}\"\n", kRowIdKey, row.id);
  writeFields(out, row.fields, 2);
  out += "}\n";
  return out;
}

Result<Config> loadProfile(const Schema& schema, const AtvDocument& document, const Config& base,
                           RowIdGenerator& ids, std::vector<std::string>* notes) {
  return Loader(schema, ids, notes).run(document, base);
}

Result<Config> importProfile(const Schema& schema, std::string_view text, const Config& base, RowIdGenerator& ids,
                             std::vector<std::string>* notes) {
  auto doc = parseAtv(text);
  if (!doc) return Error{doc.error()};
  return loadProfile(schema, *doc, base, ids, notes);
}

}  // namespace bulwark::config
