#include "api/api.hpp"
#include "common/number.hpp"

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "config/atv.hpp"
#include "config/store.hpp"
#include "log/log_store.hpp"
#include "pki/pkcs12.hpp"
#include "pki/store.hpp"

namespace bulwark::web::api {

using nlohmann::json;
using auth::Role;

namespace {

constexpr std::string_view kPrefix = "/api/v1/";
constexpr std::size_t kDefaultPage = 100;
constexpr std::size_t kMaxPage = 1000;

bool canWrite(Role role) { return role == Role::Root || role == Role::Admin || role == Role::Netadmin; }
bool isAdmin(Role role) { return role == Role::Root || role == Role::Admin; }

config::Actor actorOf(const auth::Identity& who) {
  return {who.user, std::string(auth::roleName(who.role)), "Webinterface"};
}

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> parts;
  while (!path.empty()) {
    auto slash = path.find('/');
    parts.emplace_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return parts;
}

std::map<std::string, std::string> queryMap(const Request& request) {
  std::map<std::string, std::string> out;
  if (auto pairs = parseQuery(request.query())) {
    for (auto& [k, v] : *pairs) out.emplace(std::move(k), std::move(v));
  }
  return out;
}

Result<std::string> readUpload(const Request& request) {
  if (request.bodyFile.empty()) return request.body;
  std::ifstream in(request.bodyFile, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) return Error{"The upload could not be read."};
  return text.str();
}

// --- configuration as JSON --------------------------------------------------

json valueJson(const config::Variable& variable, const config::Value& value);

json rowJson(const config::Variable& table, const config::Row& row) {
  json out = json::object();
  out["rowid"] = row.id;
  for (const config::Variable& column : table.columns) {
    auto it = row.fields.find(column.name);
    if (it != row.fields.end()) out[std::string(column.name)] = valueJson(column, it->second);
  }
  return out;
}

json valueJson(const config::Variable& variable, const config::Value& value) {
  if (config::isSecret(variable.kind)) return nullptr;  // never shown, not even as a hash
  if (!value.isTable) return value.text;
  json rows = json::array();
  for (const config::Row& row : value.rows) rows.push_back(rowJson(variable, row));
  return rows;
}

json schemaJson(std::span<const config::Variable> variables) {
  json out = json::array();
  for (const config::Variable& v : variables) {
    json entry{{"name", v.name},     {"kind", config::kindName(v.kind)}, {"default", v.defaultValue},
               {"help", v.help},     {"menu", v.menu},                   {"module", v.module},
               {"optional", v.optional}};
    if (v.kind == config::Kind::Integer || v.kind == config::Kind::Duration || v.kind == config::Kind::String) {
      entry["min"] = v.min;
      entry["max"] = v.max;
    }
    if (!v.choices.empty()) entry["choices"] = std::vector<std::string_view>(v.choices.begin(), v.choices.end());
    if (!v.unsupported.empty()) {
      entry["unsupported"] = std::vector<std::string_view>(v.unsupported.begin(), v.unsupported.end());
    }
    if (!v.refTable.empty()) entry["references"] = v.refTable;
    if (v.kind == config::Kind::Table) {
      entry["columns"] = schemaJson(v.columns);
      if (v.maxRows) entry["max_rows"] = v.maxRows;
    }
    out.push_back(std::move(entry));
  }
  return out;
}

// Rows of `table` from JSON. A row with a known "rowid" starts from that
// row (so password cells left out keep their value); other rows start from
// the column defaults with a fresh id.
Result<std::vector<config::Row>> rowsFromJson(const config::Variable& table, const json& rows,
                                              const std::vector<config::Row>* old, std::set<std::string>& ids,
                                              config::RowIdGenerator& generator, const std::string& path);

Result<config::Value> cellFromJson(const config::Variable& column, const json& cell, const config::Value* old,
                                   std::set<std::string>& ids, config::RowIdGenerator& generator,
                                   const std::string& path) {
  if (column.kind == config::Kind::Table) {
    if (!cell.is_array()) return Error{config::errorFor(path, "", "A table expects a list of rows.")};
    auto rows = rowsFromJson(column, cell, old && old->isTable ? &old->rows : nullptr, ids, generator, path);
    if (!rows) return Error{rows.error()};
    return config::Value::table(std::move(*rows));
  }
  if (!cell.is_string()) return Error{config::errorFor(path, cell.dump(), "The value must be a string.")};
  return config::Value::scalar(cell.get<std::string>());
}

Result<std::vector<config::Row>> rowsFromJson(const config::Variable& table, const json& rows,
                                              const std::vector<config::Row>* old, std::set<std::string>& ids,
                                              config::RowIdGenerator& generator, const std::string& path) {
  std::vector<config::Row> out;
  std::set<std::string> seen;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const json& item = rows[i];
    std::string rowPath = fmt::format("{}:{}", path, i);
    if (!item.is_object()) return Error{config::errorFor(rowPath, "", "A row must be an object.")};
    const config::Row* base = nullptr;
    std::string id;
    if (auto it = item.find("rowid"); it != item.end()) {
      if (!it->is_string() || !config::isRowId(it->get<std::string>())) {
        return Error{config::errorFor(rowPath, it->dump(), "The row id is not valid.")};
      }
      id = it->get<std::string>();
      if (old) {
        for (const config::Row& r : *old) {
          if (r.id == id) base = &r;
        }
      }
    }
    if (id.empty() || (!base && ids.count(id))) id = generator.next(ids);
    if (!seen.insert(id).second) return Error{config::errorFor(rowPath, id, "The row id is used twice.")};
    ids.insert(id);
    config::Row row = base ? *base : config::defaultRow(table, id);
    for (auto it = item.begin(); it != item.end(); ++it) {
      if (it.key() == "rowid") continue;
      const config::Variable* column = config::Schema::findColumn(table, it.key());
      std::string cellPath = fmt::format("{}.{}", rowPath, it.key());
      if (!column) return Error{config::errorFor(cellPath, "", "There is no such column.")};
      if (config::isSecret(column->kind) && it.value().is_null()) continue;  // unchanged
      auto oldCell = row.fields.find(column->name);
      auto cell = cellFromJson(*column, it.value(), oldCell == row.fields.end() ? nullptr : &oldCell->second, ids,
                               generator, cellPath);
      if (!cell) return Error{cell.error()};
      row.fields[std::string(column->name)] = std::move(*cell);
    }
    out.push_back(std::move(row));
  }
  return out;
}

// The top-level variable a path starts with: "A:0.B" -> "A".
std::string_view topName(std::string_view path) { return path.substr(0, path.find_first_of(":.")); }

// --- routes -----------------------------------------------------------------

void getConfig(ApiServices& s, const std::vector<std::string>& rest, std::function<void(Response)> reply) {
  config::Snapshot snapshot = s.config.snapshot();
  const config::Schema& schema = s.config.schema();
  if (rest.empty()) {
    json values = json::object();
    for (const config::Variable& v : schema.variables()) {
      if (const config::Value* value = snapshot->find(v.name)) values[std::string(v.name)] = valueJson(v, *value);
    }
    return reply(jsonAnswer({{"generation", s.config.generation()}, {"values", std::move(values)}}));
  }
  std::string path = rest[0];
  auto resolved = config::resolve(schema, *snapshot, path);
  if (!resolved) return reply(jsonError(404, resolved.error(), path));
  if (resolved->row) return reply(jsonAnswer({{"path", path}, {"value", rowJson(*resolved->variable, *resolved->row)}}));
  return reply(jsonAnswer({{"path", path}, {"value", valueJson(*resolved->variable, *resolved->value)}}));
}

void postConfig(ApiServices& s, const Request& request, const auth::Identity& who,
                std::function<void(Response)> reply) {
  if (!canWrite(who.role)) return reply(jsonError(403, "This role may not change the configuration."));
  json body = json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object() || !body.contains("set") || !body["set"].is_object()) {
    return reply(jsonError(400, "Expected {\"set\": {PATH: value}}."));
  }
  const config::Schema& schema = s.config.schema();
  for (auto it = body["set"].begin(); it != body["set"].end(); ++it) {
    const config::Variable* variable = schema.find(topName(it.key()));
    if (!variable) return reply(jsonError(400, fmt::format("There is no variable {}.", topName(it.key())), it.key()));
    if (who.role == Role::Netadmin && variable->module != "net") {
      return reply(jsonError(403, fmt::format("The role netadmin may not change {}.", variable->name), it.key()));
    }
  }
  auto failedPath = std::make_shared<std::string>();
  auto changes = std::make_shared<json>(std::move(body["set"]));
  auto edit = [changes, failedPath, &schema](config::Config& next) -> Status {
    std::set<std::string> ids;
    for (const auto& [id, where] : config::collectRowIds(next)) ids.insert(id);
    config::RowIdGenerator generator;
    for (auto it = changes->begin(); it != changes->end(); ++it) {
      *failedPath = it.key();
      const config::Variable* variable = schema.find(it.key());
      if (variable && variable->kind == config::Kind::Table && it.key() == variable->name) {
        if (!it.value().is_array()) return Error{config::errorFor(it.key(), "", "A table expects a list of rows.")};
        const config::Value* old = next.find(variable->name);
        auto rows = rowsFromJson(*variable, it.value(), old ? &old->rows : nullptr, ids, generator, it.key());
        if (!rows) return Error{rows.error()};
        next.values[std::string(variable->name)] = config::Value::table(std::move(*rows));
        continue;
      }
      if (!it.value().is_string()) {
        return Error{config::errorFor(it.key(), it.value().dump(), "The value must be a string.")};
      }
      if (Status st = config::setScalar(schema, next, it.key(), it.value().get<std::string>()); !st) return st;
    }
    failedPath->clear();
    return {};
  };
  s.config.change(actorOf(who), edit, [reply, failedPath, &s](Status status) {
    if (!status) return reply(jsonError(400, status.message(), *failedPath));
    reply(jsonAnswer({{"ok", true}, {"generation", s.config.generation()}}));
  });
}

