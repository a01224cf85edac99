#include "log/log_store.hpp"

#include <sqlite3.h>

#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <utility>

#include <fmt/format.h>

namespace bulwark::log {

namespace {

constexpr std::size_t kMaxQueued = 100000;

std::int64_t toMicros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}
TimePoint fromMicros(std::int64_t us) { return TimePoint(std::chrono::microseconds(us)); }

struct Db {
  sqlite3* db = nullptr;
  ~Db() { sqlite3_close_v2(db); }
};

Status exec(sqlite3* db, const char* sql) {
  char* err = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &err) != SQLITE_OK) {
    std::string msg = err ? err : sqlite3_errmsg(db);
    sqlite3_free(err);
    return Error{msg};
  }
  return {};
}

struct Stmt {
  sqlite3_stmt* s = nullptr;
  ~Stmt() { sqlite3_finalize(s); }
};

}  // namespace

struct LogStore::Impl {
  Options options;
  const runtime::Clock& clock;
  Db db;
  std::mutex mutex;
  std::condition_variable wake;
  std::condition_variable flushed;
  std::deque<Entry> queue;
  std::uint64_t written = 0;    // entries handed to write()
  std::uint64_t committed = 0;  // entries committed or dropped
  std::size_t droppedCount = 0;
  std::size_t droppedReported = 0;
  std::size_t failedCount = 0;
  int maxDays = 0;
  bool retentionDue = true;  // set by setMaxDays: apply the new limit at the next batch
  bool flushRequested = false;
  bool stopping = false;
  std::thread writer;
  // Writer thread only.
  std::chrono::steady_clock::time_point lastRetention{};

  Impl(Options o, const runtime::Clock& c) : options(std::move(o)), clock(c), maxDays(options.maxDays) {}

  void run() {
    std::unique_lock lock(mutex);
    while (true) {
      wake.wait_for(lock, options.flushInterval,
                    [&] { return stopping || flushRequested || queue.size() >= options.batchSize; });
      flushRequested = false;
      if (droppedCount > droppedReported) {
        // Said once per batch, in the log itself, so the gap is visible there.
        queue.push_back({clock.now(), "bulwark", std::nullopt,
                         fmt::format("{} log lines were dropped: the log store could not keep up",
                                     droppedCount - droppedReported)});
        droppedReported = droppedCount;
        ++written;
      }
      if (!queue.empty()) {
        std::deque<Entry> batch;
        batch.swap(queue);
        int days = maxDays;
        bool due = std::exchange(retentionDue, false);
        lock.unlock();
        bool ok = commit(batch, days, due);
        lock.lock();
        if (!ok) failedCount += batch.size();
        committed += batch.size();
        flushed.notify_all();
      }
      if (stopping && queue.empty()) return;
    }
  }

  std::size_t queryNumber(const char* sql) {
    Stmt st;
    if (sqlite3_prepare_v2(db.db, sql, -1, &st.s, nullptr) != SQLITE_OK || sqlite3_step(st.s) != SQLITE_ROW) return 0;
    return static_cast<std::size_t>(sqlite3_column_int64(st.s, 0));
  }
  // Bytes of the pages in use (freed pages are reused, not counted).
  std::size_t liveBytes() {
    std::size_t pages = queryNumber("PRAGMA page_count");
    std::size_t free = queryNumber("PRAGMA freelist_count");
    return (pages > free ? pages - free : 0) * queryNumber("PRAGMA page_size");
  }

  // One transaction per batch; false when it could not be written (the
  // entries are lost, and counted).
  bool commit(const std::deque<Entry>& batch, int days, bool retentionNow) {
    if (!exec(db.db, "BEGIN IMMEDIATE")) return false;
    Stmt ins;
    if (sqlite3_prepare_v2(db.db, "INSERT INTO logs(time_us, tag, pid, message) VALUES (?, ?, ?, ?)", -1, &ins.s,
                           nullptr) != SQLITE_OK) {
      exec(db.db, "ROLLBACK");
      return false;
    }
    for (const Entry& e : batch) {
      sqlite3_bind_int64(ins.s, 1, toMicros(e.time));
      sqlite3_bind_text(ins.s, 2, e.tag.data(), static_cast<int>(e.tag.size()), SQLITE_STATIC);
      if (e.pid) {
        sqlite3_bind_int(ins.s, 3, *e.pid);
      } else {
        sqlite3_bind_null(ins.s, 3);
      }
      sqlite3_bind_text(ins.s, 4, e.message.data(), static_cast<int>(e.message.size()), SQLITE_STATIC);
      int rc = sqlite3_step(ins.s);
      sqlite3_reset(ins.s);
      if (rc != SQLITE_DONE) {
        exec(db.db, "ROLLBACK");
        return false;
      }
    }
    // The cap: drop the oldest entries beyond maxEntries (ids grow with time).
    std::string cap = fmt::format("DELETE FROM logs WHERE id <= (SELECT max(id) FROM logs) - {}", options.maxEntries);
    bool ok = exec(db.db, cap.c_str()).isOk();
    auto now = std::chrono::steady_clock::now();
    // The size cap: while the live pages exceed it, drop the oldest tenth.
    // The size cap: drop the oldest entries in proportion to the excess,
    // down to 90 % of the cap (so that not every batch has to trim).
    for (int round = 0; ok && round < 4; ++round) {
      std::size_t live = liveBytes();
      if (live <= options.maxBytes) break;
      double excess = (static_cast<double>(live) - 0.9 * static_cast<double>(options.maxBytes)) / static_cast<double>(live);
      auto rows = static_cast<double>(queryNumber("SELECT count(*) FROM logs"));
      auto drop = static_cast<std::size_t>(rows * excess) + 1;
      ok = exec(db.db, fmt::format("DELETE FROM logs WHERE id IN (SELECT id FROM logs ORDER BY id LIMIT {})", drop).c_str())
               .isOk();
    }
    if (ok && days > 0 && (retentionNow || now - lastRetention > std::chrono::minutes(1))) {
      lastRetention = now;
      auto cutoff = toMicros(clock.now() - std::chrono::hours(24) * days);
      ok = exec(db.db, fmt::format("DELETE FROM logs WHERE time_us < {}", cutoff).c_str()).isOk();
    }
    if (!ok || !exec(db.db, "COMMIT")) {
      exec(db.db, "ROLLBACK");
      return false;
    }
    return true;
  }
};

