#include "config/config.hpp"

#include <algorithm>
#include <charconv>
#include <set>

#include <fmt/format.h>

namespace bulwark::config {

bool Value::operator==(const Value& other) const {
  return isTable == other.isTable && text == other.text && rows == other.rows;
}

const Value* Config::find(std::string_view name) const {
  auto it = values.find(name);
  return it == values.end() ? nullptr : &it->second;
}

const std::string& Config::get(std::string_view name) const {
  static const std::string empty;
  const Value* v = find(name);
  return v && !v->isTable ? v->text : empty;
}

namespace {

Value defaultValue(const Variable& v);

Row makeRow(const Variable& table, std::string id, std::span<const DefaultCell> cells) {
  Row row{std::move(id), {}};
  for (const Variable& column : table.columns) row.fields.emplace(std::string(column.name), defaultValue(column));
  for (const DefaultCell& cell : cells) row.fields[std::string(cell.column)] = Value::scalar(std::string(cell.value));
  return row;
}

Value defaultValue(const Variable& v) {
  if (v.kind != Kind::Table) return Value::scalar(std::string(v.defaultValue));
  Value table = Value::table();
  for (const DefaultRow& r : v.defaultRows) table.rows.push_back(makeRow(v, std::string(r.rowId), r.cells));
  return table;
}

void collectIds(const Value& table, const std::string& path, std::map<std::string, std::string>& out) {
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    const Row& row = table.rows[i];
    out.emplace(row.id, path);
    for (const auto& [name, value] : row.fields) {
      if (value.isTable) collectIds(value, fmt::format("{}:{}.{}", path, i, name), out);
    }
  }
}

}  // namespace

Config factoryDefault(const Schema& schema) {
  Config config;
  for (const Variable& v : schema.variables()) config.values.emplace(std::string(v.name), defaultValue(v));
  return config;
}

Row defaultRow(const Variable& table, std::string id) { return makeRow(table, std::move(id), {}); }

namespace {
void blankSecrets(std::span<const Variable> variables, Fields& fields) {
  for (const Variable& v : variables) {
    auto it = fields.find(v.name);
    if (it == fields.end()) continue;
    if (isSecret(v.kind)) it->second.text.clear();
    if (v.kind == Kind::Table) {
      for (Row& row : it->second.rows) blankSecrets(v.columns, row.fields);
    }
  }
}
}  // namespace

Config withoutSecrets(const Schema& schema, const Config& config) {
  Config out = config;
  blankSecrets(schema.variables(), out.values);
  return out;
}

RowIdGenerator::RowIdGenerator() : random_(std::random_device{}()) {}
RowIdGenerator::RowIdGenerator(std::uint64_t seed) : random_(seed) {}

std::string RowIdGenerator::next(std::set<std::string>& used) {
  std::uniform_int_distribution<std::uint32_t> digits(100000000, 999999999);
  for (;;) {
    std::string id = fmt::format("MAIv{}", digits(random_));
    if (used.insert(id).second) return id;
  }
}

std::map<std::string, std::string> collectRowIds(const Config& config) {
  std::map<std::string, std::string> ids;
  for (const auto& [name, value] : config.values) {
    if (value.isTable) collectIds(value, name, ids);
  }
  return ids;
}

void escapeValueInto(std::string& out, std::string_view text) {
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
}

std::string errorFor(std::string_view path, std::string_view value, std::string_view reason) {
  std::string escaped;
  escapeValueInto(escaped, value);
  // Other control characters never pass validation, but they may be what is
  // refused: shown as \xHH, never raw.
  std::string shown;
  for (char c : escaped) {
    auto u = static_cast<unsigned char>(c);
    shown += u < 0x20 || u == 0x7f ? fmt::format("\\x{:02x}", u) : std::string(1, c);
  }
  escaped = std::move(shown);
  return fmt::format("Error for {}=\"{}\": {}", path, escaped, reason);
}

// --- validation --------------------------------------------------------------

