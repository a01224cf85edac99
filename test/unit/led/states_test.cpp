// The system states of reference table 12-3 on the LEDs of the FL MGUARD
// RS4000, one test per row of the table (and PASSWORD_CHECK), then several
// conditions at once against the priority order of states.hpp.
#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <string>

#include "led/states.hpp"
#include "led_support.hpp"

using namespace bulwark::led;
using namespace bulwark::led::test;

namespace {

struct Rs4000 : LedsOf {
  Rs4000() : LedsOf(kRs4000) {}
};

}  // namespace

// --- table 12-3, row by row -------------------------------------------------

TEST_CASE_METHOD(Rs4000, "table 12-3: the system status is OK: STAT heartbeat", "[led]") {
  conditions.set(Condition::Ok, t0);
  CHECK(shows(t0) == "STAT heartbeat");
  CHECK(lit(t0) == "STAT");
  CHECK(lit(t0 + 100ms) == "");
  CHECK(lit(t0 + 320ms) == "STAT");
  CHECK(lit(t0 + 1260ms) == "STAT");
  CHECK(next(t0) == t0 + 70ms);
}

TEST_CASE_METHOD(Rs4000, "table 12-3: a severe error has happened: ERR ON", "[led]") {
  checkSteady(Condition::SevereError, "ERR");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the system is booting: STAT, ERR, FAULT ON (12 s), MOD ON (3 s)", "[led]") {
  conditions.set(Condition::Booting, t0);
  CHECK(shows(t0) == "STAT on (12 s), MOD on (3 s), ERR on (12 s), FAULT on (12 s)");
  CHECK(lit(t0) == "STAT MOD ERR FAULT");
  CHECK(next(t0) == t0 + 3s);
  CHECK(lit(t0 + 3s - 1ms) == "STAT MOD ERR FAULT");
  CHECK(lit(t0 + 3s) == "STAT ERR FAULT");
  CHECK(next(t0 + 3s) == t0 + 12s);
  CHECK(lit(t0 + 12s - 1ms) == "STAT ERR FAULT");
  CHECK(lit(t0 + 12s) == "");
  CHECK_FALSE(next(t0 + 12s));
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the licence to operate this firmware is missing: STAT Morse SOS", "[led]") {
  conditions.set(Condition::LicenceMissing, t0);
  CHECK(shows(t0) == "STAT sos");
  CHECK(lit(t0) == "STAT");
  CHECK(lit(t0 + 1000ms) == "");      // the gap between S and O
  CHECK(lit(t0 + 1600ms) == "STAT");  // the first dash
  CHECK(lit(t0 + 6800ms) == "STAT");  // the next SOS
}

TEST_CASE_METHOD(Rs4000, "table 12-3: bootloader replacement failed: STAT and ERR Morse SOS, in phase", "[led]") {
  conditions.set(Condition::BootloaderReplacementFailed, t0);
  CHECK(shows(t0) == "STAT sos, ERR sos");
  for (long ms = 0; ms < 2 * 6800; ms += 100) {
    std::string now = lit(t0 + Millis(ms));
    INFO("at " << ms << " ms");
    CHECK((now == "STAT ERR" || now == ""));
  }
  CHECK(lit(t0 + 1700ms) == "STAT ERR");
  CHECK(lit(t0 + 2300ms) == "");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: a power failure was detected: FAULT ON", "[led]") {
  checkSteady(Condition::PowerFailure, "FAULT");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: no connectivity on the WAN interface: FAULT ON", "[led]") {
  checkSteady({Condition::LinkDown, "WAN"}, "FAULT");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: no connectivity on the LAN interface: FAULT ON", "[led]") {
  checkSteady({Condition::LinkDown, "LAN"}, "FAULT");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: no connectivity on a LAN 1-4 interface: FAULT ON", "[led]") {
  for (const char* lan : {"LAN1", "LAN2", "LAN3", "LAN4"}) {
    INFO(lan);
    checkSteady({Condition::LinkDown, lan}, "FAULT");
  }
}

