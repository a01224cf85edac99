// The patterns of reference table 12-2, edge by edge over several periods,
// on a fake clock: the blinks with the reference's timings, the heartbeat and
// SOS with the timings pattern.hpp documents, the running light across
// three LEDs, and that nothing drifts.
#include <catch2/catch.hpp>

#include <stdexcept>
#include <string>

#include "led_support.hpp"

using namespace bulwark::led;
using namespace bulwark::led::test;

namespace {

// Checks the edges both ways against the expected ones.
void checkEdges(const Pattern& p, TimePoint start, long untilMs, const std::vector<Edge>& expected) {
  CHECK(edgesByNextChange(p, start, untilMs) == expected);
  CHECK(edgesBySampling(p, start, untilMs) == expected);
}

// blink(on, off): its name and its edges over `periods` periods.
void checkBlink(long onMs, long offMs, int periods) {
  FakeClock clock;
  Pattern p = blink(Millis(onMs), Millis(offMs));
  CHECK(p.name == "blink " + std::to_string(onMs) + "/" + std::to_string(offMs));
  checkEdges(p, clock.now, periods * (onMs + offMs), repeated({onMs, offMs}, periods));
}

}  // namespace

TEST_CASE("off stays off and on stays on, with no change ever", "[led]") {
  FakeClock clock;
  TimePoint start = clock.now;
  clock.advance(24h);
  CHECK_FALSE(levelAt(off(), start, clock.now));
  CHECK(levelAt(on(), start, clock.now));
  CHECK_FALSE(nextChange(off(), start, start));
  CHECK_FALSE(nextChange(on(), start, clock.now));
  CHECK(on().name == "on");
  CHECK(off().name == "off");
}

TEST_CASE("on for n seconds is on until exactly n seconds after its start, then off for good", "[led]") {
  FakeClock clock;
  TimePoint start = clock.now;
  Pattern p = lasting(on(), 12s);
  CHECK(p.name == "on (12 s)");
  CHECK(nextChange(p, start, start) == start + 12s);
  CHECK(levelAt(p, start, start + 12s - 1ns));
  CHECK_FALSE(levelAt(p, start, start + 12s));
  CHECK(ended(p, start, start + 12s));
  CHECK_FALSE(ended(p, start, start + 12s - 1ns));
  CHECK_FALSE(nextChange(p, start, start + 12s));
  checkEdges(p, start, 20000, {{0, true}, {12000, false}});
}

TEST_CASE("a heartbeat is two 70 ms beats 315 ms apart, every 1260 ms", "[led]") {
  FakeClock clock;
  CHECK(heartbeat().name == "heartbeat");
  checkEdges(heartbeat(), clock.now, 3 * 1260, repeated({70, 245, 70, 875}, 3));
}

TEST_CASE("blink 50/1500 is 50 ms on, 1500 ms off", "[led]") { checkBlink(50, 1500, 4); }

TEST_CASE("blink 50/800 is 50 ms on, 800 ms off", "[led]") { checkBlink(50, 800, 4); }

TEST_CASE("blink 50/100 is 50 ms on, 100 ms off", "[led]") { checkBlink(50, 100, 10); }

TEST_CASE("blink 500/500 is 500 ms on, 500 ms off", "[led]") { checkBlink(500, 500, 4); }

TEST_CASE("blink 50/100 for 5 s ends off after its last flash", "[led]") {
  FakeClock clock;
  Pattern p = lasting(blink(50ms, 100ms), 5s);
  CHECK(p.name == "blink 50/100 (5 s)");
  // 34 flashes, the last from 4950 to 5000, then nothing up to 8 s.
  checkEdges(p, clock.now, 8000, repeated({50, 100}, 34));
}

TEST_CASE("a pattern that ends just as it would light up announces no change", "[led]") {
  FakeClock clock;
  TimePoint start = clock.now;
  Pattern p = lasting(blink(50ms, 100ms), 150ms);
  CHECK(nextChange(p, start, start) == start + 50ms);
  CHECK_FALSE(nextChange(p, start, start + 50ms));
  checkEdges(p, start, 1000, {{0, true}, {50, false}});
}

TEST_CASE("Morse SOS is three dots, three dashes, three dots and a word gap, in 200 ms units", "[led]") {
  FakeClock clock;
  CHECK(sos().name == "sos");
  // dot 200, dash 600, gap in a letter 200, between letters 600, between words 1400: 6800 ms.
  std::vector<long> sosCycle = {200, 200, 200, 200, 200, 600,    // S and the letter gap
                                600, 200, 600, 200, 600, 600,    // O and the letter gap
                                200, 200, 200, 200, 200, 1400};  // S and the word gap
  checkEdges(sos(), clock.now, 3 * 6800, repeated(sosCycle, 3));
}

