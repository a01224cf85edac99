#include "net/resolver.hpp"

#include <arpa/inet.h>
#include <ares.h>
#include <netinet/in.h>

#include <algorithm>
#include <map>

#include <fmt/format.h>

#include "runtime/fd_watch.hpp"

namespace bulwark::net {

struct Resolver::Impl {
  boost::asio::io_context& io;
  runtime::Timers& timers;
  ares_channel channel = nullptr;
  std::map<int, std::unique_ptr<runtime::FdWatch>> watches;
  std::vector<int> writable;  // sockets c-ares waits to write on (TCP connects)
  runtime::Timers::Id tick = 0;
  int pending = 0;
  bool haveServers = false;
  bool dying = false;

  Impl(boost::asio::io_context& io, runtime::Timers& timers) : io(io), timers(timers) {}

  ~Impl() {
    dying = true;
    if (tick) timers.cancel(tick);
    watches.clear();
    if (channel) ares_destroy(channel);  // pending callbacks run now, with ARES_EDESTRUCTION
  }

  static void onSocketState(void* data, ares_socket_t fd, int readable, int write) {
    auto* self = static_cast<Impl*>(data);
    if (readable && !self->watches.count(fd)) {
      self->watches[fd] = std::make_unique<runtime::FdWatch>(self->io, fd, [self, fd] {
        ares_process_fd(self->channel, fd, ARES_SOCKET_BAD);
        self->schedule();
      });
    } else if (!readable) {
      self->watches.erase(fd);
    }
    auto it = std::find(self->writable.begin(), self->writable.end(), fd);
    if (write && it == self->writable.end()) self->writable.push_back(fd);
    if (!write && it != self->writable.end()) self->writable.erase(it);
  }

  // Timeouts and writes: c-ares says when it next needs a turn.
  void schedule() {
    if (tick) timers.cancel(tick);
    tick = 0;
    if (pending == 0 || dying) return;
    timeval max{1, 0}, buffer{};
    timeval* next = ares_timeout(channel, &max, &buffer);
    auto ms = std::chrono::milliseconds(next->tv_sec * 1000 + next->tv_usec / 1000);
    if (!writable.empty()) ms = std::min(ms, std::chrono::milliseconds(20));
    tick = timers.after(std::max(ms, std::chrono::milliseconds(1)), [this] {
      tick = 0;
      ares_process_fd(channel, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      for (int fd : std::vector<int>(writable)) ares_process_fd(channel, ARES_SOCKET_BAD, fd);
      schedule();
    });
  }

  struct Query {
    Impl* impl;
    std::string name;
    Done done;
  };

  static void onAnswer(void* arg, int status, int, ares_addrinfo* result) {
    std::unique_ptr<Query> query(static_cast<Query*>(arg));
    --query->impl->pending;
    std::vector<std::string> addresses;
    if (status == ARES_SUCCESS && result) {
      for (ares_addrinfo_node* n = result->nodes; n; n = n->ai_next) {
        if (n->ai_family != AF_INET || !n->ai_addr) continue;
        char text[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(n->ai_addr)->sin_addr, text, sizeof text);
        if (std::find(addresses.begin(), addresses.end(), text) == addresses.end()) addresses.push_back(text);
      }
    }
    if (result) ares_freeaddrinfo(result);
    if (query->impl->dying) return query->done(Error{fmt::format("{}: the resolver stopped", query->name)});
    if (status != ARES_SUCCESS) return query->done(Error{fmt::format("{}: {}", query->name, ares_strerror(status))});
    if (addresses.empty()) return query->done(Error{fmt::format("{}: no IPv4 address", query->name)});
    query->done(std::move(addresses));
  }
};

Result<std::unique_ptr<Resolver>> Resolver::create(boost::asio::io_context& io, runtime::Timers& timers) {
  static const int initialised = ares_library_init(ARES_LIB_INIT_ALL);
  if (initialised != ARES_SUCCESS) return Error{fmt::format("c-ares: {}", ares_strerror(initialised))};
  auto impl = std::make_shared<Impl>(io, timers);
  ares_options options{};
  options.sock_state_cb = &Impl::onSocketState;
  options.sock_state_cb_data = impl.get();
  char lookups[] = "b";  // DNS only, no hosts file
  options.lookups = lookups;
  char nowhere[] = "/dev/null";  // no resolv.conf of the host: servers come from setServers
  options.resolvconf_path = nowhere;
  options.timeout = 2000;
  options.tries = 2;
  int mask = ARES_OPT_SOCK_STATE_CB | ARES_OPT_LOOKUPS | ARES_OPT_RESOLVCONF | ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
  if (int rc = ares_init_options(&impl->channel, &options, mask); rc != ARES_SUCCESS) {
    impl->channel = nullptr;
    return Error{fmt::format("c-ares: {}", ares_strerror(rc))};
  }
  return std::unique_ptr<Resolver>(new Resolver(impl));
}

Resolver::~Resolver() = default;

Status Resolver::setServers(const std::vector<std::string>& servers) {
  std::string csv;
  for (const std::string& s : servers) csv += (csv.empty() ? "" : ",") + s;
  impl_->haveServers = false;
  if (servers.empty()) return {};
  // c-ares refuses new servers (ARES_ENOTIMP) while a query is pending: those
  // end now, with ARES_ECANCELLED, and are asked again by their owners.
  ares_cancel(impl_->channel);
  if (int rc = ares_set_servers_ports_csv(impl_->channel, csv.c_str()); rc != ARES_SUCCESS) {
    return Error{fmt::format("the resolver cannot take the name servers {}: {}", csv, ares_strerror(rc))};
  }
  impl_->haveServers = true;
  return {};
}

void Resolver::resolve(const std::string& name, Done done) {
  in_addr literal{};
  if (inet_pton(AF_INET, name.c_str(), &literal) == 1) return done(std::vector<std::string>{name});
  if (!impl_->haveServers) return done(Error{fmt::format("{}: no name server is known", name)});
  ares_addrinfo_hints hints{};
  hints.ai_family = AF_INET;
  ++impl_->pending;
  auto* query = new Impl::Query{impl_.get(), name, std::move(done)};
  ares_getaddrinfo(impl_->channel, name.c_str(), nullptr, &hints, &Impl::onAnswer, query);
  impl_->schedule();
}

}  // namespace bulwark::net