namespace {

struct Validator {
  const Schema& schema;
  std::map<std::string, std::string> rowIds;  // id -> table path
  bool clearPasswords;
  std::set<std::string> seen;
  std::string failedPath;

  Status fail(std::string path, std::string message) {
    failedPath = std::move(path);
    return Error{std::move(message)};
  }

  Status fields(std::span<const Variable> vars, const Fields& values, const std::string& prefix) {
    for (const auto& [name, value] : values) {
      const Variable* var = nullptr;
      for (const Variable& v : vars) {
        if (v.name == name) var = &v;
      }
      if (!var) return fail(prefix + name, errorFor(prefix + name, value.isTable ? "{...}" : value.text, "Unknown variable."));
    }
    for (const Variable& var : vars) {
      std::string path = prefix + std::string(var.name);
      auto it = values.find(var.name);
      if (it == values.end()) return fail(path, fmt::format("Error for {}: The variable is missing.", path));
      if (Status s = one(var, it->second, path); !s) return s;
    }
    return {};
  }

  Status one(const Variable& var, const Value& value, const std::string& path) {
    if (var.kind != Kind::Table) {
      if (value.isTable) return fail(path, errorFor(path, "{...}", "The variable is not a table."));
      if (clearPasswords && var.kind == Kind::Password && !value.text.empty() && !isPasswordHash(value.text)) {
        return {};
      }
      if (auto reason = checkScalar(var, value.text)) return fail(path, errorFor(path, value.text, *reason));
      if (var.kind == Kind::RowRef && isRowId(value.text)) {
        auto it = rowIds.find(value.text);
        if (it == rowIds.end() || it->second != var.refTable) {
          return fail(path, errorFor(path, value.text, fmt::format("No {} row has this row id.", var.refTable)));
        }
      }
      return {};
    }
    if (!value.isTable) return fail(path, errorFor(path, value.text, "The variable is a table."));
    if (var.maxRows && value.rows.size() > var.maxRows) {
      return fail(path, fmt::format("Error for {}: The table has {} rows; at most {} are allowed.", path,
                                    value.rows.size(), var.maxRows));
    }
    for (std::size_t i = 0; i < value.rows.size(); ++i) {
      const Row& row = value.rows[i];
      std::string rowPath = fmt::format("{}:{}", path, i);
      if (!isRowId(row.id)) {
        return fail(rowPath, errorFor(rowPath, row.id, "The row id must be MAIv followed by digits."));
      }
      if (!seen.insert(row.id).second) return fail(rowPath, errorFor(rowPath, row.id, "The row id is used twice."));
      if (Status s = fields(var.columns, row.fields, rowPath + "."); !s) return s;
    }
    return {};
  }
};

}  // namespace

Status validate(const Schema& schema, const Config& config, std::string* failedPath, bool clearPasswords) {
  Validator v{schema, collectRowIds(config), clearPasswords, {}, {}};
  Status s = v.fields(schema.variables(), config.values, "");
  if (failedPath) *failedPath = v.failedPath;
  return s;
}

// --- addressing --------------------------------------------------------------

Result<std::vector<PathStep>> parsePath(std::string_view path) {
  std::vector<PathStep> steps;
  std::size_t pos = 0;
  auto bad = [&] { return Error{fmt::format("Invalid variable path \"{}\".", path)}; };
  while (true) {
    std::size_t end = path.find_first_of(":.", pos);
    std::string_view name = path.substr(pos, end == std::string_view::npos ? path.npos : end - pos);
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
          return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
        })) {
      return bad();
    }
    PathStep step{std::string(name), std::nullopt};
    if (end != std::string_view::npos && path[end] == ':') {
      std::size_t numEnd = path.find('.', end + 1);
      std::string_view digits = path.substr(end + 1, numEnd == std::string_view::npos ? path.npos : numEnd - end - 1);
      std::size_t index = 0;
      auto [p, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), index);
      if (digits.empty() || ec != std::errc{} || p != digits.data() + digits.size()) return bad();
      step.index = index;
      end = numEnd;
    }
    steps.push_back(std::move(step));
    if (end == std::string_view::npos) break;
    if (path[end] != '.' || !steps.back().index) return bad();
    pos = end + 1;
  }
  return steps;
}

