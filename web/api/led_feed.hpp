// What the board's LEDs and outputs show, for the WBM: GET /api/v1/leds
// answers the latest state as JSON, GET /api/v1/leds?follow=1 streams it as
// server-sent events (text/event-stream), one "leds" event at once and one
// whenever a pattern changes, until the client goes away or an hour passes
// (a browser's EventSource then connects again). The core hands each change
// of the LED module (led::LedsChanged) to update(); everything happens on the
// loop.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/http.hpp"

namespace bulwark::web::api {

class LedFeed {
 public:
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
  // The response of GET /api/v1/leds?follow=1.
  Response follow();
  std::size_t followers() const { return followers_.size(); }

 private:
  void send(const std::shared_ptr<BodyStream>& stream) const;

  std::optional<nlohmann::json> current_;
  std::vector<std::shared_ptr<BodyStream>> followers_;
};

}  // namespace bulwark::web::api
