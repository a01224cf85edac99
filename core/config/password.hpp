// Password hashing for Password variables: clear text becomes a crypt(3)
// hash (yescrypt) before it is stored. CPU-heavy by design: call it on a worker.
#pragma once

#include <string>
#include <string_view>

#include "common/status.hpp"
#include "config/config.hpp"

namespace bulwark::config {

Result<std::string> hashPassword(std::string_view clear);

// True when some Password variable of `config` holds clear text.
bool hasClearPasswords(const Schema& schema, const Config& config);
// Hashes every clear-text Password value in place.
Status hashClearPasswords(const Schema& schema, Config& config);

}  // namespace bulwark::config