namespace {

template <typename ConfigT, typename ValueT, typename RowT>
Result<std::tuple<const Variable*, ValueT*, RowT*>> walk(const Schema& schema, ConfigT& config,
                                                          std::string_view path) {
  auto steps = parsePath(path);
  if (!steps) return Error{steps.error()};
  std::span<const Variable> scope = schema.variables();
  auto* fields = &config.values;
  const Variable* var = nullptr;
  ValueT* value = nullptr;
  RowT* row = nullptr;
  for (std::size_t i = 0; i < steps->size(); ++i) {
    const PathStep& step = (*steps)[i];
    var = nullptr;
    for (const Variable& v : scope) {
      if (v.name == step.name) var = &v;
    }
    auto it = fields->find(step.name);
    if (!var || it == fields->end()) return Error{fmt::format("Unknown variable {}.", step.name)};
    value = &it->second;
    row = nullptr;
    if (step.index) {
      if (!value->isTable) return Error{fmt::format("{} is not a table.", step.name)};
      if (*step.index >= value->rows.size()) {
        return Error{fmt::format("{} has no row {} (it has {}).", step.name, *step.index, value->rows.size())};
      }
      row = &value->rows[*step.index];
      fields = &row->fields;
      scope = var->columns;
      if (i + 1 < steps->size()) value = nullptr;
    }
  }
  if (row) value = nullptr;
  return std::tuple<const Variable*, ValueT*, RowT*>{var, value, row};
}

}  // namespace

Result<Resolved> resolve(const Schema& schema, const Config& config, std::string_view path) {
  auto r = walk<const Config, const Value, const Row>(schema, config, path);
  if (!r) return Error{r.error()};
  auto [var, value, row] = *r;
  return Resolved{var, value, row};
}

Status setScalar(const Schema& schema, Config& config, std::string_view path, std::string value) {
  auto r = walk<Config, Value, Row>(schema, config, path);
  if (!r) return Error{r.error()};
  auto [var, target, row] = *r;
  if (!target || var->kind == Kind::Table) {
    return Error{errorFor(path, value, "A table cannot be set to a value; set its cells or import a profile.")};
  }
  if (auto reason = checkScalar(*var, value)) return Error{errorFor(path, value, *reason)};
  target->text = std::move(value);
  return {};
}

// --- diff --------------------------------------------------------------------

bool Diff::touches(std::string_view name) const {
  return std::any_of(changes.begin(), changes.end(), [&](const Change& c) {
    return c.path == name || (c.path.size() > name.size() && c.path.compare(0, name.size(), name) == 0 &&
                              (c.path[name.size()] == ':' || c.path[name.size()] == '.'));
  });
}

namespace {

struct Differ {
  std::vector<Change>& out;

  void cells(std::span<const Variable> vars, const Fields& fields, const std::string& prefix) {
    for (const auto& [name, value] : fields) {
      const Variable* var = nullptr;
      for (const Variable& v : vars) {
        if (v.name == name) var = &v;
      }
      std::string path = prefix + name;
      if (value.isTable) {
        for (std::size_t i = 0; i < value.rows.size(); ++i) {
          cells(var ? var->columns : std::span<const Variable>{}, value.rows[i].fields, fmt::format("{}:{}.", path, i));
        }
      } else {
        out.push_back({Change::Kind::Set, path, "", value.text, 0, 0, var && isSecret(var->kind)});
      }
    }
  }

  void fields(std::span<const Variable> vars, const Fields& before, const Fields& after, const std::string& prefix) {
    for (const auto& [name, value] : after) {
      const Variable* var = nullptr;
      for (const Variable& v : vars) {
        if (v.name == name) var = &v;
      }
      auto old = before.find(name);
      std::string path = prefix + name;
      if (value.isTable) {
        static const Value none = Value::table();
        table(var, old == before.end() || !old->second.isTable ? none : old->second, value, path);
      } else if (old == before.end() || old->second.isTable || old->second.text != value.text) {
        std::string previous = old == before.end() || old->second.isTable ? "" : old->second.text;
        out.push_back({Change::Kind::Set, path, previous, value.text, 0, 0, var && isSecret(var->kind)});
      }
    }
  }