std::function<void(Status)> statusReply(std::function<void(Response)> reply) {
  return [reply](Status status) {
    if (!status) return reply(jsonError(400, status.message()));
    reply(jsonAnswer({{"ok", true}}));
  };
}

void profiles(ApiServices& s, const Request& request, const auth::Identity& who, const std::vector<std::string>& rest,
              std::function<void(Response)> reply) {
  if (rest.empty()) {
    if (request.method != "GET") return reply(jsonError(405, "Use GET."));
    return s.config.listProfiles([reply](Result<std::vector<config::ProfileInfo>> list) {
      if (!list) return reply(jsonError(500, list.error()));
      json out = json::array();
      for (const auto& p : *list) out.push_back({{"name", p.name}, {"size", p.size}, {"active", p.active}});
      reply(jsonAnswer({{"profiles", out}}));
    });
  }
  auto name = urlDecode(rest[0], false);
  if (!name) return reply(jsonError(400, "The profile name is not URL-encoded properly."));
  if (!isAdmin(who.role)) return reply(jsonError(403, "Only root and admin work with profiles."));
  config::Actor actor = actorOf(who);
  if (rest.size() == 1 && request.method == "GET") {
    return s.config.exportProfile(actor, *name, [reply, name](Result<std::string> text) {
      if (!text) return reply(jsonError(404, text.error()));
      Response r = Response::text(200, std::move(*text));
      r.headers.push_back({"content-disposition", fmt::format("attachment; filename=\"{}.atv\"", *name)});
      reply(std::move(r));
    });
  }
  if (rest.size() == 1 && request.method == "DELETE") return s.config.deleteProfile(actor, *name, statusReply(reply));
  if (rest.size() != 2 || request.method != "POST") return reply(jsonError(404, "No such profile operation."));
  const std::string& op = rest[1];
  if (op == "save") return s.config.saveProfile(actor, *name, statusReply(reply));
  if (op == "restore") return s.config.restoreProfile(actor, *name, statusReply(reply));
  if (op == "upload") {
    // The body was streamed to a file; read it on a worker.
    auto upload = std::make_shared<const Request>(request);
    bool queued = s.workers.submit<Result<std::string>>(
        [upload]() -> Result<std::string> { return readUpload(*upload); },
        [&s, actor, name, reply](Result<std::string> text) {
          if (!text) return reply(jsonError(500, text.error()));
          s.config.importProfile(actor, *name, std::move(*text), statusReply(reply));
        });
    if (!queued) reply(jsonError(503, "The device is busy; try again."));
    return;
  }
  reply(jsonError(404, "No such profile operation."));
}