TEST_CASE_METHOD(Rs4000, "table 12-3: no connectivity on the DMZ interface: FAULT ON", "[led]") {
  checkSteady({Condition::LinkDown, "DMZ"}, "FAULT");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: power supply 1 or 2 failed: FAULT ON", "[led]") {
  checkSteady({Condition::PowerSupplyFailed, "1"}, "FAULT");
  checkSteady({Condition::PowerSupplyFailed, "2"}, "FAULT");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: temperature too high or low: FAULT ON", "[led]") {
  checkSteady(Condition::Temperature, "FAULT");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the redundancy connectivity check failed: FAULT ON", "[led]") {
  checkSteady(Condition::RedundancyCheckFailed, "FAULT");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the modem connectivity check failed: FAULT ON", "[led]") {
  checkSteady(Condition::ModemCheckFailed, "FAULT");
}

TEST_CASE_METHOD(Rs4000, "PASSWORD_CHECK: passwords not configured: FAULT ON", "[led]") {
  checkSteady(Condition::PasswordCheck, "FAULT");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: ECS incompatible: ERR ON (3 s)", "[led]") {
  checkOnFor(Condition::EcsIncompatible, "ERR", 3s);
}

TEST_CASE_METHOD(Rs4000, "table 12-3: ECS capacity exhausted: ERR ON (3 s)", "[led]") {
  checkOnFor(Condition::EcsFull, "ERR", 3s);
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the root password from the ECS does not match: ERR ON (3 s)", "[led]") {
  checkOnFor(Condition::EcsRootPasswordMismatch, "ERR", 3s);
}

TEST_CASE_METHOD(Rs4000, "table 12-3: failed to load the configuration from the ECS: ERR ON (3 s)", "[led]") {
  checkOnFor(Condition::EcsLoadFailed, "ERR", 3s);
}

TEST_CASE_METHOD(Rs4000, "table 12-3: failed to save the configuration to the ECS: ERR ON (3 s)", "[led]") {
  checkOnFor(Condition::EcsSaveFailed, "ERR", 3s);
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the internal modem got a connect: MOD ON", "[led]") {
  checkSteady(Condition::ModemConnected, "MOD");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the internal modem is armed and expecting a dial in: MOD blink 50/1500",
                 "[led]") {
  conditions.set(Condition::ModemArmed, t0);
  CHECK(shows(t0) == "MOD blink 50/1500");
  CHECK(lit(t0 + 49ms) == "MOD");
  CHECK(lit(t0 + 50ms) == "");
  CHECK(next(t0 + 50ms) == t0 + 1550ms);
  CHECK(lit(t0 + 1550ms) == "MOD");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the internal modem is dialing: MOD blink 500/500", "[led]") {
  conditions.set(Condition::ModemDialing, t0);
  CHECK(shows(t0) == "MOD blink 500/500");
  CHECK(lit(t0 + 499ms) == "MOD");
  CHECK(lit(t0 + 500ms) == "");
  CHECK(lit(t0 + 1000ms) == "MOD");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the recovery procedure failed: ERR ON (2 s)", "[led]") {
  checkOnFor(Condition::RecoveryFailed, "ERR", 2s);
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the recovery procedure succeeded: STAT ON (2 s)", "[led]") {
  checkOnFor(Condition::RecoverySucceeded, "STAT", 2s);
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the flash procedure has been started: STAT and FAULT ON", "[led]") {
  conditions.set(Condition::FlashStarted, t0);
  CHECK(shows(t0) == "STAT on, FAULT on");
  CHECK(lit(t0 + 1h) == "STAT FAULT");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the flash procedure is executed: running light on STAT, MOD, Info2; FAULT ON",
                 "[led]") {
  conditions.set(Condition::FlashRunning, t0);
  CHECK(shows(t0) == "STAT running light, MOD running light, INFO2 running light, FAULT on");
  std::vector<std::string> seen;
  for (long ms = 100; ms < 2000; ms += 200) seen.push_back(lit(t0 + Millis(ms)));
  CHECK(seen == std::vector<std::string>{"STAT FAULT", "MOD FAULT", "INFO2 FAULT", "MOD FAULT", "STAT FAULT",
                                         "MOD FAULT", "INFO2 FAULT", "MOD FAULT", "STAT FAULT", "MOD FAULT"});
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the flash procedure succeeded: STAT, MOD, Info2 blink 50/800 together; FAULT ON",
                 "[led]") {
  conditions.set(Condition::FlashSucceeded, t0);
  CHECK(shows(t0) == "STAT blink 50/800, MOD blink 50/800, INFO2 blink 50/800, FAULT on");
  CHECK(lit(t0) == "STAT MOD INFO2 FAULT");
  CHECK(lit(t0 + 50ms) == "FAULT");
  CHECK(next(t0 + 50ms) == t0 + 850ms);
  CHECK(lit(t0 + 10 * 850ms + 49ms) == "STAT MOD INFO2 FAULT");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the flash/production procedure failed: STAT and ERR ON", "[led]") {
  conditions.set(Condition::FlashProductionFailed, t0);
  CHECK(shows(t0) == "STAT on, ERR on");
  CHECK(lit(t0 + 1h) == "STAT ERR");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: replacing the rescue system: ERR blink 50/100 for 5 s", "[led]") {
  conditions.set(Condition::FlashReplacingRescue, t0);
  CHECK(shows(t0) == "ERR blink 50/100 (5 s)");
  CHECK(lit(t0) == "ERR");
  CHECK(lit(t0 + 50ms) == "");
  CHECK(lit(t0 + 150ms) == "ERR");
  CHECK(lit(t0 + 4950ms) == "ERR");
  CHECK(next(t0 + 4950ms) == t0 + 5s);
  CHECK(shows(t0 + 5s) == "");
  CHECK_FALSE(next(t0 + 5s));
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the DHCP/BOOTP requests failed: ERR ON", "[led]") {
  checkSteady(Condition::FlashDhcpFailed, "ERR");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: mounting the data storage device failed: ERR ON", "[led]") {
  checkSteady(Condition::FlashMountFailed, "ERR");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the flash procedure failed: ERR ON", "[led]") {
  checkSteady(Condition::FlashFailed, "ERR");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: erasing the file system partition failed: ERR ON", "[led]") {
  checkSteady(Condition::FlashEraseFailed, "ERR");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: failed to load the firmware image: ERR ON", "[led]") {
  checkSteady(Condition::FlashImageLoadFailed, "ERR");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the signature of the firmware image is not valid: ERR ON", "[led]") {
  checkSteady(Condition::FlashImageSignatureInvalid, "ERR");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: failed to load the install script: ERR ON", "[led]") {
  checkSteady(Condition::FlashScriptLoadFailed, "ERR");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the signature of the install script is not valid: ERR ON", "[led]") {
  checkSteady(Condition::FlashScriptSignatureInvalid, "ERR");
}

