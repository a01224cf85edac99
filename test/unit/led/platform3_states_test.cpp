// The system states of reference table 12-3 on the LEDs of platform 3 (FL
// MGUARD 4305, 2102: PF1-PF5 and FAIL, 2.18.3.2), one test per row of the
// table (and PASSWORD_CHECK), then several conditions at once against the
// priority order of states.hpp, where FAIL shows both the ERR and the FAULT
// column.
#include <catch2/catch.hpp>

#include <string>

#include "led/states.hpp"
#include "led_support.hpp"

using namespace bulwark::led;
using namespace bulwark::led::test;

namespace {

struct Platform3 : LedsOf {
  Platform3() : LedsOf(kPlatform3) {}
};

}  // namespace

// --- table 12-3, row by row -------------------------------------------------

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: the system status is OK: PF1 heartbeat (ready)", "[led]") {
  conditions.set(Condition::Ok, t0);
  CHECK(shows(t0) == "PF1 heartbeat");
  CHECK(lit(t0) == "PF1");
  CHECK(lit(t0 + 100ms) == "");
  CHECK(lit(t0 + 320ms) == "PF1");
  CHECK(next(t0) == t0 + 70ms);
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: a severe error has happened: FAIL ON", "[led]") {
  checkSteady(Condition::SevereError, "FAIL");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: the system is booting: PF1, FAIL ON (12 s), PF2 ON (3 s)",
                 "[led]") {
  conditions.set(Condition::Booting, t0);
  CHECK(shows(t0) == "PF1 on (12 s), PF2 on (3 s), FAIL on (12 s)");
  CHECK(lit(t0) == "PF1 PF2 FAIL");
  CHECK(next(t0) == t0 + 3s);
  CHECK(lit(t0 + 3s) == "PF1 FAIL");
  CHECK(next(t0 + 3s) == t0 + 12s);
  CHECK(lit(t0 + 12s) == "");
  CHECK_FALSE(next(t0 + 12s));
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: the licence is missing: PF1 Morse SOS", "[led]") {
  conditions.set(Condition::LicenceMissing, t0);
  CHECK(shows(t0) == "PF1 sos");
  CHECK(lit(t0 + 1000ms) == "");
  CHECK(lit(t0 + 1600ms) == "PF1");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: bootloader replacement failed: PF1 and FAIL Morse SOS, in phase",
                 "[led]") {
  conditions.set(Condition::BootloaderReplacementFailed, t0);
  CHECK(shows(t0) == "PF1 sos, FAIL sos");
  CHECK(lit(t0 + 1700ms) == "PF1 FAIL");
  CHECK(lit(t0 + 2300ms) == "");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: a power failure was detected: FAIL ON", "[led]") {
  checkSteady(Condition::PowerFailure, "FAIL");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: no connectivity on the WAN (XF1) interface: FAIL ON", "[led]") {
  checkSteady({Condition::LinkDown, "XF1"}, "FAIL");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: no connectivity on the LAN interface: FAIL ON", "[led]") {
  checkSteady({Condition::LinkDown, "XF2"}, "FAIL");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: no connectivity on a LAN 1-4 interface: FAIL ON", "[led]") {
  for (const char* lan : {"XF2", "XF3", "XF4"}) {
    INFO(lan);
    checkSteady({Condition::LinkDown, lan}, "FAIL");
  }
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: no connectivity on the DMZ (XF5) interface: FAIL ON", "[led]") {
  checkSteady({Condition::LinkDown, "XF5"}, "FAIL");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: power supply 1 or 2 failed: FAIL ON", "[led]") {
  checkSteady({Condition::PowerSupplyFailed, "1"}, "FAIL");
  checkSteady({Condition::PowerSupplyFailed, "2"}, "FAIL");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: temperature too high or low: FAIL ON", "[led]") {
  checkSteady(Condition::Temperature, "FAIL");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: the redundancy connectivity check failed: FAIL ON", "[led]") {
  checkSteady(Condition::RedundancyCheckFailed, "FAIL");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: the modem connectivity check failed: FAIL ON", "[led]") {
  checkSteady(Condition::ModemCheckFailed, "FAIL");
}