void compare(ApiServices& s, const Request& request, std::function<void(Response)> reply) {
  auto q = queryMap(request);
  s.config.compare(q["from"], q["to"], [reply](Result<config::Diff> diff) {
    if (!diff) return reply(jsonError(404, diff.error()));
    reply(jsonAnswer({{"lines", config::compareLines(*diff)}}));
  });
}

std::size_t number(const std::map<std::string, std::string>& q, const std::string& key, std::size_t fallback) {
  auto it = q.find(key);
  if (it == q.end() || it->second.size() > 9) return fallback;
  return toNumber<std::size_t>(it->second).value_or(fallback);
}

void logs(ApiServices& s, const Request& request, std::function<void(Response)> reply) {
  auto q = queryMap(request);
  log::Query query;
  auto now = s.clock.now();
  for (const char* key : {"since", "until"}) {
    if (q[key].empty()) continue;
    auto t = log::parseTime(q[key], now);
    if (!t) return reply(jsonError(400, fmt::format("The time '{}' is not understood.", q[key])));
    (std::string_view(key) == "since" ? query.since : query.until) = *t;
  }
  query.tag = q["tag"];
  query.text = q["text"];
  std::size_t offset = number(q, "offset", 0);
  std::size_t limit = std::min(number(q, "limit", kDefaultPage), kMaxPage);
  std::filesystem::path database = s.logDatabase;
  bool queued = s.workers.submit<Result<json>>(
      [database, query, offset, limit, flush = s.flushLog]() -> Result<json> {
        if (flush) flush();
        auto entries = log::query(database, query);
        if (!entries) return Error{entries.error()};
        std::size_t total = entries->size();
        // Pages count from the newest entry; each page is in time order.
        std::size_t end = total > offset ? total - offset : 0;
        std::size_t begin = end > limit ? end - limit : 0;
        json list = json::array();
        for (std::size_t i = begin; i < end; ++i) {
          const log::Entry& e = (*entries)[i];
          list.push_back({{"line", log::formatLine(e)}, {"tag", e.tag}, {"message", e.message}});
        }
        return json{{"total", total}, {"offset", offset}, {"entries", std::move(list)}};
      },
      [reply](Result<json> page) {
        if (!page) return reply(jsonError(500, page.error()));
        reply(jsonAnswer(*page));
      });
  if (!queued) reply(jsonError(503, "The device is busy; try again."));
}