TEST_CASE("Morse code is built from dots, dashes and letter gaps", "[led]") {
  FakeClock clock;
  // "A" = .- : on 1, off 1, on 3, then the word gap of 7.
  checkEdges(morse("a", ".-", 100ms), clock.now, 2 * 1200, repeated({100, 100, 300, 700}, 2));
  CHECK_THROWS_AS(morse("x", ".x", 100ms), std::logic_error);
}

TEST_CASE("the running light runs left to right and back across three LEDs, 200 ms each", "[led]") {
  FakeClock clock;
  TimePoint start = clock.now;
  CHECK(runningLight(1).name == "running light");
  // Lit in turn: left, middle, right, middle, left, ...
  checkEdges(runningLight(0), start, 3 * 800, repeated({200, 600}, 3));
  checkEdges(runningLight(1), start, 3 * 800,
             {{0, false}, {200, true}, {400, false}, {600, true}, {800, false}, {1000, true}, {1200, false},
              {1400, true}, {1600, false}, {1800, true}, {2000, false}, {2200, true}});
  checkEdges(runningLight(2), start, 3 * 800,
             {{0, false}, {400, true}, {600, false}, {1200, true}, {1400, false}, {2000, true}, {2200, false}});
  CHECK_THROWS_AS(runningLight(3), std::logic_error);
}

TEST_CASE("the three LEDs of the running light sharing a start are never lit together", "[led]") {
  FakeClock clock;
  TimePoint start = clock.now;
  const std::vector<int> order = {0, 1, 2, 1};
  for (long ms = 0; ms < 10 * 800; ms += 7) {
    TimePoint t = start + Millis(ms);
    std::vector<int> lit;
    for (unsigned led = 0; led < 3; ++led) {
      if (levelAt(runningLight(led), start, t)) lit.push_back(static_cast<int>(led));
    }
    INFO("at " << ms << " ms");
    REQUIRE(lit.size() == 1);
    CHECK(lit.front() == order[static_cast<std::size_t>(ms / 200 % 4)]);
  }
}

TEST_CASE("a pattern keeps its phase however late the timer fires", "[led]") {
  FakeClock clock;
  TimePoint start = clock.now;
  Pattern p = heartbeat();
  // Drive it as the core will: wake at the announced change, but 13 ms late each time.
  std::vector<long> changes;
  TimePoint t = start;
  for (int i = 0; i < 4 * 10; ++i) {
    auto next = nextChange(p, start, t);
    REQUIRE(next);
    changes.push_back(msSince(start, *next));
    t = *next + 13ms;
  }
  std::vector<long> grid;
  for (int period = 0; period < 10; ++period) {
    for (long at : {70, 315, 385, 1260}) grid.push_back(period * 1260 + at);
  }
  CHECK(changes == grid);
}

TEST_CASE("after a day a heartbeat is exactly where its start puts it", "[led]") {
  FakeClock clock;
  TimePoint start = clock.now;
  // 68571 periods of 1260 ms = 86399.46 s.
  TimePoint periodStart = start + 68571 * 1260ms;
  CHECK(levelAt(heartbeat(), start, periodStart));
  CHECK(levelAt(heartbeat(), start, periodStart + 69ms));
  CHECK_FALSE(levelAt(heartbeat(), start, periodStart + 70ms));
  CHECK(levelAt(heartbeat(), start, periodStart + 315ms));
  CHECK(nextChange(heartbeat(), start, periodStart + 100ms) == periodStart + 315ms);
}

TEST_CASE("before its start a pattern shows what it shows at its start", "[led]") {
  FakeClock clock;
  TimePoint start = clock.now + 1s;
  CHECK(levelAt(runningLight(0), start, clock.now));
  CHECK_FALSE(levelAt(runningLight(2), start, clock.now));
  CHECK(nextChange(runningLight(0), start, clock.now) == start + 200ms);
}

TEST_CASE("a blink of no length is refused", "[led]") {
  CHECK_THROWS_AS(blink(0ms, 100ms), std::logic_error);
  Pattern broken{.name = "broken", .cycle = {{true, 50ms}, {false, 0ms}}};
  FakeClock clock;
  CHECK_THROWS_AS(levelAt(broken, clock.now, clock.now), std::logic_error);
}
