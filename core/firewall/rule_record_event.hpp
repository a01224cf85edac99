// The firewall room's event for those who show rule records (the Info LEDs
// and ACK outputs of reference 12.1): published by the FirewallModule on the
// event bus for every record at start, and then whenever a record's state
// changes, is switched (nph-action.cgi, a CMD contact, its timeout), appears
// with the configuration or goes with it.
#pragma once

#include <string>

namespace bulwark::firewall {

struct RuleRecordChanged {
  std::string rowid;  // FW_RULESETS' row id
  bool active = false;
  bool removed = false;  // the row is no longer configured (active is then false)
};

}  // namespace bulwark::firewall