void describeInto(json& out, const pki::CertificateInfo& info) {
  out["subject"] = info.subject;
  out["issuer"] = info.issuer;
  out["not_before"] = pki::formatUtc(info.notBefore);
  out["not_after"] = pki::formatUtc(info.notAfter);
  out["fingerprint_sha256"] = info.sha256Fingerprint;
  out["public_key"] = info.publicKey;
}

json certificateJson(const config::Row& row, const std::filesystem::path& dataDir) {
  json out{{"rowid", row.id}};
  if (auto name = row.fields.find("SHORT_NAME"); name != row.fields.end()) out["name"] = name->second.text;
  auto identity = pki::loadMachineIdentity(dataDir, row.id);
  if (!identity) {
    out["error"] = identity.error();
    return out;
  }
  auto chain = pki::parsePemCertificates(identity->certificateChainPem);
  auto info = chain && !chain->empty() ? pki::describeCertificate(chain->front()) : Result<pki::CertificateInfo>(
                                                                                         Error{"no certificate"});
  if (!info) {
    out["error"] = info.error();
    return out;
  }
  describeInto(out, *info);
  out["chain_length"] = chain->size();
  return out;
}

json crlJson(const config::Row& row) {
  json out{{"rowid", row.id}};
  if (auto name = row.fields.find("SHORT_NAME"); name != row.fields.end()) out["name"] = name->second.text;
  auto pem = row.fields.find("CRL");
  if (pem == row.fields.end() || pem->second.text.empty()) {
    out["error"] = "No CRL has been uploaded.";
    return out;
  }
  auto info = pki::describeCrl(pem->second.text);
  if (!info) {
    out["error"] = info.error();
    return out;
  }
  out["issuer"] = info->issuer;
  out["last_update"] = pki::formatUtc(info->lastUpdate);
  if (info->nextUpdate) out["next_update"] = pki::formatUtc(info->nextUpdate);
  out["revoked"] = info->revoked;
  return out;
}