TEST_CASE_METHOD(Rs4000, "table 12-3: the rollout script failed: ERR ON", "[led]") {
  checkSteady(Condition::FlashRolloutFailed, "ERR");
}

// --- several conditions at once --------------------------------------------

TEST_CASE_METHOD(Rs4000, "booting shows over a running system for its 12 s, then the heartbeat in its own phase",
                 "[led]") {
  conditions.set(Condition::Booting, t0);
  conditions.set(Condition::Ok, t0 + 5s);
  CHECK(shows(t0 + 6s) == "STAT on (12 s), ERR on (12 s), FAULT on (12 s)");
  CHECK(lit(t0 + 6s) == "STAT ERR FAULT");
  // At 12 s the heartbeat is 7000 ms old, 700 ms into its sixth period: off until 12.56 s.
  CHECK(shows(t0 + 12s) == "STAT heartbeat");
  CHECK(lit(t0 + 12s) == "");
  CHECK(next(t0 + 12s) == t0 + 12560ms);
  CHECK(lit(t0 + 12560ms) == "STAT");
}

TEST_CASE_METHOD(Rs4000, "a severe error and a running system show together: STAT heartbeat and ERR ON", "[led]") {
  conditions.set(Condition::Ok, t0);
  conditions.set(Condition::SevereError, t0 + 1s);
  CHECK(shows(t0 + 2s) == "STAT heartbeat, ERR on");
  CHECK(lit(t0 + 2520ms) == "STAT ERR");  // 2520 = 2 periods: a beat
  CHECK(lit(t0 + 2620ms) == "ERR");
}

