#include "api/led_feed.hpp"

#include <algorithm>

namespace bulwark::web::api {

namespace {

nlohmann::json listed(const std::vector<LedFeed::Shown>& shown) {
  nlohmann::json list = nlohmann::json::array();
  for (const LedFeed::Shown& s : shown) list.push_back({{"name", s.name}, {"pattern", s.pattern}});
  return list;
}

}  // namespace

void LedFeed::update(std::vector<Shown> leds, std::vector<Shown> outputs, std::optional<std::string> display) {
  current_ = nlohmann::json{{"leds", listed(leds)}, {"outputs", listed(outputs)}};
  if (display) (*current_)["display"] = *display;
  for (const auto& stream : followers_) send(stream);
}

void LedFeed::send(const std::shared_ptr<BodyStream>& stream) const {
  if (current_) stream->write("event: leds\ndata: " + current_->dump() + "\n\n");
}

Response LedFeed::follow() {
  Response r;
  r.contentType = "text/event-stream";
  r.headers.push_back({"cache-control", "no-store"});
  r.streamDeadline = std::chrono::hours(1);
  r.stream = [this](std::shared_ptr<BodyStream> stream) {
    std::weak_ptr<BodyStream> weak = stream;
    stream->onCancel([this, weak] {
      auto gone = weak.lock();
      std::erase_if(followers_, [&](const auto& s) { return s == gone; });
    });
    send(stream);
    followers_.push_back(std::move(stream));
  };
  return r;
}

}  // namespace bulwark::web::api
