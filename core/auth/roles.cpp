#include "auth/roles.hpp"

#include <array>
#include <utility>

namespace bulwark::auth {

namespace {
constexpr std::array<std::pair<Role, std::string_view>, 6> kRoles = {{
    {Role::Root, "root"},
    {Role::Admin, "admin"},
    {Role::Netadmin, "netadmin"},
    {Role::Audit, "audit"},
    {Role::User, "user"},
    {Role::Mobile, "mobile"},
}};
}  // namespace

std::string_view roleName(Role role) {
  for (const auto& [r, name] : kRoles) {
    if (r == role) return name;
  }
  return "?";
}

std::optional<Role> parseRole(std::string_view name) {
  for (const auto& [r, n] : kRoles) {
    if (n == name) return r;
  }
  return std::nullopt;
}

}  // namespace bulwark::auth
