// Services declared in a JSON file (`bulwark init --services FILE`), for
// development and tests; the rooms of the appliance declare theirs in code.
//   [{"name": "dhcp-test", "argv": ["/usr/sbin/udhcpd", "-f", "/run/u.conf"],
//     "env": ["A=b"], "cwd": "/", "user": "nobody", "after": ["other"],
//     "ready": {"file": "/run/x.pid"} | {"socket": "/run/x.sock"} | {"line": "started"},
//     "ready_timeout_ms": 10000,
//     "restart": {"threshold_ms": 5000, "delay_ms": 1000, "max_delay_ms": 60000, "retries": 5},
//     "stop_timeout_ms": 5000, "tag": "dhcp-int"}]
// Unknown keys and wrong types are errors naming the service and the key.
#pragma once

#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "init/supervisor.hpp"

namespace bulwark::init {

Result<std::vector<ServiceSpec>> parseServices(std::string_view json);

}  // namespace bulwark::init
