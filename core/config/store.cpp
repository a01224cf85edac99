#include "config/store.hpp"

#include <sqlite3.h>

#include <algorithm>

#include <fmt/format.h>

namespace bulwark::config {

namespace {

struct Stmt {
  Stmt(sqlite3* db, const char* sql) { rc = sqlite3_prepare_v2(db, sql, -1, &s, nullptr); }
  ~Stmt() { sqlite3_finalize(s); }
  Stmt& text(int i, std::string_view v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& blob(int i, std::string_view v) {
    sqlite3_bind_blob(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  Stmt& integer(int i, std::int64_t v) {
    sqlite3_bind_int64(s, i, v);
    return *this;
  }
  int step() { return sqlite3_step(s); }
  std::string column(int i) {
    auto* p = static_cast<const char*>(sqlite3_column_blob(s, i));
    return p ? std::string(p, static_cast<std::size_t>(sqlite3_column_bytes(s, i))) : std::string();
  }
  sqlite3_stmt* s = nullptr;
  int rc;
};

Status exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return Error{fmt::format("configuration store: {}", msg)};
  }
  return {};
}

Error dbError(sqlite3* db, std::string_view what) {
  return Error{fmt::format("configuration store: {}: {}", what, sqlite3_errmsg(db))};
}

// Rolls back unless committed; every write is one transaction.
class Transaction {
 public:
  explicit Transaction(sqlite3* db) : db_(db) { ok_ = exec(db_, "BEGIN IMMEDIATE").isOk(); }
  ~Transaction() {
    if (ok_ && !done_) exec(db_, "ROLLBACK");
  }
  bool ok() const { return ok_; }
  Status commit() {
    done_ = true;
    return exec(db_, "COMMIT");
  }

 private:
  sqlite3* db_;
  bool ok_ = false;
  bool done_ = false;
};

}  // namespace

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& file) {
  sqlite3* db = nullptr;
  std::string path = file.string();
  if (sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr) !=
      SQLITE_OK) {
    Error e{fmt::format("cannot open the configuration store {}: {}", path, sqlite3_errmsg(db))};
    sqlite3_close_v2(db);
    return e;
  }
  std::unique_ptr<Store> store(new Store(db));
  sqlite3_busy_timeout(db, 10000);
  if (Status s = exec(db,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
                      "CREATE TABLE IF NOT EXISTS config(id INTEGER PRIMARY KEY CHECK (id = 1),"
                      " generation INTEGER NOT NULL, atv TEXT NOT NULL);"
                      "CREATE TABLE IF NOT EXISTS profiles(name TEXT PRIMARY KEY, body BLOB NOT NULL);"
                      "CREATE TABLE IF NOT EXISTS active(id INTEGER PRIMARY KEY CHECK (id = 1),"
                      " name TEXT NOT NULL, generation INTEGER NOT NULL);");
      !s) {
    return Error{fmt::format("cannot prepare the configuration store {}: {}", path, s.message())};
  }
  return store;
}

Store::~Store() { sqlite3_close_v2(db_); }

Result<std::optional<Store::Current>> Store::load() {
  Stmt q(db_, "SELECT generation, atv FROM config WHERE id = 1");
  if (q.rc != SQLITE_OK) return dbError(db_, "load");
  int rc = q.step();
  if (rc == SQLITE_DONE) return std::optional<Current>{};
  if (rc != SQLITE_ROW) return dbError(db_, "load");
  return std::optional<Current>{Current{static_cast<std::uint64_t>(sqlite3_column_int64(q.s, 0)), q.column(1)}};
}

Result<std::uint64_t> Store::commit(std::string_view atv, std::string_view activeProfile,
                                    std::optional<std::uint64_t> carryActiveFrom) {
  Transaction t(db_);
  if (!t.ok()) return dbError(db_, "begin");
  {
    Stmt up(db_,
            "INSERT INTO config(id, generation, atv) VALUES (1, 1, ?1)"
            " ON CONFLICT(id) DO UPDATE SET generation = generation + 1, atv = excluded.atv");
    up.text(1, atv);
    if (up.step() != SQLITE_DONE) return dbError(db_, "commit");
  }
  Stmt gen(db_, "SELECT generation FROM config WHERE id = 1");
  if (gen.step() != SQLITE_ROW) return dbError(db_, "commit");
  auto generation = static_cast<std::uint64_t>(sqlite3_column_int64(gen.s, 0));
  if (!activeProfile.empty()) {
    Stmt act(db_, "INSERT OR REPLACE INTO active(id, name, generation) VALUES (1, ?1, ?2)");
    act.text(1, activeProfile).integer(2, static_cast<std::int64_t>(generation));
    if (act.step() != SQLITE_DONE) return dbError(db_, "commit");
  } else if (carryActiveFrom) {
    Stmt act(db_, "UPDATE active SET generation = ?1 WHERE generation = ?2");
    act.integer(1, static_cast<std::int64_t>(generation)).integer(2, static_cast<std::int64_t>(*carryActiveFrom));
    if (act.step() != SQLITE_DONE) return dbError(db_, "commit");
  }
  if (Status s = t.commit(); !s) return Error{s.message()};
  return generation;
}

