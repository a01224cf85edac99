// Remote syslog: every log entry is sent over UDP to the configured servers,
// time-stamped in UTC (reference 4.4.3) and formatted as in 4.3.13.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "log/log.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::log {

struct SyslogServer {
  std::string address;  // IPv4, as validated by the schema
  std::uint16_t port = 514;
};

class RemoteSyslog final : public Sink {
 public:
  explicit RemoteSyslog(boost::asio::io_context& io);
  ~RemoteSyslog() override;

  void setServers(std::vector<SyslogServer> servers);
  // On the loop. A datagram the socket cannot take right now is dropped,
  // never waited for.
  void write(const Entry& entry) override;
  std::size_t sent() const { return sent_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::size_t sent_ = 0;
};

// Prints each entry as a log line to a stream (the console of `bulwark init`).
class StreamSink final : public Sink {
 public:
  explicit StreamSink(std::FILE* out) : out_(out) {}
  void write(const Entry& entry) override;

 private:
  std::FILE* out_;
};

}  // namespace bulwark::log
