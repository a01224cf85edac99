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
  // Those no longer allowed are ended (end() never cancels: they are removed here).
  std::vector<Follower> ended;
  std::erase_if(followers_, [&](Follower& f) {
    if (f.allowed()) return false;
    ended.push_back(std::move(f));
    return true;
  });
  for (Follower& f : ended) f.stream->end();
  for (const Follower& f : followers_) send(*f.stream);
}

void LedFeed::send(BodyStream& stream) const {
  if (current_) stream.write("event: leds\ndata: " + current_->dump() + "\n\n");
}

Response LedFeed::follow(std::function<bool()> allowed) {
  // Counted once streaming: a burst of requests at once may open a few more.
  if (followers_.size() >= kMaxFollowers) {
    Response r = Response::text(503, "Too many LED streams are open; try again later.\n");
    r.headers.push_back({"retry-after", "30"});
    return r;
  }
  Response r;
  r.contentType = "text/event-stream";
  r.headers.push_back({"cache-control", "no-store"});
  r.streamDeadline = std::chrono::duration_cast<std::chrono::seconds>(kStreamLifetime);
  r.stream = [this, allowed = std::move(allowed)](std::shared_ptr<BodyStream> stream) mutable {
    BodyStream* raw = stream.get();
    stream->onCancel([this, raw] {
      std::erase_if(followers_, [raw](const Follower& f) { return f.stream.get() == raw; });
    });
    send(*stream);
    followers_.push_back({std::move(stream), std::move(allowed)});
  };
  return r;
}

}  // namespace bulwark::web::api