TEST_CASE_METHOD(Platform3, "platform 3, PASSWORD_CHECK: passwords not configured: the FAIL LED (3.6.2)", "[led]") {
  checkSteady(Condition::PasswordCheck, "FAIL");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: ECS incompatible: FAIL ON (3 s)", "[led]") {
  checkOnFor(Condition::EcsIncompatible, "FAIL", 3s);
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: ECS capacity exhausted: FAIL ON (3 s)", "[led]") {
  checkOnFor(Condition::EcsFull, "FAIL", 3s);
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: the ECS's root password does not match: FAIL ON (3 s)", "[led]") {
  checkOnFor(Condition::EcsRootPasswordMismatch, "FAIL", 3s);
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: loading the configuration from the ECS failed: FAIL ON (3 s)",
                 "[led]") {
  checkOnFor(Condition::EcsLoadFailed, "FAIL", 3s);
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: saving the configuration to the ECS failed: FAIL ON (3 s)",
                 "[led]") {
  checkOnFor(Condition::EcsSaveFailed, "FAIL", 3s);
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: the internal modem got a connect: PF2 ON", "[led]") {
  checkSteady(Condition::ModemConnected, "PF2");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: the internal modem is armed: PF2 blink 50/1500", "[led]") {
  conditions.set(Condition::ModemArmed, t0);
  CHECK(shows(t0) == "PF2 blink 50/1500");
  CHECK(lit(t0 + 50ms) == "");
  CHECK(lit(t0 + 1550ms) == "PF2");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: the internal modem is dialing: PF2 blink 500/500", "[led]") {
  conditions.set(Condition::ModemDialing, t0);
  CHECK(shows(t0) == "PF2 blink 500/500");
  CHECK(lit(t0 + 500ms) == "");
  CHECK(lit(t0 + 1000ms) == "PF2");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: the recovery procedure failed: FAIL ON (2 s)", "[led]") {
  checkOnFor(Condition::RecoveryFailed, "FAIL", 2s);
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: the recovery procedure succeeded: PF1 ON (2 s)", "[led]") {
  checkOnFor(Condition::RecoverySucceeded, "PF1", 2s);
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: the flash procedure has been started: PF1-PF5 ON, FAIL off",
                 "[led]") {
  conditions.set(Condition::FlashStarted, t0);
  CHECK(shows(t0) == "PF1 on, PF2 on, PF3 on, PF4 on, PF5 on");
  CHECK(lit(t0 + 1h) == "PF1 PF2 PF3 PF4 PF5");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: the flash procedure is executed: running light on PF1-PF3; FAIL ON",
                 "[led]") {
  conditions.set(Condition::FlashRunning, t0);
  CHECK(shows(t0) == "PF1 running light, PF2 running light, PF3 running light, FAIL on");
  std::vector<std::string> seen;
  for (long ms = 100; ms < 1000; ms += 200) seen.push_back(lit(t0 + Millis(ms)));
  CHECK(seen == std::vector<std::string>{"PF1 FAIL", "PF2 FAIL", "PF3 FAIL", "PF2 FAIL", "PF1 FAIL"});
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: the flash procedure succeeded: PF1-PF3 blink 50/800; FAIL ON",
                 "[led]") {
  conditions.set(Condition::FlashSucceeded, t0);
  CHECK(shows(t0) == "PF1 blink 50/800, PF2 blink 50/800, PF3 blink 50/800, FAIL on");
  CHECK(lit(t0) == "PF1 PF2 PF3 FAIL");
  CHECK(lit(t0 + 50ms) == "FAIL");
  CHECK(lit(t0 + 850ms) == "PF1 PF2 PF3 FAIL");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: the flash/production procedure failed: PF1 and FAIL ON", "[led]") {
  conditions.set(Condition::FlashProductionFailed, t0);
  CHECK(shows(t0) == "PF1 on, FAIL on");
  CHECK(lit(t0 + 1h) == "PF1 FAIL");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: replacing the rescue system: FAIL blink 50/100 for 5 s", "[led]") {
  conditions.set(Condition::FlashReplacingRescue, t0);
  CHECK(shows(t0) == "FAIL blink 50/100 (5 s)");
  CHECK(lit(t0 + 50ms) == "");
  CHECK(lit(t0 + 150ms) == "FAIL");
  CHECK(shows(t0 + 5s) == "");
}

TEST_CASE_METHOD(Platform3, "platform 3, table 12-3: each failure of the flash procedure: FAIL ON", "[led]") {
  for (Condition c : {Condition::FlashDhcpFailed, Condition::FlashMountFailed, Condition::FlashFailed,
                      Condition::FlashEraseFailed, Condition::FlashImageLoadFailed,
                      Condition::FlashImageSignatureInvalid, Condition::FlashScriptLoadFailed,
                      Condition::FlashScriptSignatureInvalid, Condition::FlashRolloutFailed}) {
    INFO(definition(c).name);
    checkSteady(c, "FAIL");
  }
}

// --- several conditions at once --------------------------------------------

TEST_CASE_METHOD(Platform3, "platform 3: booting shows over the heartbeat for its 12 s", "[led]") {
  conditions.set(Condition::Booting, t0);
  conditions.set(Condition::Ok, t0 + 5s);
  CHECK(shows(t0 + 6s) == "PF1 on (12 s), FAIL on (12 s)");
  CHECK(shows(t0 + 12s) == "PF1 heartbeat");
}

