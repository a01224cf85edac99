// The configuration store: <data-dir>/config.db, SQLite in WAL mode with
// synchronous=FULL. It holds the configuration in force (as its canonical
// ATV text, one row, replaced in one transaction: a power cut leaves the old
// or the new configuration, never a mix), the saved profiles (verbatim, so a
// signature stays checkable) and which profile is active.
//
// Not thread-safe: the configuration service uses it from one serial lane.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/status.hpp"

struct sqlite3;

namespace bulwark::config {

inline constexpr std::string_view kFactoryProfile = "Factory Default";

struct ProfileInfo {
  std::string name;
  std::size_t size = 0;
  bool active = false;
};

class Store {
 public:
  static Result<std::unique_ptr<Store>> open(const std::filesystem::path& file);
  ~Store();

  struct Current {
    std::uint64_t generation = 0;
    std::string atv;
  };
  // The configuration in force; nullopt in a new store.
  Result<std::optional<Current>> load();
  // Replaces the configuration in force. `activeProfile` names the profile it
  // equals (after a restore or a save), "" when none. `carryActiveFrom`: the
  // new configuration is the one of that generation again (a rollback), so a
  // profile active then is active again.
  Result<std::uint64_t> commit(std::string_view atv, std::string_view activeProfile = {},
                               std::optional<std::uint64_t> carryActiveFrom = std::nullopt);

  // Stores a profile (replacing one of the same name, which is then no longer active).
  Status saveProfile(std::string_view name, std::string_view body);
  Result<std::optional<std::string>> profile(std::string_view name);
  Result<std::vector<ProfileInfo>> listProfiles();
  Status deleteProfile(std::string_view name);
  // Marks `name` active while the configuration stays at `generation`.
  Status setActive(std::string_view name, std::uint64_t generation);

  // PRAGMA integrity_check; the error lists what it found.
  Status integrityCheck();

 private:
  explicit Store(sqlite3* db) : db_(db) {}
  sqlite3* db_;
};

// Profile names: 1 to 64 of letters, digits, space, ".", "_", "-"; not
// starting with "." or space; "Factory Default" is taken.
Status checkProfileName(std::string_view name);

}  // namespace bulwark::config