TEST_CASE_METHOD(Rs4000, "a missing licence shows SOS over the heartbeat", "[led]") {
  conditions.set(Condition::Ok, t0);
  conditions.set(Condition::LicenceMissing, t0);
  CHECK(shows(t0) == "STAT sos");
  conditions.clear(Condition::LicenceMissing);
  CHECK(shows(t0) == "STAT heartbeat");
}

TEST_CASE_METHOD(Rs4000, "a recovery result is seen for its 2 s over a missing licence, which then continues",
                 "[led]") {
  conditions.set(Condition::LicenceMissing, t0);
  conditions.set(Condition::RecoverySucceeded, t0 + 1s);
  CHECK(shows(t0 + 1s) == "STAT on (2 s)");
  CHECK(lit(t0 + 1s) == "STAT");  // SOS alone would be off here, between S and O
  // At 3 s the SOS is between the second and the third dash of its O: off until 3.2 s.
  CHECK(shows(t0 + 3s) == "STAT sos");
  CHECK(lit(t0 + 3s) == "");
  CHECK(lit(t0 + 3200ms) == "STAT");
}

TEST_CASE_METHOD(Rs4000, "an ECS error over a severe error keeps ERR on without a change at its end", "[led]") {
  conditions.set(Condition::SevereError, t0);
  conditions.set(Condition::EcsSaveFailed, t0 + 1s);
  CHECK(shows(t0 + 1s) == "ERR on (3 s)");
  CHECK_FALSE(next(t0 + 1s));
  CHECK(shows(t0 + 4s) == "ERR on");
  CHECK(lit(t0 + 4s) == "ERR");
}

TEST_CASE_METHOD(Rs4000, "FAULT stays on until the last supervised link is back", "[led]") {
  conditions.set(Condition::Ok, t0);
  conditions.set({Condition::LinkDown, "WAN"}, t0);
  conditions.set({Condition::LinkDown, "LAN1"}, t0 + 1s);
  conditions.set(Condition::PasswordCheck, t0 + 2s);
  CHECK(conditions.holds({Condition::LinkDown, "LAN1"}));
  CHECK_FALSE(conditions.holds({Condition::LinkDown, "LAN2"}));
  CHECK(shows(t0 + 3s) == "STAT heartbeat, FAULT on");
  conditions.clear({Condition::LinkDown, "WAN"});
  conditions.clear(Condition::PasswordCheck);
  CHECK(shows(t0 + 3s) == "STAT heartbeat, FAULT on");
  conditions.clear({Condition::LinkDown, "LAN1"});
  CHECK(shows(t0 + 3s) == "STAT heartbeat");
}

TEST_CASE_METHOD(Rs4000, "the flash procedure shows over everything, and nothing else shows while it runs", "[led]") {
  conditions.set(Condition::Ok, t0);
  conditions.set(Condition::SevereError, t0);
  conditions.set(Condition::ModemDialing, t0);
  conditions.set({Condition::LinkDown, "WAN"}, t0);
  conditions.set(Condition::LicenceMissing, t0);
  conditions.set(Condition::FlashFailed, t0 + 1s);
  CHECK(shows(t0 + 1s) == "ERR on");
  CHECK(lit(t0 + 1s) == "ERR");
  conditions.set(Condition::FlashRunning, t0 + 2s);  // a new attempt: it leaves the failure
  CHECK_FALSE(conditions.holds(Condition::FlashFailed));
  CHECK(shows(t0 + 2s) == "STAT running light, MOD running light, INFO2 running light, FAULT on");
  conditions.clear(Condition::FlashRunning);
  CHECK(shows(t0 + 2s) == "STAT sos, MOD blink 500/500, ERR on, FAULT on");
}

TEST_CASE_METHOD(Rs4000, "a flash procedure just started already hides the running system", "[led]") {
  conditions.set(Condition::Ok, t0);
  conditions.set(Condition::SevereError, t0);
  conditions.set(Condition::ModemConnected, t0);
  conditions.set(Condition::FlashStarted, t0);
  CHECK(shows(t0) == "STAT on, FAULT on");
}

TEST_CASE_METHOD(Rs4000, "conditions of the same rank on one LED go in table order", "[led]") {
  // Both notices light ERR; the ECS rows come before the recovery rows in table 12-3.
  conditions.set(Condition::RecoveryFailed, t0);
  conditions.set(Condition::EcsFull, t0);
  CHECK(shows(t0) == "ERR on (3 s)");
  conditions.clear(Condition::EcsFull);
  CHECK(shows(t0) == "ERR on (2 s)");
}