json publicCertificateJson(const config::Row& row) {
  json out{{"rowid", row.id}};
  if (auto name = row.fields.find("SHORT_NAME"); name != row.fields.end()) out["name"] = name->second.text;
  auto pem = row.fields.find("CERTIFICATE");
  if (pem == row.fields.end() || pem->second.text.empty()) {
    out["error"] = "No certificate has been uploaded.";
    return out;
  }
  auto info = pki::describeCertificate(pem->second.text);
  if (!info) {
    out["error"] = info.error();
    return out;
  }
  describeInto(out, *info);
  return out;
}

// Removes the row `rowId` of `table` in one transaction; the change fails
// (nothing changes) while a reference names the row.
void deleteCertificateRow(ApiServices& s, const config::Actor& actor, std::string table, std::string what,
                          std::string rowId, std::function<void(Status)> done) {
  auto edit = [table, what, rowId](config::Config& next) -> Status {
    if (auto it = next.values.find(table); it != next.values.end()) {
      auto& rows = it->second.rows;
      auto row = std::find_if(rows.begin(), rows.end(), [&](const config::Row& r) { return r.id == rowId; });
      if (row != rows.end()) {
        rows.erase(row);
        return {};
      }
    }
    return Error{fmt::format("There is no {} {}.", what, rowId)};
  };
  s.config.change(actor, edit, std::move(done));
}

// The one certificate of an upload in PEM, as one canonical PEM block, a
// CA's (basicConstraints CA:TRUE) when `ca`, a peer's own otherwise.
Result<std::string> certificateOf(std::string_view upload, bool ca) {
  auto blocks = pki::parsePemCertificates(upload);
  if (!blocks) return Error{fmt::format("The upload is not a certificate in PEM: {}", blocks.error())};
  if (blocks->size() != 1) {
    return Error{fmt::format("The upload holds {} certificates; upload each certificate on its own.",
                             blocks->size())};
  }
  auto info = pki::describeCertificate(blocks->front());
  if (!info) return Error{info.error()};
  if (ca && !info->ca) {
    return Error{fmt::format("{} is not a CA certificate (no basicConstraints CA:TRUE); a peer's own certificate "
                             "is a remote certificate (REMOTE_CERTIFICATES).",
                             info->subject)};
  }
  if (!ca && info->ca) {
    return Error{fmt::format("{} is a CA certificate: it goes into CA_CERTIFICATES, and a connection trusts what "
                             "it issued through REMOTE_CA_REF.",
                             info->subject)};
  }
  return std::move(blocks->front());
}
Result<std::string> caCertificateOf(std::string_view upload) { return certificateOf(upload, true); }
Result<std::string> remoteCertificateOf(std::string_view upload) { return certificateOf(upload, false); }

