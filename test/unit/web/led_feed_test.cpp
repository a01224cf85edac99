// The LED feed of /api/v1/leds?follow=1 with streams of the test's own:
// every follower gets each change, one that went away or whose session
// ended gets no more, and no more than kMaxFollowers are open.
#include "api/led_feed.hpp"

#include <catch2/catch.hpp>

#include "web/recorded_stream.hpp"

using namespace bulwark::web;
using bulwark::web::api::LedFeed;

namespace {

using Stream = bulwark::test::RecordedStream;

void show(LedFeed& feed, const std::string& stat) {
  feed.update({{"STAT", stat}, {"FAULT", "off"}}, {{"ACK1", "off"}}, std::nullopt);
}

}  // namespace

TEST_CASE("each follower gets the state at once and each change; a cancelled or logged-out one no more",
          "[web]") {
  LedFeed feed;
  CHECK_FALSE(feed.current());
  show(feed, "on (12 s)");
  REQUIRE(feed.current());
  CHECK(feed.current()->dump() ==
        R"j({"leds":[{"name":"STAT","pattern":"on (12 s)"},{"name":"FAULT","pattern":"off"}],)j"
        R"j("outputs":[{"name":"ACK1","pattern":"off"}]})j");
  bool sessionLive = true;
  auto a = std::make_shared<Stream>(), b = std::make_shared<Stream>();
  Response ra = feed.follow([] { return true; });
  Response rb = feed.follow([&] { return sessionLive; });
  CHECK(ra.contentType == "text/event-stream");
  REQUIRE(ra.stream);
  ra.stream(a);
  rb.stream(b);
  CHECK(feed.followers() == 2);
  REQUIRE(a->writes.size() == 1);
  CHECK(a->writes[0] == "event: leds\ndata: " + feed.current()->dump() + "\n\n");

  show(feed, "heartbeat");
  CHECK(a->writes.size() == 2);
  CHECK(b->writes.size() == 2);
  CHECK(a->writes[1].find(R"({"name":"STAT","pattern":"heartbeat"})") != std::string::npos);

  // b's session ends: at the next change its stream ends, and it gets nothing.
  sessionLive = false;
  show(feed, "on");
  CHECK(b->ended);
  CHECK(b->writes.size() == 2);
  CHECK(a->writes.size() == 3);
  CHECK(feed.followers() == 1);
  // a goes away.
  a->cancel();
  CHECK(feed.followers() == 0);
  show(feed, "heartbeat");
  CHECK(a->writes.size() == 3);
}

TEST_CASE("no more than kMaxFollowers LED streams are open at once", "[web]") {
  LedFeed feed;
  show(feed, "heartbeat");
  std::vector<std::shared_ptr<Stream>> streams;
  for (std::size_t i = 0; i < LedFeed::kMaxFollowers; ++i) {
    Response r = feed.follow([] { return true; });
    REQUIRE(r.stream);
    streams.push_back(std::make_shared<Stream>());
    r.stream(streams.back());
  }
  Response refused = feed.follow([] { return true; });
  CHECK(refused.status == 503);
  CHECK_FALSE(refused.stream);
  streams.front()->cancel();
  CHECK(feed.follow([] { return true; }).stream);
}
