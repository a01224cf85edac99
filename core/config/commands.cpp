#include "config/commands.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "config/atv.hpp"

namespace bulwark::config {

namespace {

using json = nlohmann::json;
using Reply = std::function<void(std::string)>;

// Invalid UTF-8 from a caller is replaced, never thrown over.
std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string failure(std::string_view message) { return dump(json{{"ok", false}, {"error", message}}); }

std::string success(json extra = json::object()) {
  extra["ok"] = true;
  return dump(extra);
}

void replyStatus(const Reply& reply, const Status& s) { reply(s ? success() : failure(s.message())); }

std::string str(const json& request, const char* key) {
  auto it = request.find(key);
  return it != request.end() && it->is_string() ? it->get<std::string>() : std::string();
}

void handleGet(ConfigService& service, const json& request, const Reply& reply, bool rowId) {
  std::string path = str(request, "path");
  auto snapshot = service.snapshot();
  auto r = resolve(service.schema(), *snapshot, path);
  if (!r) return reply(failure(r.error()));
  if (rowId) {
    if (!r->row) return reply(failure("--get-rowid needs a row: TABLE:N"));
    return reply(success({{"value", r->row->id}}));
  }
  if (r->row) return reply(success({{"value", writeAtvRow(*r->row)}}));
  if (r->value->isTable) return reply(success({{"value", writeAtvValue(path, *r->value)}}));
  reply(success({{"value", r->value->text}}));
}

void handleLines(const Reply& reply, Result<Diff> d) {
  if (!d) return reply(failure(d.error()));
  reply(success({{"lines", compareLines(*d)}}));
}

}  // namespace

namespace {

constexpr std::size_t kInlineBytes = 64 * 1024;

// Answers with a large payload (a profile) are written on a worker when one is at hand.
void replyLarge(const RequestContext& context, const Reply& reply, json answer) {
  auto shared = std::make_shared<json>(std::move(answer));
  if (!context.workers ||
      !context.workers->submit<std::string>([shared] { return success(std::move(*shared)); }, reply)) {
    reply(success(std::move(*shared)));
  }
}

void dispatch(ConfigService& service, json request, const RequestContext& context, const Reply& reply);

}  // namespace

void handleConfigRequest(ConfigService& service, std::string text, const RequestContext& context, Reply reply) {
  if (context.workers && text.size() > kInlineBytes) {
    auto shared = std::make_shared<const std::string>(std::move(text));
    bool queued = context.workers->submit<json>(
        [shared] { return json::parse(*shared, nullptr, false); },
        [&service, context, reply](json request) { dispatch(service, std::move(request), context, reply); });
    if (!queued) reply(failure("The device is busy; try again."));
    return;
  }
  dispatch(service, json::parse(text, nullptr, false), context, reply);
}

namespace {

void dispatch(ConfigService& service, json request, const RequestContext& context, const Reply& reply) {
  if (request.is_discarded() || !request.is_object()) return reply(failure("The request is not a JSON object."));
  std::string op = str(request, "op");
  const Actor& actor = context.actor;
  if (std::string wanted = str(request, "data_dir"); !wanted.empty()) {
    std::error_code ec;
    if (!std::filesystem::equivalent(wanted, context.dataDir, ec)) {
      return reply(failure(fmt::format("This core works on the data directory {}, not {}.", context.dataDir.string(),
                                       wanted)));
    }
  }
  auto done = [reply](Status s) { replyStatus(reply, s); };

  if (op == "get") return handleGet(service, request, reply, false);
  if (op == "rowid") return handleGet(service, request, reply, true);
  if (op == "set") return service.set(actor, str(request, "path"), str(request, "value"), done);
  if (op == "get-all") return replyLarge(context, reply, {{"atv", *service.currentAtv()}});
  if (op == "set-all") {
    auto f = request.find("factory_default");
    bool factory = f != request.end() && f->is_boolean() && f->get<bool>();
    return service.setAll(actor, str(request, "atv"), factory, [reply](Result<std::vector<std::string>> notes) {
      if (!notes) return reply(failure(notes.error()));
      reply(success({{"notes", *notes}}));
    });
  }
  if (op == "diff") {
    return service.compare("", str(request, "profile"), [reply](Result<Diff> d) { handleLines(reply, std::move(d)); });
  }
  if (op == "profile-compare") {
    return service.compare(str(request, "from"), str(request, "to"),
                           [reply](Result<Diff> d) { handleLines(reply, std::move(d)); });
  }
  if (op == "profile-list") {
    return service.listProfiles([reply](Result<std::vector<ProfileInfo>> list) {
      if (!list) return reply(failure(list.error()));
      json profiles = json::array();
      for (const ProfileInfo& p : *list) profiles.push_back({{"name", p.name}, {"size", p.size}, {"active", p.active}});
      reply(success({{"profiles", profiles}}));
    });
  }
  if (op == "profile-save") return service.saveProfile(actor, str(request, "name"), done);
  if (op == "profile-import") return service.importProfile(actor, str(request, "name"), str(request, "atv"), done);
  if (op == "profile-restore") return service.restoreProfile(actor, str(request, "name"), done);
  if (op == "profile-delete") return service.deleteProfile(actor, str(request, "name"), done);
  if (op == "profile-export") {
    return service.exportProfile(actor, str(request, "name"), [context, reply](Result<std::string> atv) {
      if (!atv) return reply(failure(atv.error()));
      replyLarge(context, reply, {{"atv", std::move(*atv)}});
    });
  }
  reply(failure("Unknown request \"" + op + "\"."));
}

}  // namespace

}  // namespace bulwark::config