// A table of public PKI data whose rows hold the data itself (so that it
// travels with profiles): CA certificates, remote certificates and CRLs.
struct PublicTable {
  const char* table;   // "CA_CERTIFICATES"
  const char* column;  // "CERTIFICATE"
  const char* what;    // "CA certificate"
  Result<std::string> (*parse)(std::string_view upload);  // the value of an upload, or why there is none
};
constexpr PublicTable kCaTable{"CA_CERTIFICATES", "CERTIFICATE", "CA certificate", caCertificateOf};
constexpr PublicTable kCrlTable{"CRLS", "CRL", "CRL", pki::usableCrl};
constexpr PublicTable kRemoteTable{"REMOTE_CERTIFICATES", "CERTIFICATE", "remote certificate", remoteCertificateOf};

// Authentication >> Certificates >> CA Certificates and CRL:
// POST <kind>/<name>/upload adds a row, DELETE <kind>/<rowid> removes one.
void publicRows(ApiServices& s, const Request& request, const config::Actor& actor,
                const std::vector<std::string>& rest, const PublicTable& kind, std::function<void(Response)> reply) {
  if (rest.size() == 2 && request.method == "DELETE") {
    return deleteCertificateRow(s, actor, kind.table, kind.what, rest[1], [reply, kind](Status status) {
      if (!status) return reply(jsonError(400, status.message(), kind.table));
      reply(jsonAnswer({{"ok", true}}));
    });
  }
  if (rest.size() != 3 || rest[2] != "upload" || request.method != "POST") {
    return reply(jsonError(404, "No such certificate route."));
  }
  auto name = urlDecode(rest[1], false);
  if (!name || name->empty()) return reply(jsonError(400, fmt::format("The {} needs a name.", kind.what)));
  auto file = std::make_shared<const Request>(request);
  bool queued = s.workers.submit<Result<std::string>>(
      [file, kind]() -> Result<std::string> {
        auto upload = readUpload(*file);
        if (!upload) return Error{upload.error()};
        return kind.parse(*upload);
      },
      [&s, actor, name, reply, kind](Result<std::string> value) {
        if (!value) return reply(jsonError(400, value.error()));
        auto rowId = std::make_shared<std::string>();
        auto edit = [rowId, name, kind, value = std::move(*value)](config::Config& next) -> Status {
          std::set<std::string> ids;
          for (const auto& [id, where] : config::collectRowIds(next)) ids.insert(id);
          *rowId = config::RowIdGenerator{}.next(ids);
          const config::Variable* table = config::Schema::builtin().find(kind.table);
          config::Row row = config::defaultRow(*table, *rowId);
          row.fields["SHORT_NAME"] = config::Value::scalar(*name);
          row.fields[kind.column] = config::Value::scalar(value);
          next.values[kind.table].rows.push_back(std::move(row));
          return {};
        };
        s.config.change(actor, edit, [reply, rowId, kind](Status status) {
          if (!status) return reply(jsonError(400, status.message(), kind.table));
          reply(jsonAnswer({{"ok", true}, {"rowid", *rowId}}));
        });
      });
  if (!queued) reply(jsonError(503, "The device is busy; try again."));
}

