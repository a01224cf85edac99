// The ATV profile format of the reference (chapter 3.3): a text file of
// `NAME = "value"` lines and tables `NAME = { { ... } { ... } }` (nested),
// `//` comments, a header of comment lines, the trailer
// `// End of configuration profile`, and after it `#sig ` lines (a CMS
// signature, kept verbatim for the signature check).
//
// Parsing has two steps: parseAtv() checks the syntax and keeps where every
// name and value stands (line:column); loadProfile() checks the document
// against the schema and builds a configuration. writeAtv() writes the
// canonical form: export -> import -> export gives the same bytes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "config/config.hpp"

namespace bulwark::config {

inline constexpr std::size_t kMaxProfileBytes = 16 * 1024 * 1024;
inline constexpr std::string_view kAtvTrailer = "// End of configuration profile";
// In a row, the pseudo-variable that carries the row id.
inline constexpr std::string_view kRowIdKey = "ROWID";

struct Position {
  int line = 0;
  int column = 0;
};

struct AtvRow;

struct AtvEntry {
  std::string name;
  Position pos;       // of the name
  Position valuePos;  // of the opening quote or brace
  bool isTable = false;
  std::string text;
  std::vector<AtvRow> rows;
};

struct AtvRow {
  Position pos;
  std::string id;  // "" when the row has no ROWID entry
  Position idPos;
  std::vector<AtvEntry> fields;
};

struct AtvDocument {
  std::vector<std::string> header;     // comment lines before the first entry, verbatim
  std::vector<AtvEntry> entries;
  std::vector<std::string> signature;  // the "#sig ..." lines, verbatim
};

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates).
bool isValidUtf8(std::string_view text);

// Syntax only. Errors read "line L, column C: reason".
Result<AtvDocument> parseAtv(std::string_view text);

// The canonical profile of `config`: header, every variable sorted by name,
// rows with their ROWID first and cells sorted by name, the trailer.
std::string writeAtv(const Schema& schema, const Config& config);
// One variable (or a row, with name "") in the same form, for display.
std::string writeAtvValue(std::string_view name, const Value& value);
std::string writeAtvRow(const Row& row);

// Builds the configuration a document describes, on top of `base`: the
// variables it names replace those of `base` (a table as a whole). Names of
// older firmware are migrated (reference 3.6.4, 3.6.5) and each migration is
// added to `notes`. Rows without a ROWID get fresh ids. Password values in
// clear text are kept for the caller to hash. Errors name line:column and the
// variable: "line 12, column 15: Error for WWW_TIMEOUT="x": The value ...".
Result<Config> loadProfile(const Schema& schema, const AtvDocument& document, const Config& base,
                           RowIdGenerator& ids, std::vector<std::string>* notes = nullptr);

// parseAtv + loadProfile.
Result<Config> importProfile(const Schema& schema, std::string_view text, const Config& base, RowIdGenerator& ids,
                             std::vector<std::string>* notes = nullptr);

}  // namespace bulwark::config