  void table(const Variable* var, const Value& before, const Value& after, const std::string& path) {
    std::span<const Variable> columns = var ? var->columns : std::span<const Variable>{};
    std::map<std::string_view, std::size_t> oldIndex;
    for (std::size_t i = 0; i < before.rows.size(); ++i) oldIndex.emplace(before.rows[i].id, i);
    std::set<std::string_view> newIds;
    for (const Row& r : after.rows) newIds.insert(r.id);

    for (std::size_t i = before.rows.size(); i-- > 0;) {
      if (!newIds.contains(before.rows[i].id)) out.push_back({Change::Kind::DeleteRow, path, "", "", i, i, false});
    }
    // Rank of each surviving row among the survivors, old and new: a row
    // moved when its rank changed, not merely because rows around it came or went.
    std::vector<std::string_view> oldOrder, newOrder;
    for (const Row& r : before.rows) {
      if (newIds.contains(r.id)) oldOrder.push_back(r.id);
    }
    for (const Row& r : after.rows) {
      if (oldIndex.contains(r.id)) newOrder.push_back(r.id);
    }
    std::size_t rank = 0;
    for (std::size_t i = 0; i < after.rows.size(); ++i) {
      const Row& row = after.rows[i];
      std::string rowPrefix = fmt::format("{}:{}.", path, i);
      auto old = oldIndex.find(row.id);
      if (old == oldIndex.end()) {
        out.push_back({Change::Kind::NewRow, path, "", "", i, 0, false});
        cells(columns, row.fields, rowPrefix);
        continue;
      }
      if (oldOrder[rank] != newOrder[rank]) out.push_back({Change::Kind::MoveRow, path, "", "", i, old->second, false});
      ++rank;
      fields(columns, before.rows[old->second].fields, row.fields, rowPrefix);
    }
  }
};

}  // namespace

Diff diff(const Schema& schema, const Config& before, const Config& after) {
  Diff d;
  Differ{d.changes}.fields(schema.variables(), before.values, after.values, "");
  return d;
}

namespace {

// A value of several lines (a certificate in PEM) as one log line: its first
// line and its size.
std::string quotedOnOneLine(const std::string& value) {
  std::size_t newline = value.find('\n');
  if (newline == std::string::npos) return fmt::format("'{}'", value);
  return fmt::format("'{}...' ({} bytes)", value.substr(0, newline), value.size());
}

}  // namespace

std::vector<std::string> changeLogLines(const Diff& diff) {
  std::vector<std::string> lines;
  lines.reserve(diff.changes.size());
  for (const Change& c : diff.changes) {
    switch (c.kind) {
      case Change::Kind::Set:
        lines.push_back(fmt::format("{} set to {}", c.path, c.secret ? "'******'" : quotedOnOneLine(c.after)));
        break;
      case Change::Kind::NewRow:
        lines.push_back(fmt::format("{} new row {}", c.path, c.index));
        break;
      case Change::Kind::DeleteRow:
        lines.push_back(fmt::format("{} delete row {}", c.path, c.index));
        break;
      case Change::Kind::MoveRow:
        lines.push_back(fmt::format("{} move row {} to {}", c.path, c.oldIndex, c.index));
        break;
    }
  }
  return lines;
}

std::vector<std::string> compareLines(const Diff& diff) {
  std::vector<std::string> lines = changeLogLines(diff);
  for (std::size_t i = 0; i < diff.changes.size(); ++i) {
    const Change& c = diff.changes[i];
    if (c.kind != Change::Kind::Set) continue;
    lines[i] = c.secret ? fmt::format("{}: '******' -> '******'", c.path)
                        : fmt::format("{}: {} -> {}", c.path, quotedOnOneLine(c.before), quotedOnOneLine(c.after));
  }
  return lines;
}

}  // namespace bulwark::config
