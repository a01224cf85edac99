// What the board's LEDs and outputs show, for the WBM: GET /api/v1/leds
// answers the latest state as JSON, GET /api/v1/leds?follow=1 streams it as
// server-sent events (text/event-stream), one "leds" event at once and one
// whenever a pattern changes. A stream ends when the session it was opened
// with is gone (logout, timeout, password change: checked at each change),
// when the client goes away, or after kStreamLifetime (a browser's
// EventSource then connects again, and is authenticated again). At most
// kMaxFollowers streams are open at once, so that they cannot take the
// connections an administrator needs. The core hands each change of the LED
// module (led::LedsChanged) to update(); everything happens on the loop.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/http.hpp"

namespace bulwark::web::api {

class LedFeed {
 public:
  static constexpr std::size_t kMaxFollowers = 8;
  static constexpr std::chrono::minutes kStreamLifetime{10};

  struct Shown {
    std::string name;
    std::string pattern;  // "heartbeat", "blink 500/500", "off"
  };
  // The LEDs and the outputs as they show now, in the board's order, and
  // the 7-segment display's text (none: the board has no display).
  void update(std::vector<Shown> leds, std::vector<Shown> outputs, std::optional<std::string> display);
  // {"leds": [{"name", "pattern"}], "outputs": [...], "display": "51" (with a display)};
  // nullopt before the first update.
  const std::optional<nlohmann::json>& current() const { return current_; }
  // The response of GET /api/v1/leds?follow=1 for a caller whose right to
  // see it `allowed` tells (false once its session is gone); 503 when
  // kMaxFollowers streams are open.
  Response follow(std::function<bool()> allowed);
  std::size_t followers() const { return followers_.size(); }

 private:
  struct Follower {
    std::shared_ptr<BodyStream> stream;
    std::function<bool()> allowed;
  };
  void send(BodyStream& stream) const;

  std::optional<nlohmann::json> current_;
  std::vector<Follower> followers_;
};

}  // namespace bulwark::web::api
