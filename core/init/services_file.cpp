#include "init/services_file.hpp"

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace bulwark::init {

namespace {

using nlohmann::json;

Result<std::vector<std::string>> strings(const json& value, const std::string& where) {
  if (!value.is_array()) return Error{where + " must be a list of strings"};
  std::vector<std::string> out;
  for (const json& item : value) {
    if (!item.is_string()) return Error{where + " must be a list of strings"};
    out.push_back(item.get<std::string>());
  }
  return out;
}

Result<std::chrono::milliseconds> millis(const json& value, const std::string& where) {
  if (!value.is_number_integer() || value.get<std::int64_t>() < 0 || value.get<std::int64_t>() > 86400000) {
    return Error{where + " must be a number of milliseconds (0 to 86400000)"};
  }
  return std::chrono::milliseconds(value.get<std::int64_t>());
}

Result<ServiceSpec> parseOne(const json& item, std::size_t index) {
  if (!item.is_object()) return Error{fmt::format("service {} is not an object", index)};
  ServiceSpec spec;
  if (!item.contains("name") || !item["name"].is_string()) return Error{fmt::format("service {} has no name", index)};
  spec.name = item["name"].get<std::string>();
  auto where = [&](std::string_view key) { return fmt::format("service '{}': {}", spec.name, key); };
  for (auto it = item.begin(); it != item.end(); ++it) {
    const std::string& key = it.key();
    const json& v = it.value();
    if (key == "name") continue;
    if (key == "argv" || key == "env" || key == "after") {
      auto list = strings(v, where(key));
      if (!list) return Error{list.error()};
      (key == "argv" ? spec.argv : key == "env" ? spec.env : spec.after) = std::move(*list);
    } else if (key == "cwd" || key == "user" || key == "tag") {
      if (!v.is_string()) return Error{where(key) + " must be a string"};
      (key == "cwd" ? spec.workingDir : key == "user" ? spec.user : spec.logTag) = v.get<std::string>();
    } else if (key == "ready") {
      if (!v.is_object() || v.size() != 1 || !v.begin().value().is_string()) {
        return Error{where(key) + " must be {\"file\"|\"socket\"|\"line\": text}"};
      }
      const std::string& kind = v.begin().key();
      spec.readiness.what = v.begin().value().get<std::string>();
      if (kind == "file") spec.readiness.kind = Readiness::Kind::File;
      else if (kind == "socket") spec.readiness.kind = Readiness::Kind::Socket;
      else if (kind == "line") spec.readiness.kind = Readiness::Kind::OutputLine;
      else return Error{where(key) + " must be {\"file\"|\"socket\"|\"line\": text}"};
    } else if (key == "ready_timeout_ms" || key == "stop_timeout_ms") {
      auto ms = millis(v, where(key));
      if (!ms) return Error{ms.error()};
      (key == "ready_timeout_ms" ? spec.readiness.timeout : spec.stopTimeout) = *ms;
    } else if (key == "restart") {
      if (!v.is_object()) return Error{where(key) + " must be an object"};
      for (auto r = v.begin(); r != v.end(); ++r) {
        if (r.key() == "retries") {
          if (!r.value().is_number_integer() || r.value().get<int>() < 0 || r.value().get<int>() > 1000) {
            return Error{where("restart.retries") + " must be 0 to 1000"};
          }
          spec.restart.retries = r.value().get<int>();
          continue;
        }
        auto ms = millis(r.value(), where("restart." + r.key()));
        if (!ms) return Error{ms.error()};
        if (r.key() == "threshold_ms") spec.restart.threshold = *ms;
        else if (r.key() == "delay_ms") spec.restart.delay = *ms;
        else if (r.key() == "max_delay_ms") spec.restart.maxDelay = *ms;
        else return Error{where("restart." + r.key()) + " is not a setting"};
      }
    } else {
      return Error{where(key) + " is not a setting"};
    }
  }
  return spec;
}

}  // namespace

Result<std::vector<ServiceSpec>> parseServices(std::string_view text) {
  json doc = json::parse(text, nullptr, false);
  if (doc.is_discarded()) return Error{"the services file is not JSON"};
  if (!doc.is_array()) return Error{"the services file must hold a list of services"};
  std::vector<ServiceSpec> out;
  for (std::size_t i = 0; i < doc.size(); ++i) {
    auto spec = parseOne(doc[i], i);
    if (!spec) return Error{spec.error()};
    out.push_back(std::move(*spec));
  }
  return out;
}

}  // namespace bulwark::init