Result<std::unique_ptr<LogStore>> LogStore::open(Options options, const runtime::Clock& clock) {
  auto impl = std::make_unique<Impl>(std::move(options), clock);
  std::string path = impl->options.path.string();
  if (sqlite3_open_v2(path.c_str(), &impl->db.db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                      nullptr) != SQLITE_OK) {
    return Error{fmt::format("cannot open the log store {}: {}", path, sqlite3_errmsg(impl->db.db))};
  }
  sqlite3_busy_timeout(impl->db.db, 5000);
  if (Status s = exec(impl->db.db,
                      "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                      "CREATE TABLE IF NOT EXISTS logs(id INTEGER PRIMARY KEY, time_us INTEGER NOT NULL,"
                      " tag TEXT NOT NULL, pid INTEGER, message TEXT NOT NULL);"
                      "CREATE INDEX IF NOT EXISTS logs_time ON logs(time_us);"
                      "CREATE INDEX IF NOT EXISTS logs_tag ON logs(tag, time_us);");
      !s) {
    return Error{fmt::format("cannot prepare the log store {}: {}", path, s.message())};
  }
  Impl* raw = impl.get();
  impl->writer = std::thread([raw] { raw->run(); });
  return std::unique_ptr<LogStore>(new LogStore(std::move(impl)));
}

LogStore::LogStore(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

LogStore::~LogStore() {
  {
    std::lock_guard lock(impl_->mutex);
    impl_->stopping = true;
  }
  impl_->wake.notify_all();
  impl_->writer.join();
}

void LogStore::write(const Entry& entry) {
  std::lock_guard lock(impl_->mutex);
  ++impl_->written;
  if (impl_->queue.size() >= kMaxQueued) {
    ++impl_->droppedCount;
    ++impl_->committed;
    return;
  }
  impl_->queue.push_back(entry);
  if (impl_->queue.size() >= impl_->options.batchSize) impl_->wake.notify_one();
}

void LogStore::setMaxDays(int days) {
  std::lock_guard lock(impl_->mutex);
  impl_->maxDays = days;
  impl_->retentionDue = true;
}

void LogStore::flush() {
  std::unique_lock lock(impl_->mutex);
  auto target = impl_->written;
  impl_->flushRequested = true;
  impl_->wake.notify_one();
  impl_->flushed.wait(lock, [&] { return impl_->committed >= target; });
}

std::size_t LogStore::dropped() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->droppedCount;
}

std::size_t LogStore::failed() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->failedCount;
}

Result<std::vector<Entry>> query(const std::filesystem::path& path, const Query& q) {
  Db db;
  std::string p = path.string();
  if (sqlite3_open_v2(p.c_str(), &db.db, SQLITE_OPEN_READONLY, nullptr) != SQLITE_OK) {
    return Error{fmt::format("cannot open the log store {}: {}", p, sqlite3_errmsg(db.db))};
  }
  sqlite3_busy_timeout(db.db, 5000);
  std::string sql = "SELECT time_us, tag, pid, message FROM logs WHERE time_us >= ?1 AND time_us <= ?2";
  if (!q.tag.empty()) sql += " AND tag = ?3";
  if (!q.text.empty()) sql += " AND instr(message, ?4) > 0";
  sql += q.tail ? " ORDER BY id DESC LIMIT ?5" : " ORDER BY id";
  Stmt st;
  if (sqlite3_prepare_v2(db.db, sql.c_str(), -1, &st.s, nullptr) != SQLITE_OK) {
    return Error{fmt::format("cannot read the log store {}: {}", p, sqlite3_errmsg(db.db))};
  }
  sqlite3_bind_int64(st.s, 1, q.since ? toMicros(*q.since) : std::numeric_limits<std::int64_t>::min());
  sqlite3_bind_int64(st.s, 2, q.until ? toMicros(*q.until) : std::numeric_limits<std::int64_t>::max());
  if (!q.tag.empty()) sqlite3_bind_text(st.s, 3, q.tag.c_str(), -1, SQLITE_TRANSIENT);
  if (!q.text.empty()) sqlite3_bind_text(st.s, 4, q.text.c_str(), -1, SQLITE_TRANSIENT);
  if (q.tail) sqlite3_bind_int64(st.s, 5, static_cast<std::int64_t>(q.tail));
  std::vector<Entry> out;
  int rc;
  while ((rc = sqlite3_step(st.s)) == SQLITE_ROW) {
    Entry e;
    e.time = fromMicros(sqlite3_column_int64(st.s, 0));
    e.tag = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 1));
    if (sqlite3_column_type(st.s, 2) != SQLITE_NULL) e.pid = sqlite3_column_int(st.s, 2);
    e.message = reinterpret_cast<const char*>(sqlite3_column_text(st.s, 3));
    out.push_back(std::move(e));
  }
  if (rc != SQLITE_DONE) return Error{fmt::format("cannot read the log store {}: {}", p, sqlite3_errmsg(db.db))};
  if (q.tail) std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace bulwark::log
