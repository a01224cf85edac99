#include "config/password.hpp"

#include <crypt.h>

#include <memory>
#include <span>

namespace bulwark::config {

Result<std::string> hashPassword(std::string_view clear) {
  if (clear.find('\0') != std::string_view::npos) return Error{"A password must not contain a NUL byte."};
  std::unique_ptr<char, decltype(&free)> setting(crypt_gensalt_ra("$y$", 0, nullptr, 0), &free);
  if (!setting) return Error{"cannot make a password salt (no entropy?)"};
  auto data = std::make_unique<crypt_data>();
  std::string copy(clear);
  const char* hash = crypt_r(copy.c_str(), setting.get(), data.get());
  if (!hash || hash[0] == '*') return Error{"cannot hash the password"};
  return std::string(hash);
}

namespace {

// Calls `each` with every password cell of `fields` (top-level variables
// and the columns of tables, at any depth); stops at the first error.
template <typename Fields, typename Each>
Status forPasswords(std::span<const Variable> variables, Fields& fields, Each&& each) {
  for (const Variable& v : variables) {
    auto it = fields.find(v.name);
    if (it == fields.end()) continue;
    if (v.kind == Kind::Password && !it->second.isTable) {
      if (Status s = each(it->second.text); !s) return s;
    } else if (v.kind == Kind::Table) {
      for (auto& row : it->second.rows) {
        if (Status s = forPasswords(v.columns, row.fields, each); !s) return s;
      }
    }
  }
  return {};
}

}  // namespace

bool hasClearPasswords(const Schema& schema, const Config& config) {
  bool clear = false;
  (void)forPasswords(schema.variables(), config.values, [&clear](const std::string& value) -> Status {
    clear = clear || (!value.empty() && !isPasswordHash(value));
    return {};
  });
  return clear;
}

Status hashClearPasswords(const Schema& schema, Config& config) {
  return forPasswords(schema.variables(), config.values, [](std::string& value) -> Status {
    if (value.empty() || isPasswordHash(value)) return {};
    auto hashed = hashPassword(value);
    if (!hashed) return hashed.status();
    value = std::move(*hashed);
    return {};
  });
}

}  // namespace bulwark::config
