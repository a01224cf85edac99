// `bulwark ctl`: questions to the running core over its control socket.
//   bulwark ctl services [--run-dir R]   one line per supervised service:
//                                        name, state, pid, restarts, uptime, last exit
//   bulwark ctl leds [--run-dir R] [--follow]
//                                        one line per LED: name and pattern ("STAT heartbeat"),
//                                        and "7SEG 51" for a 7-segment display ("7SEG off": dark)
// The core answers requests {"ctl": "services"} (handleCtlRequest) and
// {"ctl": "leds"} (the LED module, led/led_module.hpp).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "init/supervisor.hpp"

namespace bulwark::init {

// True when `request` is a ctl request (and not a configuration request).
bool isCtlRequest(const std::string& request);
// The JSON answer to a ctl request.
std::string handleCtlRequest(const Supervisor& supervisor, const std::string& request);

// The lines `bulwark ctl leds` prints for the answer to {"ctl": "leds"}:
// each LED's name and pattern, then the display's ("7SEG", its text or "off")
// where the board has one. Empty for an answer that is not such.
std::vector<std::pair<std::string, std::string>> ledLines(const std::string& answer);

int ctlMain(int argc, char** argv);

}  // namespace bulwark::init
