#include "json_schema.hpp"

#include <catch2/catch.hpp>

namespace bulwark::platform {
namespace {

using nlohmann::json;

const json kSchema = json::parse(R"({
  "type": "object",
  "required": ["name"],
  "additionalProperties": false,
  "properties": {
    "name": {"type": "string", "pattern": "^[a-z]+$"},
    "size": {"type": "integer", "minimum": 1, "maximum": 9},
    "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "uniqueItems": true},
    "driver": {"$ref": "#/$defs/driver"}
  },
  "$defs": {
    "driver": {"oneOf": [
      {"type": "object", "required": ["kind", "name"], "additionalProperties": false,
       "properties": {"kind": {"const": "sysfs"}, "name": {"type": "string"}}},
      {"type": "object", "required": ["kind"], "additionalProperties": false,
       "properties": {"kind": {"const": "simulated"}}}
    ]}
  }
})");

TEST_CASE("a document that satisfies the schema is valid") {
  CHECK(validate(kSchema, json::parse(R"({"name": "x", "size": 3, "tags": ["a", "b"], "driver": {"kind": "simulated"}})")));
}

TEST_CASE("a violation is named by its place in the document") {
  CHECK(validate(kSchema, json::parse(R"({"size": 3})")).message() == "the document: \"name\" is missing");
  CHECK(validate(kSchema, json::parse(R"({"name": "X"})")).message() == "/name: \"X\" does not match ^[a-z]+$");
  CHECK(validate(kSchema, json::parse(R"({"name": "x", "size": 10})")).message() == "/size: must be at most 9");
  CHECK(validate(kSchema, json::parse(R"({"name": "x", "size": "3"})")).message() == "/size: must be of type integer");
  CHECK(validate(kSchema, json::parse(R"({"name": "x", "tags": ["c"]})")).message() ==
        "/tags/0: \"c\" is not one of [\"a\",\"b\"]");
  CHECK(validate(kSchema, json::parse(R"({"name": "x", "tags": ["a", "a"]})")).message() ==
        "/tags: \"a\" appears twice");
  CHECK(validate(kSchema, json::parse(R"({"name": "x", "colour": 1})")).message() ==
        "the document: \"colour\" is not a known key");
}

TEST_CASE("oneOf takes exactly one of its forms and says why none fits") {
  CHECK(validate(kSchema, json::parse(R"({"name": "x", "driver": {"kind": "sysfs", "name": "a"}})")));
  auto s = validate(kSchema, json::parse(R"({"name": "x", "driver": {"kind": "sysfs"}})"));
  REQUIRE_FALSE(s);
  CHECK(s.message() ==
        "/driver: matches none of its forms (/driver: \"name\" is missing; or /driver/kind: must be \"simulated\")");
}

TEST_CASE("a schema keyword the validator does not understand is refused") {
  json schema = json::parse(R"({"type": "string", "format": "email"})");
  CHECK(validate(schema, "x").message() == "the schema uses \"format\", which this validator does not understand");
}

}  // namespace
}  // namespace bulwark::platform
