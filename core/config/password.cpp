#include "config/password.hpp"

#include <crypt.h>

#include <memory>

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

bool hasClearPasswords(const Schema& schema, const Config& config) {
  for (const Variable& v : schema.variables()) {
    if (v.kind != Kind::Password) continue;
    const std::string& value = config.get(v.name);
    if (!value.empty() && !isPasswordHash(value)) return true;
  }
  return false;
}

Status hashClearPasswords(const Schema& schema, Config& config) {
  for (const Variable& v : schema.variables()) {
    if (v.kind != Kind::Password) continue;
    auto it = config.values.find(v.name);
    if (it == config.values.end() || it->second.isTable) continue;
    std::string& value = it->second.text;
    if (value.empty() || isPasswordHash(value)) continue;
    auto hashed = hashPassword(value);
    if (!hashed) return hashed.status();
    value = std::move(*hashed);
  }
  return {};
}

}  // namespace bulwark::config
