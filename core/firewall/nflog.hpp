// The firewall's log: packets of the rules with logging come from the
// kernel over NFLOG (group 1, the compiler's kLogGroup) and are written as
// "firewall: <prefix> IN=… OUT=… MAC=… SRC=…" lines (log_format.hpp), on
// the loop. The socket is the bounded queue: what overflows it is lost in
// the kernel, counted by the gaps of NFLOG's sequence numbers, and said in
// one line a second at most ("firewall: 120 packet log lines were lost").
#pragma once

#include <cstdint>
#include <memory>

#include "common/status.hpp"
#include "firewall/log_format.hpp"
#include "log/log.hpp"

namespace boost::asio {
class io_context;
}

namespace bulwark::firewall {

class NflogReader {
 public:
  static Result<std::unique_ptr<NflogReader>> open(boost::asio::io_context& io, log::Log& log, std::uint16_t group);
  ~NflogReader();
  std::uint64_t logged() const;  // lines written
  std::uint64_t lost() const;    // packets the kernel could not queue
  // The IPsec tunnels the lines of fw-vpn-in|out name (tunnelFields).
  void setTunnels(std::vector<VpnTunnel> tunnels);

 private:
  struct Impl;
  explicit NflogReader(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace bulwark::firewall
