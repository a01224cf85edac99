#include "json_schema.hpp"

#include <algorithm>
#include <regex>
#include <set>
#include <string_view>

#include <fmt/format.h>

namespace bulwark::platform {

namespace {

using nlohmann::json;

const std::set<std::string_view> kKeywords = {
    "type",     "enum",     "const",       "properties", "required", "additionalProperties", "items",
    "minItems", "uniqueItems", "minLength", "pattern",   "minimum",  "maximum",              "oneOf",
    "$ref",     "$defs",    "$schema",     "$id",        "$comment", "title",                "description"};

std::string where(const std::string& pointer) { return pointer.empty() ? "the document" : pointer; }

bool hasType(const json& value, std::string_view type) {
  if (type == "object") return value.is_object();
  if (type == "array") return value.is_array();
  if (type == "string") return value.is_string();
  if (type == "integer") return value.is_number_integer();
  if (type == "number") return value.is_number();
  if (type == "boolean") return value.is_boolean();
  if (type == "null") return value.is_null();
  return false;
}

class Validator {
 public:
  explicit Validator(const json& root) : root_(root) {}

  Status check(const json& schema, const json& value, const std::string& pointer) {
    if (schema.is_boolean()) {
      if (schema.get<bool>()) return {};
      return Error{fmt::format("{}: not allowed here", where(pointer))};
    }
    if (!schema.is_object()) return Error{"the schema is not a JSON Schema (a schema must be an object)"};
    for (auto it = schema.begin(); it != schema.end(); ++it) {
      if (!kKeywords.contains(it.key())) {
        return Error{fmt::format("the schema uses \"{}\", which this validator does not understand", it.key())};
      }
    }
    if (schema.contains("$ref")) {
      auto target = resolve(schema["$ref"]);
      if (!target) return Error{target.error()};
      if (Status s = check(**target, value, pointer); !s) return s;
    }
    if (schema.contains("type")) {
      if (Status s = checkType(schema["type"], value, pointer); !s) return s;
    }
    if (schema.contains("const") && value != schema["const"]) {
      return Error{fmt::format("{}: must be {}", where(pointer), schema["const"].dump())};
    }
    if (schema.contains("enum")) {
      const json& values = schema["enum"];
      if (std::find(values.begin(), values.end(), value) == values.end()) {
        return Error{fmt::format("{}: {} is not one of {}", where(pointer), value.dump(), values.dump())};
      }
    }
    if (value.is_object()) {
      if (Status s = checkObject(schema, value, pointer); !s) return s;
    }
    if (value.is_array()) {
      if (Status s = checkArray(schema, value, pointer); !s) return s;
    }
    if (value.is_string()) {
      if (Status s = checkString(schema, value.get<std::string>(), pointer); !s) return s;
    }
    if (value.is_number()) {
      if (schema.contains("minimum") && value.get<double>() < schema["minimum"].get<double>()) {
        return Error{fmt::format("{}: must be at least {}", where(pointer), schema["minimum"].dump())};
      }
      if (schema.contains("maximum") && value.get<double>() > schema["maximum"].get<double>()) {
        return Error{fmt::format("{}: must be at most {}", where(pointer), schema["maximum"].dump())};
      }
    }
    if (schema.contains("oneOf")) return checkOneOf(schema["oneOf"], value, pointer);
    return {};
  }

 private:
  Result<const json*> resolve(const json& ref) {
    static constexpr std::string_view kPrefix = "#/$defs/";
    if (!ref.is_string() || !ref.get<std::string>().starts_with(kPrefix)) {
      return Error{fmt::format("the schema's $ref {} is not of the form \"#/$defs/NAME\"", ref.dump())};
    }
    std::string name = ref.get<std::string>().substr(kPrefix.size());
    if (!root_.contains("$defs") || !root_["$defs"].contains(name)) {
      return Error{fmt::format("the schema's $ref {} names no definition", ref.dump())};
    }
    return &root_["$defs"][name];
  }

  Status checkType(const json& type, const json& value, const std::string& pointer) {
    if (type.is_string()) {
      if (hasType(value, type.get<std::string>())) return {};
    } else {
      for (const json& t : type) {
        if (hasType(value, t.get<std::string>())) return {};
      }
    }
    return Error{fmt::format("{}: must be of type {}", where(pointer), type.is_string() ? type.get<std::string>()
                                                                                          : type.dump())};
  }

  Status checkObject(const json& schema, const json& value, const std::string& pointer) {
    if (schema.contains("required")) {
      for (const json& key : schema["required"]) {
        if (!value.contains(key.get<std::string>())) {
          return Error{fmt::format("{}: \"{}\" is missing", where(pointer), key.get<std::string>())};
        }
      }
    }
    const json* properties = schema.contains("properties") ? &schema["properties"] : nullptr;
    bool closed = schema.contains("additionalProperties") && !schema["additionalProperties"].get<bool>();
    for (auto it = value.begin(); it != value.end(); ++it) {
      std::string path = pointer + "/" + it.key();
      if (properties && properties->contains(it.key())) {
        if (Status s = check((*properties)[it.key()], it.value(), path); !s) return s;
      } else if (closed) {
        return Error{fmt::format("{}: \"{}\" is not a known key", where(pointer), it.key())};
      }
    }
    return {};
  }

  Status checkArray(const json& schema, const json& value, const std::string& pointer) {
    if (schema.contains("minItems") && value.size() < schema["minItems"].get<std::size_t>()) {
      return Error{fmt::format("{}: needs at least {} items", where(pointer), schema["minItems"].get<std::size_t>())};
    }
    if (schema.contains("uniqueItems") && schema["uniqueItems"].get<bool>()) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        for (std::size_t j = i + 1; j < value.size(); ++j) {
          if (value[i] == value[j]) return Error{fmt::format("{}: {} appears twice", where(pointer), value[i].dump())};
        }
      }
    }
    if (schema.contains("items")) {
      for (std::size_t i = 0; i < value.size(); ++i) {
        if (Status s = check(schema["items"], value[i], fmt::format("{}/{}", pointer, i)); !s) return s;
      }
    }
    return {};
  }

  Status checkString(const json& schema, const std::string& value, const std::string& pointer) {
    if (schema.contains("minLength") && value.size() < schema["minLength"].get<std::size_t>()) {
      return Error{fmt::format("{}: must be at least {} characters", where(pointer),
                               schema["minLength"].get<std::size_t>())};
    }
    if (schema.contains("pattern")) {
      const std::string pattern = schema["pattern"].get<std::string>();
      if (!std::regex_search(value, std::regex(pattern, std::regex::ECMAScript))) {
        return Error{fmt::format("{}: \"{}\" does not match {}", where(pointer), value, pattern)};
      }
    }
    return {};
  }

  Status checkOneOf(const json& choices, const json& value, const std::string& pointer) {
    int matches = 0;
    std::string errors;
    for (const json& choice : choices) {
      Status s = check(choice, value, pointer);
      if (s) {
        ++matches;
      } else {
        errors += (errors.empty() ? "" : "; or ") + s.message();
      }
    }
    if (matches == 1) return {};
    if (matches == 0) return Error{fmt::format("{}: matches none of its forms ({})", where(pointer), errors)};
    return Error{fmt::format("{}: matches more than one of its forms", where(pointer))};
  }

  const json& root_;
};

}  // namespace

Status validate(const json& schema, const json& document) { return Validator(schema).check(schema, document, ""); }

}  // namespace bulwark::platform
