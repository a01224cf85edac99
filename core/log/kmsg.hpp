// The kernel's messages in the log (PID 1 only): records of /dev/kmsg read on
// the loop and written with tag "kernel" in the reference's form (4.3.10):
//   kernel: [ 5330.215135] e1000: eth0 NIC Link is Down
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/status.hpp"
#include "log/log.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::log {

// "6,339,5140900,-;NET: Registered" -> "[    5.140900] NET: Registered";
// nullopt for a continuation line or a malformed record.
std::optional<std::string> formatKmsgRecord(std::string_view record);

class KmsgReader {
 public:
  static Result<std::unique_ptr<KmsgReader>> open(boost::asio::io_context& io, Log& log,
                                                  const char* path = "/dev/kmsg");
  ~KmsgReader();

 private:
  struct Impl;
  explicit KmsgReader(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<Impl> impl_;
};

}  // namespace bulwark::log