Status Store::saveProfile(std::string_view name, std::string_view body) {
  Transaction t(db_);
  if (!t.ok()) return dbError(db_, "begin");
  Stmt st(db_, "INSERT OR REPLACE INTO profiles(name, body) VALUES (?1, ?2)");
  st.text(1, name).blob(2, body);
  if (st.step() != SQLITE_DONE) return dbError(db_, "save profile");
  Stmt inactive(db_, "DELETE FROM active WHERE name = ?1");
  inactive.text(1, name);
  if (inactive.step() != SQLITE_DONE) return dbError(db_, "save profile");
  return t.commit();
}

Result<std::optional<std::string>> Store::profile(std::string_view name) {
  Stmt st(db_, "SELECT body FROM profiles WHERE name = ?1");
  st.text(1, name);
  int rc = st.step();
  if (rc == SQLITE_DONE) return std::optional<std::string>{};
  if (rc != SQLITE_ROW) return dbError(db_, "read profile");
  return std::optional<std::string>{st.column(0)};
}

Result<std::vector<ProfileInfo>> Store::listProfiles() {
  std::string active;
  {
    Stmt a(db_, "SELECT active.name FROM active JOIN config ON config.id = 1 WHERE active.generation = config.generation");
    if (a.step() == SQLITE_ROW) active = a.column(0);
  }
  Stmt st(db_, "SELECT name, length(body) FROM profiles ORDER BY name");
  std::vector<ProfileInfo> out;
  int rc;
  while ((rc = st.step()) == SQLITE_ROW) {
    ProfileInfo info{st.column(0), static_cast<std::size_t>(sqlite3_column_int64(st.s, 1)), false};
    info.active = info.name == active;
    out.push_back(std::move(info));
  }
  if (rc != SQLITE_DONE) return dbError(db_, "list profiles");
  if (active == kFactoryProfile) out.insert(out.begin(), ProfileInfo{std::string(kFactoryProfile), 0, true});
  return out;
}

Status Store::deleteProfile(std::string_view name) {
  Transaction t(db_);
  if (!t.ok()) return dbError(db_, "begin");
  Stmt st(db_, "DELETE FROM profiles WHERE name = ?1");
  st.text(1, name);
  if (st.step() != SQLITE_DONE) return dbError(db_, "delete profile");
  if (sqlite3_changes(db_) == 0) return Error{fmt::format("There is no profile \"{}\".", name)};
  Stmt inactive(db_, "DELETE FROM active WHERE name = ?1");
  inactive.text(1, name);
  if (inactive.step() != SQLITE_DONE) return dbError(db_, "delete profile");
  return t.commit();
}

Status Store::setActive(std::string_view name, std::uint64_t generation) {
  Stmt st(db_, "INSERT OR REPLACE INTO active(id, name, generation) VALUES (1, ?1, ?2)");
  st.text(1, name).integer(2, static_cast<std::int64_t>(generation));
  if (st.step() != SQLITE_DONE) return dbError(db_, "mark profile active");
  return {};
}

Status Store::integrityCheck() {
  Stmt st(db_, "PRAGMA integrity_check");
  std::string report;
  while (st.step() == SQLITE_ROW) {
    if (!report.empty()) report += "; ";
    report += st.column(0);
  }
  if (report != "ok") return Error{fmt::format("configuration store integrity check: {}", report)};
  return {};
}

Status checkProfileName(std::string_view name) {
  if (name == kFactoryProfile) return Error{"The profile \"Factory Default\" cannot be changed or deleted."};
  bool ok = !name.empty() && name.size() <= 64 && name.front() != '.' && name.front() != ' ' &&
            std::all_of(name.begin(), name.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' ||
                     c == '.' || c == '_' || c == '-';
            });
  if (!ok) {
    return Error{fmt::format("Invalid profile name \"{}\": use 1 to 64 letters, digits, spaces, \".\", \"_\" or \"-\".",
                             name)};
  }
  return {};
}

}  // namespace bulwark::config