TEST_CASE_METHOD(Rs4000, "replacing the rescue system blinks ERR over the running light, which keeps running",
                 "[led]") {
  conditions.set(Condition::FlashRunning, t0);
  conditions.set(Condition::FlashReplacingRescue, t0 + 1s);
  CHECK(conditions.holds(Condition::FlashRunning));
  CHECK(shows(t0 + 1s) ==
        "STAT running light, MOD running light, INFO2 running light, ERR blink 50/100 (5 s), FAULT on");
  CHECK(lit(t0 + 1s) == "MOD ERR FAULT");  // 1000 ms in: the middle LED
  CHECK(lit(t0 + 6s) == "INFO2 FAULT");    // 6000 ms = 7.5 cycles: the right LED; ERR done
}

TEST_CASE_METHOD(Rs4000, "a flash failure shows over the rescue warning", "[led]") {
  conditions.set(Condition::FlashReplacingRescue, t0);
  conditions.set(Condition::FlashEraseFailed, t0);
  CHECK(shows(t0) == "ERR on");
  CHECK(lit(t0 + 60ms) == "ERR");
}

TEST_CASE_METHOD(Rs4000, "a failed bootloader replacement shows over booting", "[led]") {
  conditions.set(Condition::Booting, t0);
  conditions.set(Condition::BootloaderReplacementFailed, t0);
  CHECK(shows(t0) == "STAT sos, MOD on (3 s), ERR sos, FAULT on (12 s)");
}

TEST_CASE_METHOD(Rs4000, "the modem is in one state at a time; the newest counts", "[led]") {
  conditions.set(Condition::ModemArmed, t0);
  conditions.set(Condition::ModemDialing, t0 + 1s);
  conditions.set(Condition::ModemConnected, t0 + 2s);
  CHECK_FALSE(conditions.holds(Condition::ModemArmed));
  CHECK_FALSE(conditions.holds(Condition::ModemDialing));
  CHECK(shows(t0 + 2s) == "MOD on");
}

TEST_CASE_METHOD(Rs4000, "a recovery has one result; the newest counts", "[led]") {
  conditions.set(Condition::RecoveryFailed, t0);
  conditions.set(Condition::RecoverySucceeded, t0 + 1s);
  CHECK_FALSE(conditions.holds(Condition::RecoveryFailed));
  CHECK(shows(t0 + 1s) == "STAT on (2 s)");
}

TEST_CASE_METHOD(Rs4000, "asserting a condition that holds keeps its time; clearing and asserting shows a notice again",
                 "[led]") {
  CHECK(conditions.set(Condition::EcsLoadFailed, t0));
  CHECK_FALSE(conditions.set(Condition::EcsLoadFailed, t0 + 2s));
  CHECK(lit(t0 + 3s) == "");
  CHECK(conditions.clear(Condition::EcsLoadFailed));
  CHECK_FALSE(conditions.clear(Condition::EcsLoadFailed));
  CHECK(conditions.set(Condition::EcsLoadFailed, t0 + 10s));
  CHECK(lit(t0 + 12s) == "ERR");
}

// --- the table itself -------------------------------------------------------

TEST_CASE_METHOD(Rs4000, "every condition has a unique name and lights only LEDs of table 12-3's columns", "[led]") {
  FakeClock clock;
  std::set<std::string> names;
  for (std::size_t i = 0; i < kConditionCount; ++i) {
    auto condition = static_cast<Condition>(i);
    StateDefinition d = definition(condition);
    INFO(d.name);
    CHECK(std::regex_match(std::string(d.name), std::regex("[a-z0-9]+(-[a-z0-9]+)*")));
    CHECK(names.insert(std::string(d.name)).second);
    CHECK_FALSE(d.description.empty());
    CHECK_FALSE(d.claims.empty());
    Conditions conditions;
    conditions.set(condition, clock.now);
    for (const LedState& led : display(conditions, kRs4000, clock.now).leds) {
      if (led.led == "P1" || led.led == "P2" || led.led == "INFO1") CHECK(led.pattern == "off");
    }
  }
  CHECK(names.size() == 36);
}
