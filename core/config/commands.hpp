// The configuration commands of the control protocol, shared by the control
// socket of the running core and by gaiconfig working directly on the store:
// both paths run the very same code. A request is a JSON object with "op";
// the reply is {"ok":true, ...} or {"ok":false,"error":"one line"}.
//
//   get {path}                 -> value (scalar text, or the ATV form of a table/row)
//   rowid {path}               -> value (the row id of TABLE:N)
//   set {path, value}
//   get-all                    -> atv
//   set-all {atv, factory_default} -> notes[]
//   diff {profile}             -> lines[] (configuration in force -> profile)
//   profile-list               -> profiles[{name,size,active}]
//   profile-save {name}   profile-import {name, atv}   profile-export {name} -> atv
//   profile-restore {name}   profile-delete {name}   profile-compare {from, to} -> lines[]
#pragma once

#include <functional>
#include <string>

#include "config/service.hpp"

namespace bulwark::config {

void handleConfigRequest(ConfigService& service, const std::string& request, const Actor& actor,
                         std::function<void(std::string)> reply);

}  // namespace bulwark::config