TEST_CASE_METHOD(Platform3, "platform 3: a severe error and the heartbeat show together on FAIL and PF1", "[led]") {
  conditions.set(Condition::Ok, t0);
  conditions.set(Condition::SevereError, t0);
  CHECK(shows(t0) == "PF1 heartbeat, FAIL on");
  CHECK(lit(t0 + 100ms) == "FAIL");
}

TEST_CASE_METHOD(Platform3, "platform 3: FAIL stays on while an alarm or a severe error holds", "[led]") {
  conditions.set({Condition::LinkDown, "XF1"}, t0);
  conditions.set(Condition::SevereError, t0);
  conditions.set(Condition::PasswordCheck, t0);
  conditions.clear(Condition::SevereError);
  CHECK(shows(t0) == "FAIL on");
  conditions.clear({Condition::LinkDown, "XF1"});
  CHECK(shows(t0) == "FAIL on");
  conditions.clear(Condition::PasswordCheck);
  CHECK(shows(t0) == "");
}

TEST_CASE_METHOD(Platform3, "platform 3: an ECS error shows its 3 s on FAIL over an alarm, which then shows again",
                 "[led]") {
  conditions.set(Condition::PasswordCheck, t0);
  conditions.set(Condition::EcsLoadFailed, t0 + 1s);
  CHECK(shows(t0 + 1s) == "FAIL on (3 s)");
  CHECK(shows(t0 + 4s) == "FAIL on");
  CHECK(lit(t0 + 4s) == "FAIL");
}

TEST_CASE_METHOD(Platform3, "platform 3: booting's FAIL (12 s) gives way to a missing licence's SOS on PF1 only",
                 "[led]") {
  conditions.set(Condition::Booting, t0);
  conditions.set(Condition::LicenceMissing, t0);
  CHECK(shows(t0 + 4s) == "PF1 on (12 s), FAIL on (12 s)");
  CHECK(shows(t0 + 12s) == "PF1 sos");
}

TEST_CASE_METHOD(Platform3, "platform 3: the flash procedure's start hides the running system and its alarms",
                 "[led]") {
  conditions.set(Condition::Ok, t0);
  conditions.set(Condition::SevereError, t0);
  conditions.set({Condition::LinkDown, "XF1"}, t0);
  conditions.set(Condition::ModemConnected, t0);
  conditions.set(Condition::FlashStarted, t0);
  CHECK(shows(t0) == "PF1 on, PF2 on, PF3 on, PF4 on, PF5 on");
  CHECK(lit(t0) == "PF1 PF2 PF3 PF4 PF5");
}

TEST_CASE_METHOD(Platform3, "platform 3: the flash procedure goes from start to running light to success, one at a time",
                 "[led]") {
  conditions.set(Condition::FlashStarted, t0);
  conditions.set(Condition::FlashRunning, t0 + 20s);
  CHECK_FALSE(conditions.holds(Condition::FlashStarted));
  CHECK(lit(t0 + 20s + 100ms) == "PF1 FAIL");
  conditions.set(Condition::FlashSucceeded, t0 + 80s);
  CHECK(shows(t0 + 80s) == "PF1 blink 50/800, PF2 blink 50/800, PF3 blink 50/800, FAIL on");
}

TEST_CASE_METHOD(Platform3, "platform 3: a flash failure's FAIL ON shows over the rescue warning's blink", "[led]") {
  conditions.set(Condition::FlashReplacingRescue, t0);
  conditions.set(Condition::FlashEraseFailed, t0);
  CHECK(shows(t0) == "FAIL on");
  CHECK(lit(t0 + 60ms) == "FAIL");
}

TEST_CASE_METHOD(Platform3, "platform 3: the rescue warning blinks FAIL over the running light's FAIL ON", "[led]") {
  conditions.set(Condition::FlashRunning, t0);
  conditions.set(Condition::FlashReplacingRescue, t0);
  CHECK(shows(t0) == "PF1 running light, PF2 running light, PF3 running light, FAIL blink 50/100 (5 s)");
  CHECK(lit(t0 + 60ms) == "PF1");
  CHECK(shows(t0 + 5s) == "PF1 running light, PF2 running light, PF3 running light, FAIL on");
}

TEST_CASE("every condition lights only PF1-PF5 and FAIL of the platform-3 set, PF4 and PF5 only at the flash start",
          "[led]") {
  FakeClock clock;
  for (std::size_t i = 0; i < kConditionCount; ++i) {
    auto condition = static_cast<Condition>(i);
    INFO(definition(condition).name);
    Conditions conditions;
    conditions.set(condition, clock.now);
    Frame frame = display(conditions, kPlatform3, clock.now);
    REQUIRE(frame.leds.size() == 6);
    bool anyShown = false;
    for (const LedState& led : frame.leds) {
      if (led.led == "PF4" || led.led == "PF5") CHECK((led.pattern == "off") == (condition != Condition::FlashStarted));
      anyShown = anyShown || led.pattern != "off";
    }
    CHECK(anyShown);
  }
}
