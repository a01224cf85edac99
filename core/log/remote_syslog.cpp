#include "log/remote_syslog.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>

namespace bulwark::log {

namespace asio = boost::asio;
using asio::ip::udp;

struct RemoteSyslog::Impl {
  explicit Impl(asio::io_context& io) : socket(io) {}
  udp::socket socket;
  std::vector<udp::endpoint> endpoints;
};

RemoteSyslog::RemoteSyslog(asio::io_context& io) : impl_(std::make_unique<Impl>(io)) {}
RemoteSyslog::~RemoteSyslog() = default;

void RemoteSyslog::setServers(std::vector<SyslogServer> servers) {
  impl_->endpoints.clear();
  for (const SyslogServer& s : servers) {
    boost::system::error_code ec;
    auto address = asio::ip::make_address_v4(s.address, ec);
    if (!ec) impl_->endpoints.emplace_back(address, s.port);
  }
  if (!impl_->endpoints.empty() && !impl_->socket.is_open()) {
    boost::system::error_code ec;
    impl_->socket.open(udp::v4(), ec);
    if (!ec) impl_->socket.non_blocking(true, ec);
  }
}

void RemoteSyslog::write(const Entry& entry) {
  if (impl_->endpoints.empty() || !impl_->socket.is_open()) return;
  std::string datagram = formatRemote(entry);
  for (const udp::endpoint& to : impl_->endpoints) {
    boost::system::error_code ec;
    impl_->socket.send_to(asio::buffer(datagram), to, 0, ec);
    if (!ec) ++sent_;
  }
}

void StreamSink::write(const Entry& entry) {
  std::string line = formatLine(entry) + "\n";
  std::fwrite(line.data(), 1, line.size(), out_);
  std::fflush(out_);
}

}  // namespace bulwark::log
