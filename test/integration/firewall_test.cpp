// The nftables backend against the kernel, in a network namespace of the
// test's own (unshare(CLONE_NEWNET): the host's ruleset is never touched).
// What bulwark loads over netlink must list exactly as what `nft -f` makes of
// the printed ruleset (`bulwark fw show`); a refused batch changes nothing.
#include <catch2/catch.hpp>

#include <sched.h>

#include <fstream>
#include <sstream>

#include "config/atv.hpp"
#include "config/config.hpp"
#include "firewall/compiler.hpp"
#include "firewall/nft_backend.hpp"
#include "support/support.hpp"

using namespace bulwark;

namespace {

std::string listTable() { return test::runProcess({"nft", "list", "table", "inet", "bulwark"}).out; }

firewall::Ruleset compiled(const std::string& fixture) {
  std::ifstream in(std::string(BULWARK_FIXTURES) + "/firewall/" + fixture);
  std::stringstream text;
  text << in.rdbuf();
  config::RowIdGenerator ids(1);
  auto c = config::importProfile(config::Schema::builtin(), text.str(),
                                 config::factoryDefault(config::Schema::builtin()), ids);
  REQUIRE(c);
  auto rs = firewall::compile(*c, {"eth0", "eth1", ""});
  REQUIRE(rs);
  return *rs;
}

}  // namespace

TEST_CASE("the nftables backend loads what nft -f loads, atomically", "[integration][firewall]") {
  REQUIRE(unshare(CLONE_NEWNET) == 0);
  test::TempDir dir;
  for (const char* fixture : {"rules.atv", "folded.atv", "factory.atv"}) {
    INFO(fixture);
    firewall::Ruleset rs = std::string(fixture) == "factory.atv"
                               ? *firewall::compile(config::factoryDefault(config::Schema::builtin()), {"eth0", "eth1", ""})
                               : compiled(fixture);
    REQUIRE(firewall::load(rs));
    std::string ours = listTable();
    REQUIRE(firewall::unload("bulwark"));
    CHECK(listTable().empty());
    std::ofstream(dir / "ruleset.nft") << firewall::toNft(rs);
    auto nft = test::runProcess({"nft", "-f", (dir / "ruleset.nft").string()});
    REQUIRE(nft.exitCode == 0);
    std::string theirs = listTable();
    CHECK(ours == theirs);
    CHECK(ours.find("chain fw-incoming") != std::string::npos);
    // Loading again replaces the table as a whole.
    REQUIRE(firewall::load(rs));
    CHECK(listTable() == theirs);
  }

  // A check goes through the kernel's validation and changes nothing.
  REQUIRE(firewall::unload("bulwark"));
  CHECK(firewall::check(compiled("rules.atv")));
  CHECK(listTable().empty());
  REQUIRE(firewall::load(compiled("rules.atv")));

  // A batch the kernel refuses (a jump to a chain that does not exist) leaves
  // the table in force as it was, and says which rule it was.
  std::string before = listTable();
  firewall::Ruleset bad = compiled("rules.atv");
  firewall::Rule broken;
  broken.verdict = firewall::Verdict::Jump;
  broken.target = "no-such-chain";
  bad.chains[1].rules.push_back(broken);
  Status checked = firewall::check(bad);
  REQUIRE_FALSE(checked);
  CHECK(checked.message().find("rule 7 of chain forward") != std::string::npos);
  CHECK(listTable() == before);
  Status s = firewall::load(bad);
  REQUIRE_FALSE(s);
  CHECK(s.message().find("rule 7 of chain forward") != std::string::npos);
  CHECK(s.message().find("the previous ruleset stays") != std::string::npos);
  CHECK(listTable() == before);
  // bulwark fw check: the kernel's verdict, nothing applied.
  REQUIRE(firewall::unload("bulwark"));
  auto ok = test::runProcess({test::bulwarkBinary(), "fw", "check", "--atv",
                              std::string(BULWARK_FIXTURES) + "/firewall/rules.atv"});
  CHECK(ok.exitCode == 0);
  CHECK(ok.out.find("accepted by the kernel, nothing applied") != std::string::npos);
  CHECK(listTable().empty());
  std::ofstream(dir / "bad.atv") << "FW_INCOMING = {\n  { PROTO = \"icmp\" DST_PORT = \"80\" }\n}\n"
                                    "// End of configuration profile\n";
  auto refused = test::runProcess({test::bulwarkBinary(), "fw", "check", "--atv", (dir / "bad.atv").string()});
  CHECK(refused.exitCode == 1);
  REQUIRE(firewall::load(compiled("rules.atv")));

  // Other tables are not touched.
  REQUIRE(test::runProcess({"nft", "add", "table", "ip", "other"}).exitCode == 0);
  REQUIRE(firewall::load(compiled("rules.atv")));
  REQUIRE(firewall::unload("bulwark"));
  CHECK(test::runProcess({"nft", "list", "tables"}).out == "table ip other\n");
}
