// The configuration schema: every GAI variable the appliance knows, as data.
// The validator, the ATV codec, gaiconfig and (later) the WBM forms all read
// this one description. A variable has a kind (type), a default, limits, help
// text, the WBM menu it lives in and the module that owns it. Tables have
// columns, which are variables themselves (and may be tables again).
//
// Adding a variable is a one-place change: one entry in schema_catalogue.cpp.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace bulwark::config {

enum class Kind {
  String,    // free text, printable, up to `max` bytes
  Integer,   // decimal integer within [min, max]
  YesNo,     // "yes" or "no"
  Enum,      // one of `choices`
  Ipv4,      // dotted quad
  Cidr,      // dotted quad "/" prefix length
  Port,      // "any", "N" or "N:M" with 1 <= N <= M <= 65535
  Duration,  // "hh:mm:ss", total seconds within [min, max]
  Password,  // a crypt(3) hash; clear text is hashed on the way in
  Secret,    // text the appliance must hand on as it is (an IPsec pre-shared
             // key): stored in clear, masked wherever a password is
  RowRef,    // the row id of a row in table `refTable`, or one of `choices`
  Certificate,  // one X.509 certificate in PEM (public data; lines end in "\n"),
                // up to `max` bytes; "" where `optional`
  Crl,       // one X.509 certificate revocation list in PEM, the same way
  Table,     // ordered rows of `columns`
};

std::string_view kindName(Kind kind);

// One factory-default row of a table: its fixed row id and the cells that
// differ from the column defaults.
struct DefaultCell {
  std::string_view column;
  std::string_view value;
};
struct DefaultRow {
  std::string_view rowId;
  std::span<const DefaultCell> cells;
};

struct Variable {
  std::string_view name;
  Kind kind = Kind::String;
  std::string_view defaultValue;
  std::string_view help;
  std::string_view menu;    // WBM menu path, "Management >> Web Settings >> Access"
  std::string_view module;  // owning module
  std::int64_t min = 0;     // Integer, Duration (seconds); String: min length
  std::int64_t max = 0;     // Integer, Duration (seconds); String: max length
  std::span<const std::string_view> choices;      // Enum values; RowRef special values
  std::span<const std::string_view> unsupported;  // values refused on this hardware
  std::string_view refTable;                      // RowRef target table (top level)
  std::span<const Variable> columns;              // Table
  std::span<const DefaultRow> defaultRows;        // Table
  std::size_t maxRows = 0;                        // Table, 0 = no limit
  bool optional = false;                          // Ipv4, Cidr, Port: "" is allowed too
};

// The whole schema. Lookups are by exact name.
class Schema {
 public:
  explicit Schema(std::span<const Variable> variables);

  std::span<const Variable> variables() const { return variables_; }
  const Variable* find(std::string_view name) const;
  static const Variable* findColumn(const Variable& table, std::string_view name);

  // The built-in catalogue (schema_catalogue.cpp).
  static const Schema& builtin();

 private:
  std::span<const Variable> variables_;
  std::map<std::string_view, const Variable*> index_;
};

// Checks one scalar value against its variable; nullopt when it is valid,
// otherwise the reason as the reference words it ("The value ...").
// RowRef values are only checked for their form here; that the row exists is
// a whole-configuration check (see validate() in config.hpp).
std::optional<std::string> checkScalar(const Variable& variable, std::string_view value);

bool isRowId(std::string_view text);
// "hh:mm:ss" (hours may have more digits) -> seconds; nullopt when malformed.
std::optional<std::int64_t> parseDuration(std::string_view text);
bool isPasswordHash(std::string_view text);
// Password and Secret values: masked in the change log, comparisons and
// snapshots, and never shown by the JSON API.
inline bool isSecret(Kind kind) { return kind == Kind::Password || kind == Kind::Secret; }

} // namespace bulwark::config
