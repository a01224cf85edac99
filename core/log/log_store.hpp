// The log store: <data-dir>/logs.db, SQLite in WAL mode. Writes are queued
// and committed in batches by a writer thread, so logging never blocks the
// loop on the disk. Retention: LOGGING_MAX_DAYS (0 = unlimited), and caps on
// the number of entries and on the bytes they take, which drop the oldest first.
//
// Reading (bulwark log, the WBM, snapshots) opens its own read-only
// connection: WAL lets readers and the writer work side by side.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "log/log.hpp"

namespace bulwark::log {

class LogStore final : public Sink {
 public:
  struct Options {
    std::filesystem::path path;
    std::size_t maxEntries = 200000;
    std::size_t maxBytes = 64 * 1024 * 1024;  // the pages the entries take in logs.db
    int maxDays = 0;
    std::size_t batchSize = 1024;
    std::chrono::milliseconds flushInterval{250};
  };

  static Result<std::unique_ptr<LogStore>> open(Options options, const runtime::Clock& clock);
  ~LogStore() override;

  // Any thread. Never waits for the disk.
  void write(const Entry& entry) override;
  void setMaxDays(int days);
  // Waits until everything written so far is committed (shutdown, tests).
  void flush();
  // Entries dropped because the queue was full (the disk could not keep up).
  std::size_t dropped() const;
  // Entries lost because the database refused them (disk full, I/O error).
  std::size_t failed() const;

  struct Impl;

 private:
  explicit LogStore(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

struct Query {
  std::optional<TimePoint> since;
  std::optional<TimePoint> until;
  std::string tag;   // exact tag, "" = any
  std::string text;  // substring of the message, "" = any
  std::size_t tail = 0;  // only the last N matches, 0 = all
};

// Matching entries, oldest first.
Result<std::vector<Entry>> query(const std::filesystem::path& path, const Query& q);

}  // namespace bulwark::log
