// The roles of the reference (11.2.3, 11.6): who may do what is decided by
// role, never by user name.
#pragma once

#include <optional>
#include <string_view>

namespace bulwark::auth {

enum class Role { Root, Admin, Netadmin, Audit, User, Mobile };

std::string_view roleName(Role role);
std::optional<Role> parseRole(std::string_view name);

}  // namespace bulwark::auth
