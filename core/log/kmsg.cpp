#include "log/kmsg.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>

#include <fmt/format.h>

#include "runtime/fd_watch.hpp"

namespace bulwark::log {

std::optional<std::string> formatKmsgRecord(std::string_view record) {
  auto semi = record.find(';');
  if (semi == std::string_view::npos || record.empty() || record[0] == ' ') return std::nullopt;
  std::string_view head = record.substr(0, semi);
  std::string_view message = record.substr(semi + 1);
  // The record ends with a newline; key=value lines may follow it.
  message = message.substr(0, message.find('\n'));
  // head: priority,sequence,microseconds,flags[,...]
  auto c1 = head.find(',');
  auto c2 = c1 == std::string_view::npos ? c1 : head.find(',', c1 + 1);
  auto c3 = c2 == std::string_view::npos ? c2 : head.find(',', c2 + 1);
  if (c2 == std::string_view::npos) return std::nullopt;
  std::string_view micros = head.substr(c2 + 1, c3 == std::string_view::npos ? std::string_view::npos : c3 - c2 - 1);
  std::uint64_t us = 0;
  auto [end, ec] = std::from_chars(micros.data(), micros.data() + micros.size(), us);
  if (ec != std::errc() || end != micros.data() + micros.size()) return std::nullopt;
  std::string text;
  for (char c : message) text += (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) ? ' ' : c;
  return fmt::format("[{:5}.{:06}] {}", us / 1000000, us % 1000000, text);
}

struct KmsgReader::Impl {
  int fd;
  Log& log;
  char buffer[8192];
  std::unique_ptr<runtime::FdWatch> watch;

  Impl(int fd, Log& log) : fd(fd), log(log) {}
  ~Impl() {
    watch.reset();
    ::close(fd);
  }

  void readAll() {
    for (int i = 0; i < 256; ++i) {  // a bounded batch; the rest on the next turn
      ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EPIPE) {
        log.write("kernel", "(kernel messages were overwritten before they could be read)");
        continue;
      }
      if (n <= 0) return;
      if (auto line = formatKmsgRecord({buffer, static_cast<std::size_t>(n)})) log.write("kernel", *line);
    }
  }
};

Result<std::unique_ptr<KmsgReader>> KmsgReader::open(boost::asio::io_context& io, Log& log, const char* path) {
  int fd = ::open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return Error{fmt::format("{}: {}", path, std::strerror(errno))};
  auto impl = std::make_shared<Impl>(fd, log);
  impl->readAll();
  impl->watch = std::make_unique<runtime::FdWatch>(io, fd, [raw = impl.get()] { raw->readAll(); });
  return std::unique_ptr<KmsgReader>(new KmsgReader(impl));
}

KmsgReader::~KmsgReader() = default;

}  // namespace bulwark::log
