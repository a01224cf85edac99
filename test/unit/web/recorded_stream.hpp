// A streamed response body as the tests see it: each write kept, end() and
// the cancel callback recorded.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "server/http.hpp"

namespace bulwark::test {

class RecordedStream final : public web::BodyStream {
 public:
  void write(std::string text) override { writes.push_back(std::move(text)); }
  void end() override { ended = true; }
  void onCancel(std::function<void()> c) override { cancel = std::move(c); }
  std::vector<std::string> writes;
  bool ended = false;
  std::function<void()> cancel;
};

}  // namespace bulwark::test
