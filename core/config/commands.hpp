// The configuration commands of the control protocol, shared by the control
// socket of the running core and by gaiconfig working directly on the store:
// both paths run the very same code. A request is a JSON object with "op";
// the reply is {"ok":true, ...} or {"ok":false,"error":"one line"}.
//
// Every request may carry "data_dir": the store it means.
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

#include <filesystem>
#include <functional>
#include <string>

#include "config/service.hpp"

namespace bulwark::config {

struct RequestContext {
  Actor actor;
  // The data directory of the store `service` works on. A request that names
  // another ("data_dir") is refused: it was meant for another core.
  std::filesystem::path dataDir;
  // When given, large requests are parsed and large answers written there,
  // not on the loop (a profile can be 16 MiB).
  runtime::WorkerPool* workers = nullptr;
};

void handleConfigRequest(ConfigService& service, std::string request, const RequestContext& context,
                         std::function<void(std::string)> reply);

}  // namespace bulwark::config