// Machine certificates (Authentication >> Certificates): the key pair lives
// in <data-dir>/pki/machine/<rowid>.*, the configuration row names it.
void certificates(ApiServices& s, const Request& request, const auth::Identity& who,
                  const std::vector<std::string>& rest, std::function<void(Response)> reply) {
  if (rest.empty() && request.method == "GET") {
    config::Snapshot snapshot = s.config.snapshot();
    std::filesystem::path dataDir = s.dataDir;
    bool queued = s.workers.submit<json>(
        [snapshot, dataDir] {
          json machine = json::array(), ca = json::array(), crl = json::array(), remote = json::array();
          if (const config::Value* table = snapshot->find("MACHINE_CERTIFICATES")) {
            for (const config::Row& row : table->rows) machine.push_back(certificateJson(row, dataDir));
          }
          if (const config::Value* table = snapshot->find("CA_CERTIFICATES")) {
            for (const config::Row& row : table->rows) ca.push_back(publicCertificateJson(row));
          }
          if (const config::Value* table = snapshot->find("CRLS")) {
            for (const config::Row& row : table->rows) crl.push_back(crlJson(row));
          }
          if (const config::Value* table = snapshot->find("REMOTE_CERTIFICATES")) {
            for (const config::Row& row : table->rows) remote.push_back(publicCertificateJson(row));
          }
          return json{{"machine", machine}, {"ca", ca}, {"crl", crl}, {"remote", remote}};
        },
        [reply](json out) { reply(jsonAnswer(out)); });
    if (!queued) reply(jsonError(503, "The device is busy; try again."));
    return;
  }
  if (rest.size() < 2 || (rest[0] != "machine" && rest[0] != "ca" && rest[0] != "crl" && rest[0] != "remote")) {
    return reply(jsonError(404, "No such certificate route."));
  }
  if (!isAdmin(who.role)) return reply(jsonError(403, "Only root and admin manage certificates."));
  config::Actor actor = actorOf(who);
  if (rest[0] == "ca") return publicRows(s, request, actor, rest, kCaTable, std::move(reply));
  if (rest[0] == "crl") return publicRows(s, request, actor, rest, kCrlTable, std::move(reply));
  if (rest[0] == "remote") return publicRows(s, request, actor, rest, kRemoteTable, std::move(reply));
  if (rest.size() == 2 && request.method == "DELETE") {
    std::string rowId = rest[1];
    // Files go only once the row is gone for good (a reference to it, such
    // as HTTPS_SERVER_CERT_REF, makes the change fail first).
    std::filesystem::path dataDir = s.dataDir;
    return deleteCertificateRow(s, actor, "MACHINE_CERTIFICATES", "machine certificate", rowId,
                                [reply, rowId, dataDir](Status status) {
      if (!status) return reply(jsonError(400, status.message(), "MACHINE_CERTIFICATES"));
      if (Status removed = pki::removeMachineIdentity(dataDir, rowId); !removed) {
        return reply(jsonError(500, removed.message()));
      }
      reply(jsonAnswer({{"ok", true}}));
    });
  }
  if (rest.size() != 3 || rest[2] != "upload" || request.method != "POST") {
    return reply(jsonError(404, "No such certificate route."));
  }
  auto name = urlDecode(rest[1], false);
  if (!name || name->empty()) return reply(jsonError(400, "The certificate needs a name."));
  const std::string* password = request.header("x-pkcs12-password");
  std::string pass = password ? *password : "";
  auto file = std::make_shared<const Request>(request);
  // Key derivation is CPU work: the file is read and checked on a worker.
  bool queued = s.workers.submit<Result<pki::TlsIdentity>>(
      [file, pass]() -> Result<pki::TlsIdentity> {
        auto der = readUpload(*file);
        if (!der) return Error{der.error()};
        return pki::importPkcs12(*der, pass);
      },
      [&s, actor, name, reply](Result<pki::TlsIdentity> identity) {
        if (!identity) return reply(jsonError(400, identity.error()));
        auto rowId = std::make_shared<std::string>();
        auto stored = std::make_shared<pki::TlsIdentity>(std::move(*identity));
        std::filesystem::path dataDir = s.dataDir;
        auto edit = [rowId, stored, dataDir, name](config::Config& next) -> Status {
          std::set<std::string> ids;
          for (const auto& [id, where] : config::collectRowIds(next)) ids.insert(id);
          config::RowIdGenerator generator;
          *rowId = generator.next(ids);
          const config::Variable* table = config::Schema::builtin().find("MACHINE_CERTIFICATES");
          config::Row row = config::defaultRow(*table, *rowId);
          row.fields["SHORT_NAME"] = config::Value::scalar(*name);
          if (Status st = pki::storeMachineIdentity(dataDir, *rowId, *stored); !st) return st;
          next.values["MACHINE_CERTIFICATES"].rows.push_back(std::move(row));
          return {};
        };
        s.config.change(actor, edit, [reply, rowId, dataDir](Status status) {
          if (!status) {
            if (!rowId->empty()) (void)pki::removeMachineIdentity(dataDir, *rowId);
            return reply(jsonError(400, status.message(), "MACHINE_CERTIFICATES"));
          }
          reply(jsonAnswer({{"ok", true}, {"rowid", *rowId}}));
        });
      });
  if (!queued) reply(jsonError(503, "The device is busy; try again."));
}

}  // namespace

