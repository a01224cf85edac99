// The configuration model: a complete set of values for every variable of the
// schema. Scalars are strings in their canonical form (as they appear in an
// ATV profile); tables are ordered rows, each with a stable row id (MAIv...)
// that survives reordering and profile round trips. Nested tables are
// addressed by path: "USERFW_TEMPLATE:0.TEMPLATE_RULE:0.DST_IP".
//
// This header also holds the whole-configuration operations: the factory
// default, validation against the schema, and the diff between two
// configurations (from which the change log and profile comparisons are made).
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "config/schema.hpp"

namespace bulwark::config {

struct Row;

struct Value {
  bool isTable = false;
  std::string text;       // scalar
  std::vector<Row> rows;  // table

  // Defined below Row: clang instantiates vector<Row>'s constexpr members at
  // once, and Row is still incomplete here.
  static Value scalar(std::string text);
  static Value table();
  static Value table(std::vector<Row> rows);
  bool operator==(const Value&) const;
};

struct Row {
  std::string id;
  std::map<std::string, Value, std::less<>> fields;
  bool operator==(const Row&) const = default;
};

inline Value Value::scalar(std::string text) { return Value{false, std::move(text), {}}; }
inline Value Value::table() { return Value{true, {}, {}}; }
inline Value Value::table(std::vector<Row> rows) { return Value{true, {}, std::move(rows)}; }

using Fields = std::map<std::string, Value, std::less<>>;

class Config {
 public:
  Fields values;  // every top-level variable, by name

  bool operator==(const Config&) const = default;

  const Value* find(std::string_view name) const;
  // Scalar value of a top-level variable; "" when absent.
  const std::string& get(std::string_view name) const;
};

using Snapshot = std::shared_ptr<const Config>;

// The configuration every variable's default makes, with the schema's
// default rows. Deterministic: the same bytes on every device.
Config factoryDefault(const Schema& schema);

// `config` with every password value blanked (hashes included): for
// snapshots and anything else that leaves the device for support.
Config withoutSecrets(const Schema& schema, const Config& config);

// Fills a new row with the column defaults.
Row defaultRow(const Variable& table, std::string id);

// Makes fresh row ids (MAIv + 9 digits).
class RowIdGenerator {
 public:
  RowIdGenerator();
  explicit RowIdGenerator(std::uint64_t seed);
  // An id not in `used`; it is added to `used`.
  std::string next(std::set<std::string>& used);

 private:
  std::mt19937_64 random_;
};

// Every row id in use, with the path of its table ("USERFW_TEMPLATE:0.TEMPLATE_RULE").
std::map<std::string, std::string> collectRowIds(const Config& config);

// Checks a whole configuration against the schema: every variable present
// and valid, no unknown names, row ids well-formed and unique, references
// pointing at existing rows, row limits. The first problem is returned as
// `Error for PATH="value": reason`; `failedPath` (when given) receives PATH.
// With `clearPasswords`, a password variable may hold clear text (a profile
// on its way in, before the service hashes it).
Status validate(const Schema& schema, const Config& config, std::string* failedPath = nullptr,
                bool clearPasswords = false);

// Formats the reference's error wording; the value is escaped as in a
// profile, so the message stays on one line.
std::string errorFor(std::string_view path, std::string_view value, std::string_view reason);

// Appends `text` with the escapes of the ATV format: \" \\ \n \t.
void escapeValueInto(std::string& out, std::string_view text);

// --- addressing ------------------------------------------------------------

// A parsed path: NAME or NAME:index.NAME:index.NAME ...
struct PathStep {
  std::string name;
  std::optional<std::size_t> index;
};
Result<std::vector<PathStep>> parsePath(std::string_view path);

// Resolves a path to a value (scalar or table) or, with a trailing index, to a row.
struct Resolved {
  const Variable* variable = nullptr;  // schema entry of the last name
  const Value* value = nullptr;        // set when the path ends at a variable
  const Row* row = nullptr;            // set when the path ends at a row index
};
Result<Resolved> resolve(const Schema& schema, const Config& config, std::string_view path);

// Sets a scalar at `path` (a top-level name or a cell in a row). The value
// is checked against its variable; nothing changes on error.
Status setScalar(const Schema& schema, Config& config, std::string_view path, std::string value);

// --- diff ------------------------------------------------------------------

struct Change {
  enum class Kind { Set, NewRow, DeleteRow, MoveRow };
  Kind kind;
  std::string path;    // Set: the cell path; rows: the table path
  std::string before;  // Set: old value ("" for new rows)
  std::string after;   // Set: new value
  std::size_t index = 0;     // rows: index in the new table (DeleteRow: in the old)
  std::size_t oldIndex = 0;  // MoveRow: index in the old table
  bool secret = false;       // value of a password variable
};

struct Diff {
  std::vector<Change> changes;
  bool empty() const { return changes.empty(); }
  // True when anything at or below the top-level variable `name` changed.
  bool touches(std::string_view name) const;
};

// The changes that turn `before` into `after`. Rows are matched by row id.
// Order: variables by name; within a new row, every cell, sorted by path
// (reference 4.3.6).
Diff diff(const Schema& schema, const Config& before, const Config& after);

// The change log lines of reference 4.3.3 (without the "User ..." header),
// with password values as '******'.
std::vector<std::string> changeLogLines(const Diff& diff);

// The same changes as a comparison: "PATH: 'before' -> 'after'" for values,
// the change-log wording for rows; passwords masked.
std::vector<std::string> compareLines(const Diff& diff);

}  // namespace bulwark::config
