// Typed events between modules, delivered on the loop. A publisher does not
// know its listeners; the LED module, for example, only listens.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <typeindex>
#include <vector>

namespace boost::asio {
class io_context;
}

namespace bulwark::runtime {

class EventBus {
 public:
  explicit EventBus(boost::asio::io_context& io) : io_(io) {}

  template <typename Event>
  void subscribe(std::function<void(const Event&)> handler) {
    handlers_[std::type_index(typeid(Event))].push_back(
        [h = std::move(handler)](const void* e) { h(*static_cast<const Event*>(e)); });
  }

  // Delivered later, on the loop, in subscription order.
  template <typename Event>
  void publish(Event event) {
    post(std::type_index(typeid(Event)), std::make_shared<const Event>(std::move(event)));
  }

 private:
  void post(std::type_index type, std::shared_ptr<const void> event);

  boost::asio::io_context& io_;
  std::map<std::type_index, std::vector<std::function<void(const void*)>>> handlers_;
};

// Events of the foundation.
struct ConfigApplied {
  std::uint64_t generation;
};

}  // namespace bulwark::runtime