bool isUpload(const Request& head) {
  std::string_view path = head.path();
  return head.method == "POST" && path.starts_with(kPrefix) && path.ends_with("/upload");
}

Response jsonAnswer(const json& body, int status) {
  Response r;
  r.status = status;
  r.contentType = "application/json";
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  r.body += '\n';
  return r;
}

Response jsonError(int status, std::string_view message, std::string_view path) {
  json body{{"error", message}};
  if (!path.empty()) body["path"] = path;
  return jsonAnswer(body, status);
}

void serve(ApiServices& s, const Request& request, const auth::Identity& who, std::function<void(Response)> reply) {
  std::string_view path = request.path();
  if (!path.starts_with(kPrefix)) return reply(jsonError(404, "No such API route."));
  auto parts = splitPath(path.substr(kPrefix.size()));
  const std::string route = parts.empty() ? "" : parts[0];
  std::vector<std::string> rest(parts.size() > 1 ? parts.begin() + 1 : parts.end(), parts.end());
  const std::string& method = request.method;

  if (route == "status" && method == "GET") {
    const cgi::DeviceInfo& d = s.cgi.device;
    json out{{"product", d.productName},
             {"hardware", d.hardware},
             {"hardware_version", d.hardwareVersion},
             {"version", d.version},
             {"hostname", s.config.snapshot()->get("HOSTNAME")},
             {"user", who.user},
             {"role", auth::roleName(who.role)}};
    if (s.runtimeStatus) out.update(s.runtimeStatus());
    return reply(jsonAnswer(out));
  }
  if (route == "schema" && method == "GET" && rest.empty()) {
    static const std::string text = schemaJson(config::Schema::builtin().variables()).dump();
    Response r;
    r.contentType = "application/json";
    r.body = "{\"variables\":" + text + "}\n";
    return reply(std::move(r));
  }
  if (route == "config" && method == "GET" && rest.size() <= 1) return getConfig(s, rest, reply);
  if (route == "config" && method == "POST" && rest.empty()) return postConfig(s, request, who, reply);
  if (route == "profiles") return profiles(s, request, who, rest, reply);
  if (route == "compare" && method == "GET") return compare(s, request, reply);
  if (route == "logs" && method == "GET") return logs(s, request, reply);
  if (route == "certificates") return certificates(s, request, who, rest, reply);
  if (route == "leds" && method == "GET" && rest.empty()) {
    if (!s.leds || !s.leds->current()) return reply(jsonError(503, "The LEDs are not known yet."));
    std::string_view query = request.query();
    // ?follow=1 is the site's (it knows the caller's session).
    if (!query.empty()) return reply(jsonError(400, "GET /api/v1/leds takes no query but follow=1."));
    return reply(jsonAnswer(*s.leds->current()));
  }
  if (route == "snapshot" && method == "GET") {
    if (!isAdmin(who.role)) return reply(jsonError(403, "Only root and admin take snapshots."));
    cgi::Command command{cgi::Script::Diag, "snapshot", {}};
    return cgi::run(command, s.cgi, reply);
  }
  reply(jsonError(404, "No such API route."));
}

}  // namespace bulwark::web::api
