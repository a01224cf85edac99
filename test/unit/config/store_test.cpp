#include <catch2/catch.hpp>

#include "config/store.hpp"
#include "support/support.hpp"

using namespace bulwark;
using namespace bulwark::config;

TEST_CASE("the store keeps one configuration with a growing generation", "[store]") {
  test::TempDir dir;
  {
    auto store = Store::open(dir / "config.db");
    REQUIRE(store);
    auto empty = (*store)->load();
    REQUIRE(empty);
    CHECK_FALSE(*empty);
    CHECK(*(*store)->commit("A = \"1\"\n") == 1);
    CHECK(*(*store)->commit("A = \"2\"\n") == 2);
    CHECK((*store)->integrityCheck());
  }
  auto store = Store::open(dir / "config.db");
  REQUIRE(store);
  auto current = (*store)->load();
  REQUIRE(current);
  REQUIRE(*current);
  CHECK((*current)->generation == 2);
  CHECK((*current)->atv == "A = \"2\"\n");
}

TEST_CASE("profiles are stored verbatim and the active one follows the generation", "[store]") {
  test::TempDir dir;
  auto store = std::move(*Store::open(dir / "config.db"));
  std::string body("x\0y\n", 4);
  REQUIRE(store->saveProfile("p1", body));
  CHECK(**store->profile("p1") == body);
  CHECK_FALSE(*store->profile("p2"));
  auto gen = store->commit("cfg", "p1");
  REQUIRE(gen);
  auto list = store->listProfiles();
  REQUIRE(list->size() == 1);
  CHECK((*list)[0].active);
  CHECK((*list)[0].size == 4);
  store->commit("cfg2");
  CHECK_FALSE((*store->listProfiles())[0].active);
  REQUIRE(store->deleteProfile("p1"));
  CHECK_FALSE(store->deleteProfile("p1"));
}

TEST_CASE("profile names are checked", "[store]") {
  CHECK(checkProfileName("Migration"));
  CHECK(checkProfileName("site A_2.1-final"));
  CHECK_FALSE(checkProfileName(""));
  CHECK_FALSE(checkProfileName(".hidden"));
  CHECK_FALSE(checkProfileName("a/b"));
  CHECK_FALSE(checkProfileName(std::string(65, 'a')));
  CHECK_FALSE(checkProfileName("Factory Default"));
}
