// Loads a ruleset (ruleset.hpp) into the kernel with libnftnl and our
// libmnl, no `nft` process: one nfnetlink batch that creates the table (so
// that deleting it cannot fail), deletes it, and creates it anew with all
// its sets, chains and rules (sets' elements 500 to a message). The batch
// goes in one sendto() without acknowledgements, as nft's own: the kernel
// handles it during the call, so the errors are on the socket when it
// returns. The kernel applies a batch as one transaction: on
// any error nothing changes, the previous table stays in force, and the
// error names the chain and rule it refused. Other tables are not touched.
// Blocking but quick; called on the loop at start and on changes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "common/status.hpp"
#include "firewall/ruleset.hpp"

namespace bulwark::firewall {

Status load(const Ruleset& ruleset);

// The same batch without its end: the kernel checks every message and then
// aborts, so nothing changes (as `nft -c`). Needs CAP_NET_ADMIN.
Status check(const Ruleset& ruleset);

// Replaces the rules of one chain of the loaded table with those of
// `ruleset`'s chain `chain`, in one transaction (rule records and user
// firewall logins): the rest of the table, its sets and its conntrack
// state stay; the time does not depend on the table's size.
Status replaceChain(const Ruleset& ruleset, const std::string& chain);

// The packets each rule of table inet `table`'s chain `chain` has counted,
// in the chain's order (0 for a rule without a counter).
Result<std::vector<std::uint64_t>> ruleCounters(const std::string& table, const std::string& chain);

// Deletes table inet `name` (absent is fine).
Status unload(const std::string& name);

}  // namespace bulwark::firewall
