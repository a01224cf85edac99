// libFuzzer target for the ATV profile codec (core/config/atv.hpp).
//
// Every input goes through importProfile() on the factory default, the way
// `gaiconfig --set-all --factory-default` takes it. Rejecting an input is
// fine; crashing, or a sanitizer report, is a bug. An input that loads must
// also keep the codec's promise: the canonical text writeAtv() makes of it
// imports again to an equal configuration and is written to the same bytes.
// A broken promise aborts with both texts on stderr, so libFuzzer keeps the
// input as a crash. What loads is also compiled into a packet filter.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "config/atv.hpp"
#include "config/config.hpp"
#include "config/schema.hpp"
#include "firewall/compiler.hpp"

namespace {

using namespace bulwark::config;

[[noreturn]] void broken(std::string_view what, std::string_view first, std::string_view second) {
  std::fprintf(stderr, "atv_fuzz: round trip broken: %.*s\n--- first export ---\n%.*s--- second ---\n%.*s",
               static_cast<int>(what.size()), what.data(), static_cast<int>(first.size()), first.data(),
               static_cast<int>(second.size()), second.data());
  std::abort();
}

void checkOne(std::string_view input) {
  static const Schema& schema = Schema::builtin();
  static const Config base = factoryDefault(schema);
  // Fixed seeds: a finding must replay with the same fresh row ids.
  RowIdGenerator ids(1);
  auto loaded = importProfile(schema, input, base, ids);
  if (!loaded) return;

  std::string first = writeAtv(schema, *loaded);
  RowIdGenerator moreIds(2);
  auto again = importProfile(schema, first, base, moreIds);
  if (!again) broken(again.error(), first, "(does not import)\n");
  std::string second = writeAtv(schema, *again);
  if (!(*again == *loaded)) broken("the re-imported configuration differs", first, second);
  if (second != first) broken("the second export differs", first, second);

  // The packet filter's compiler takes every configuration that loads: a
  // ruleset, or a clear error (test/unit/firewall checks the texts against
  // the kernel).
  auto ruleset = bulwark::firewall::compile(*loaded, {"eth0", "eth1", ""});
  if (ruleset) {
    (void)bulwark::firewall::toNft(*ruleset);
  } else if (ruleset.error().empty()) {
    broken("the packet filter failed without a reason", first, "");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  checkOne(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
