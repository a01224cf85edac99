// The in-process half of scripts/bench/config: makes the benchmark inputs
// (a large profile and the same data as SQL for the sqlite3 anchor) and times
// what only runs in-process (ATV parsing, the log store).
//
//   config_bench generate VARS DIR   DIR/profile.atv with at least VARS
//                                    variables (each table cell counts), and
//                                    DIR/profile.sql inserting the same
//                                    variables as rows in one transaction
//   config_bench parse VARS RUNS     parseAtv + loadProfile of a profile of
//                                    VARS variables: best MB/s of RUNS runs
//   config_bench log DIR LINES RUNS  LINES log lines through LogStore into a
//                                    fresh DIR/logs-N.db: best lines/s
//   config_bench log-sql LINES FILE  the same lines as SQL, in the log store's
//                                    schema and batch size, for sqlite3
//
// Results go to standard output as one number; notes to standard error.
#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "bench_util.hpp"
#include "config/atv.hpp"
#include "config/config.hpp"
#include "log/log.hpp"
#include "log/log_store.hpp"
#include "runtime/clock.hpp"

namespace {

using namespace bulwark;
using namespace bulwark::config;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

int usage() {
  std::fputs(
      "usage: config_bench generate VARS DIR | parse VARS RUNS | log DIR LINES RUNS | log-sql LINES FILE\n",
      stderr);
  return 2;
}

double seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

// Every scalar of the configuration, table cells included, as (path, value).
void collect(const Fields& fields, const std::string& prefix, std::vector<std::pair<std::string, std::string>>& out) {
  for (const auto& [name, value] : fields) {
    std::string path = prefix + name;
    if (!value.isTable) {
      out.emplace_back(path, value.text);
      continue;
    }
    for (std::size_t i = 0; i < value.rows.size(); ++i) {
      collect(value.rows[i].fields, fmt::format("{}:{}.", path, i), out);
    }
  }
}

std::vector<std::pair<std::string, std::string>> variables(const Config& config) {
  std::vector<std::pair<std::string, std::string>> out;
  collect(config.values, "", out);
  return out;
}

// The factory default plus firewall rules in FW_INCOMING and FW_OUTGOING
// (alternately) until the configuration has at least `wanted` variables.
Config bigConfig(std::size_t wanted) {
  const Schema& schema = Schema::builtin();
  Config config = factoryDefault(schema);
  std::mt19937_64 random(20250306);
  std::uniform_int_distribution<int> port(1, 65535), octet(0, 255), prefix(8, 32);
  static constexpr std::string_view kProtocols[] = {"tcp", "udp", "all"};
  static constexpr std::string_view kTargets[] = {"accept", "reject", "drop"};
  const Variable* tables[] = {schema.find("FW_INCOMING"), schema.find("FW_OUTGOING")};
  std::size_t count = variables(config).size();
  std::uint64_t nextId = 500000000;
  for (std::size_t n = 0; count < wanted; ++n) {
    const Variable& table = *tables[n % 2];
    Row row = defaultRow(table, fmt::format("MAIv{}", nextId++));
    row.fields["COMMENT"] = Value::scalar(fmt::format("generated rule {} for the benchmark", n));
    row.fields["DST_IP"] = Value::scalar(fmt::format("10.{}.{}.0/24", octet(random), octet(random)));
    row.fields["DST_PORT"] = Value::scalar(std::to_string(port(random)));
    row.fields["LOG"] = Value::scalar(n % 5 == 0 ? "yes" : "no");
    row.fields["PROTO"] = Value::scalar(std::string(kProtocols[n % 3]));
    row.fields["SRC_IP"] = Value::scalar(fmt::format("172.16.{}.0/24", octet(random)));
    row.fields["TARGET"] = Value::scalar(std::string(kTargets[n % 3]));
    count += row.fields.size();
    config.values[std::string(table.name)].rows.push_back(std::move(row));
  }
  if (Status s = validate(schema, config); !s) {
    std::fprintf(stderr, "config_bench: the generated configuration is invalid: %s\n", s.message().c_str());
    std::exit(1);
  }
  return config;
}

std::string sqlQuote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

int generate(std::size_t wanted, const fs::path& dir) {
  Config config = bigConfig(wanted);
  auto vars = variables(config);
  // The anchor stores the same variables as rows, in one transaction, with
  // the configuration store's durability (WAL, synchronous=FULL).
  std::string sql =
      "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=FULL;\n"
      "CREATE TABLE variables(path TEXT PRIMARY KEY, value TEXT NOT NULL);\nBEGIN IMMEDIATE;\n";
  for (const auto& [path, value] : vars) {
    sql += fmt::format("INSERT INTO variables(path, value) VALUES ({}, {});\n", sqlQuote(path), sqlQuote(value));
  }
  sql += "COMMIT;\n";
  if (!bench::writeFile(dir / "profile.atv", writeAtv(Schema::builtin(), config), "config_bench") ||
      !bench::writeFile(dir / "profile.sql", sql, "config_bench")) {
    return 1;
  }
  std::printf("%zu\n", vars.size());
  return 0;
}

int parse(std::size_t wanted, long runs) {
  const Schema& schema = Schema::builtin();
  const Config base = factoryDefault(schema);
  const std::string text = writeAtv(schema, bigConfig(wanted));
  double best = 1e9;
  for (long i = 0; i < runs; ++i) {
    RowIdGenerator ids(1);
    auto start = Clock::now();
    auto doc = parseAtv(text);
    if (!doc) return std::fprintf(stderr, "config_bench: %s\n", doc.error().c_str()), 1;
    auto loaded = loadProfile(schema, *doc, base, ids);
    if (!loaded) return std::fprintf(stderr, "config_bench: %s\n", loaded.error().c_str()), 1;
    best = std::min(best, seconds(Clock::now() - start));
  }
  std::fprintf(stderr, "config_bench: parsed %zu bytes in %.2f ms (best of %ld)\n", text.size(), best * 1e3, runs);
  std::printf("%.1f\n", static_cast<double>(text.size()) / 1e6 / best);
  return 0;
}

// A line like those the configuration service logs.
std::string logMessage(long i) {
  return fmt::format("FW_INCOMING:{}.DST_PORT: '{}' -> '{}' (benchmark line {})", i % 997, i % 65535, (i * 7) % 65535,
                     i);
}

int logRate(const fs::path& dir, long lines, long runs) {
  runtime::SystemClock clock;
  double best = 1e9;
  for (long r = 0; r < runs; ++r) {
    fs::path path = dir / fmt::format("logs-{}.db", r);
    auto store = log::LogStore::open({.path = path}, clock);
    if (!store) return std::fprintf(stderr, "config_bench: %s\n", store.error().c_str()), 1;
    std::vector<log::Entry> entries;
    entries.reserve(static_cast<std::size_t>(lines));
    for (long i = 0; i < lines; ++i) entries.push_back({clock.now(), "maid", 1234, logMessage(i)});
    auto start = Clock::now();
    for (const log::Entry& e : entries) (*store)->write(e);
    (*store)->flush();
    best = std::min(best, seconds(Clock::now() - start));
    if ((*store)->dropped() != 0) {
      std::fprintf(stderr, "config_bench: the log store dropped %zu lines\n", (*store)->dropped());
      return 1;
    }
  }
  std::fprintf(stderr, "config_bench: %ld lines in %.1f ms (best of %ld)\n", lines, best * 1e3, runs);
  std::printf("%.0f\n", static_cast<double>(lines) / best);
  return 0;
}

int logSql(long lines, const fs::path& file) {
  // The log store's schema, journal mode, synchronous setting and batch size.
  constexpr long kBatch = 1024;
  std::string sql =
      "PRAGMA journal_mode=WAL;\nPRAGMA synchronous=NORMAL;\n"
      "CREATE TABLE logs(id INTEGER PRIMARY KEY, time_us INTEGER NOT NULL, tag TEXT NOT NULL, pid INTEGER,"
      " message TEXT NOT NULL);\n"
      "CREATE INDEX logs_time ON logs(time_us);\nCREATE INDEX logs_tag ON logs(tag, time_us);\n";
  auto now = std::chrono::duration_cast<std::chrono::microseconds>(
                 std::chrono::system_clock::now().time_since_epoch())
                 .count();
  for (long i = 0; i < lines; ++i) {
    if (i % kBatch == 0) sql += "BEGIN IMMEDIATE;\n";
    sql += fmt::format("INSERT INTO logs(time_us, tag, pid, message) VALUES ({}, 'maid', 1234, {});\n", now + i,
                       sqlQuote(logMessage(i)));
    if (i % kBatch == kBatch - 1 || i == lines - 1) sql += "COMMIT;\n";
  }
  return bench::writeFile(file, sql, "config_bench") ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) return usage();
  std::string_view command = args[0];
  if (command == "generate" && args.size() == 3) {
    auto vars = bench::positiveNumber(args[1]);
    if (!vars) return usage();
    return generate(static_cast<std::size_t>(*vars), fs::path(args[2]));
  }
  if (command == "parse" && args.size() == 3) {
    auto vars = bench::positiveNumber(args[1]);
    auto runs = bench::positiveNumber(args[2]);
    if (!vars || !runs) return usage();
    return parse(static_cast<std::size_t>(*vars), *runs);
  }
  if (command == "log" && args.size() == 4) {
    auto lines = bench::positiveNumber(args[2]);
    auto runs = bench::positiveNumber(args[3]);
    if (!lines || !runs) return usage();
    return logRate(fs::path(args[1]), *lines, *runs);
  }
  if (command == "log-sql" && args.size() == 3) {
    auto lines = bench::positiveNumber(args[1]);
    if (!lines) return usage();
    return logSql(*lines, fs::path(args[2]));
  }
  return usage();
}
