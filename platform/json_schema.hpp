// A validator of JSON documents against a JSON Schema (draft 2020-12), for
// the data files the core is built with (platform/boards/*.json against
// platform/board.schema.json). It understands the keywords such files need
// and refuses a schema with any other, so that a keyword it would silently
// skip cannot make a bad file pass:
//   type, enum, const, properties, required, additionalProperties (a boolean),
//   items, minItems, uniqueItems, minLength, pattern (ECMAScript, searched),
//   minimum, maximum, oneOf, $ref ("#/$defs/NAME"), $defs,
//   and the annotations $schema, $id, $comment, title, description.
// An error names the place in the document as a JSON pointer ("/ports/1/role").
#pragma once

#include <nlohmann/json.hpp>

#include "common/status.hpp"

namespace bulwark::platform {

// OK when `document` satisfies `schema`; otherwise the first violation found.
// A schema with a keyword outside the list above is an error too.
Status validate(const nlohmann::json& schema, const nlohmann::json& document);

}  // namespace bulwark::platform
