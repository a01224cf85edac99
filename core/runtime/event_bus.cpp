#include "runtime/event_bus.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

namespace bulwark::runtime {

void EventBus::post(std::type_index type, std::shared_ptr<const void> event) {
  boost::asio::post(io_, [this, type, event = std::move(event)] {
    auto it = handlers_.find(type);
    if (it == handlers_.end()) return;
    for (auto& handler : it->second) handler(event.get());
  });
}

}  // namespace bulwark::runtime
