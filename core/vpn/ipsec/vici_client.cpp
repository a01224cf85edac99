#include "vpn/ipsec/vici_client.hpp"

#include <deque>
#include <set>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>

namespace bulwark::ipsec {

namespace asio = boost::asio;
using local = asio::local::stream_protocol;
using vici::Packet;
using vici::PacketType;

namespace {

// One socket and the frame being read from it.
struct Channel {
  explicit Channel(asio::io_context& io) : socket(io) {}
  local::socket socket;
  std::array<char, 4> header{};
  std::string body;
  std::string outgoing;  // the frame being written
  bool up = false;
  runtime::Timers::Id deadline = 0;  // of the answer awaited on this connection
};

enum class Which { Commands, Events };

std::string_view nameOf(Which which) { return which == Which::Commands ? "command" : "event"; }

}  // namespace

struct ViciClient::Impl : std::enable_shared_from_this<ViciClient::Impl> {
  // A queued request. A streamed one first registers its event when the
  // command connection has not yet done so.
  struct Op {
    std::string name;
    vici::Message args;
    std::string streamEvent;
    StreamEvent onEvent;
    Reply reply;
    bool registering = false;  // in flight: the EVENT_REGISTER, not the command
    std::string frame;         // the command, encoded when it was queued
  };

  Impl(asio::io_context& io, runtime::Timers& timers, log::Log& log, Options options, Callbacks callbacks)
      : io(io), timers(timers), log(log), options(std::move(options)), callbacks(std::move(callbacks)),
        commands(io), events(io), delay(this->options.reconnectDelay) {}

  asio::io_context& io;
  runtime::Timers& timers;
  log::Log& log;
  Options options;
  Callbacks callbacks;
  Channel commands, events;
  std::deque<Op> queue;
  bool inFlight = false;  // queue.front() has been sent
  std::set<std::string> streamEvents;  // registered on the command connection
  std::size_t eventsRegistered = 0;    // of options.events, on the event connection
  bool isUp = false;                   // `connected` was told
  bool stopped = false;
  unsigned generation = 0;  // bumped on every disconnect: older handlers are stale
  unsigned failures = 0;    // connection attempts failed in a row
  std::chrono::milliseconds delay;
  runtime::Timers::Id retry = 0;

  Channel& channel(Which which) { return which == Which::Commands ? commands : events; }

  bool current(unsigned gen) const { return !stopped && gen == generation; }

  void connect() {
    retry = 0;
    unsigned gen = generation;
    for (Which which : {Which::Commands, Which::Events}) {
      Channel& ch = channel(which);
      ch.socket = local::socket(io);
      ch.socket.async_connect(local::endpoint(options.socket.string()),
                              [self = shared_from_this(), gen, which](const boost::system::error_code& ec) {
                                if (!self->current(gen)) return;
                                if (ec) return self->fail(fmt::format("cannot connect to {}: {}",
                                                                      self->options.socket.string(), ec.message()));
                                self->opened(which);
                              });
    }
  }

  void opened(Which which) {
    Channel& ch = channel(which);
    ch.up = true;
    read(which);
    if (which == Which::Events) {
      registerNextEvent();
    } else {
      pump();
    }
    checkUp();
  }

  void checkUp() {
    if (isUp || !commands.up || !events.up || eventsRegistered < options.events.size()) return;
    isUp = true;
    failures = 0;
    delay = options.reconnectDelay;
    log.write(options.logTag, fmt::format("connected to charon ({})", options.socket.string()));
    if (callbacks.connected) callbacks.connected();
  }

  void registerNextEvent() {
    if (eventsRegistered >= options.events.size()) return;
    send(Which::Events, {PacketType::EventRegister, options.events[eventsRegistered], {}});
    armDeadline(Which::Events, fmt::format("the registration of the event {}", options.events[eventsRegistered]));
  }

  void read(Which which) {
    Channel& ch = channel(which);
    unsigned gen = generation;
    asio::async_read(ch.socket, asio::buffer(ch.header),
                     [self = shared_from_this(), gen, which](const boost::system::error_code& ec, std::size_t) {
                       if (!self->current(gen)) return;
                       if (ec) return self->fail(self->readError(which, ec));
                       self->readBody(which);
                     });
  }

  void readBody(Which which) {
    Channel& ch = channel(which);
    auto length = vici::decodeLength(std::string_view(ch.header.data(), ch.header.size()));
    if (!length) return fail(length.error());
    ch.body.resize(*length);
    unsigned gen = generation;
    asio::async_read(ch.socket, asio::buffer(ch.body),
                     [self = shared_from_this(), gen, which](const boost::system::error_code& ec, std::size_t) {
                       if (!self->current(gen)) return;
                       if (ec) return self->fail(self->readError(which, ec));
                       auto packet = vici::decodePacket(self->channel(which).body);
                       if (!packet) return self->fail(packet.error());
                       self->dispatch(which, std::move(*packet));
                       if (self->current(gen)) self->read(which);
                     });
  }

  std::string readError(Which which, const boost::system::error_code& ec) {
    if (ec == asio::error::eof) return fmt::format("charon closed the {} connection", nameOf(which));
    return fmt::format("reading from charon's {} connection: {}", nameOf(which), ec.message());
  }

  void send(Which which, const Packet& packet) {
    auto frame = vici::encodeFrame(packet);
    if (!frame) return fail(frame.error());
    write(which, std::move(*frame));
  }

  void write(Which which, std::string frame) {
    Channel& ch = channel(which);
    ch.outgoing = std::move(frame);
    unsigned gen = generation;
    asio::async_write(ch.socket, asio::buffer(ch.outgoing),
                      [self = shared_from_this(), gen, which](const boost::system::error_code& ec, std::size_t) {
                        if (!self->current(gen) || !ec) return;
                        self->fail(fmt::format("writing to charon's {} connection: {}", nameOf(which), ec.message()));
                      });
  }

  void armDeadline(Which which, std::string what) {
    unsigned gen = generation;
    channel(which).deadline =
        timers.after(options.timeout, [weak = weak_from_this(), gen, which, what = std::move(what)] {
          auto self = weak.lock();
          if (!self || !self->current(gen)) return;
          self->channel(which).deadline = 0;
          self->fail(fmt::format("charon did not answer {} within {} ms", what, self->options.timeout.count()),
                     which == Which::Commands);
        });
  }

  void disarmDeadline(Which which) {
    Channel& ch = channel(which);
    if (ch.deadline) timers.cancel(ch.deadline);
    ch.deadline = 0;
  }

  // Sends the next queued request when the command connection is idle.
  void pump() {
    if (!commands.up || inFlight || queue.empty()) return;
    Op& op = queue.front();
    inFlight = true;
    if (!op.streamEvent.empty() && !streamEvents.contains(op.streamEvent)) {
      op.registering = true;
      send(Which::Commands, {PacketType::EventRegister, op.streamEvent, {}});
      armDeadline(Which::Commands, fmt::format("the registration of the event {}", op.streamEvent));
      return;
    }
    op.registering = false;
    write(Which::Commands, std::move(op.frame));
    armDeadline(Which::Commands, fmt::format("'{}'", op.name));
  }

  // Ends the request in flight with `result`.
  void finish(Result<vici::Message> result) {
    disarmDeadline(Which::Commands);
    Op op = std::move(queue.front());
    queue.pop_front();
    inFlight = false;
    unsigned gen = generation;
    if (op.reply) op.reply(std::move(result));
    if (current(gen)) pump();
  }

  void dispatch(Which which, Packet packet) {
    if (which == Which::Events) return dispatchEvent(std::move(packet));
    Op* op = inFlight ? &queue.front() : nullptr;
    switch (packet.type) {
      case PacketType::Event:
        // A streamed event of the request in flight; others are not ours to take.
        if (op && !op->registering && op->streamEvent == packet.name && op->onEvent) op->onEvent(packet.message);
        return;
      case PacketType::EventConfirm:
      case PacketType::EventUnknown:
        if (!op || !op->registering) break;
        disarmDeadline(Which::Commands);
        if (packet.type == PacketType::EventUnknown) {
          return finish(Error{fmt::format("charon has no event {}", op->streamEvent)});
        }
        streamEvents.insert(op->streamEvent);
        inFlight = false;
        return pump();
      case PacketType::CmdResponse:
        if (!op || op->registering) break;
        return finish(std::move(packet.message));
      case PacketType::CmdUnknown:
        if (!op || op->registering) break;
        return finish(Error{fmt::format("charon does not know the command '{}'", op->name)});
      default:
        break;
    }
    fail(fmt::format("charon sent an unexpected {} on the command connection", vici::packetTypeName(packet.type)));
  }

  void dispatchEvent(Packet packet) {
    switch (packet.type) {
      case PacketType::Event:
        if (callbacks.event) callbacks.event(packet.name, packet.message);
        return;
      case PacketType::EventConfirm:
      case PacketType::EventUnknown:
        if (eventsRegistered >= options.events.size()) break;
        disarmDeadline(Which::Events);
        if (packet.type == PacketType::EventUnknown) {
          log.write(options.logTag, fmt::format("charon has no event {}", options.events[eventsRegistered]));
        }
        ++eventsRegistered;
        registerNextEvent();
        return checkUp();
      default:
        break;
    }
    fail(fmt::format("charon sent an unexpected {} on the event connection", vici::packetTypeName(packet.type)));
  }

  // Both connections end; queued requests fail (the one in flight with the
  // bare reason when it is what went wrong); a new attempt is scheduled.
  void fail(const std::string& reason, bool inFlightFailed = false) {
    bool blameFirst = inFlightFailed && inFlight;
    ++generation;
    disarmDeadline(Which::Commands);
    disarmDeadline(Which::Events);
    boost::system::error_code ignored;
    for (Channel* ch : {&commands, &events}) {
      ch->socket.close(ignored);
      ch->up = false;
    }
    streamEvents.clear();
    eventsRegistered = 0;
    inFlight = false;
    bool wasUp = isUp;
    isUp = false;
    if (wasUp) {
      log.write(options.logTag, fmt::format("connection to charon lost: {}", reason));
    } else if (failures++ == 0) {
      log.write(options.logTag, fmt::format("charon not reachable yet: {}", reason));
    }
    std::deque<Op> failed = std::move(queue);
    queue.clear();
    unsigned gen = generation;
    for (Op& op : failed) {
      std::string why = blameFirst ? reason : fmt::format("no connection to charon: {}", reason);
      blameFirst = false;
      if (op.reply) op.reply(Error{why});
      if (!current(gen)) return;
    }
    if (wasUp && callbacks.disconnected) callbacks.disconnected(reason);
    if (!current(gen)) return;
    retry = timers.after(delay, [weak = weak_from_this(), gen] {
      auto self = weak.lock();
      if (self && self->current(gen)) self->connect();
    });
    delay = std::min(delay * 2, options.maxReconnectDelay);
  }

  // `reply` gets `error` later, on the loop, never from inside request().
  void failLater(Reply reply, std::string error) {
    asio::post(io, [weak = weak_from_this(), reply = std::move(reply), error = std::move(error)] {
      if (weak.lock()) reply(Error{error});
    });
  }

  void enqueue(Op op) {
    if (!isUp) return failLater(std::move(op.reply), "not connected to charon");
    // A request that cannot be encoded (a value over VICI's 64 KiB) fails
    // alone; the connection and the requests after it go on.
    auto frame = vici::encodeFrame({PacketType::CmdRequest, op.name, op.args});
    if (!frame) {
      return failLater(std::move(op.reply), fmt::format("'{}' cannot be sent to charon: {}", op.name, frame.error()));
    }
    op.frame = std::move(*frame);
    queue.push_back(std::move(op));
    pump();
  }
};

ViciClient::ViciClient(asio::io_context& io, runtime::Timers& timers, log::Log& log, Options options,
                       Callbacks callbacks)
    : impl_(std::make_shared<Impl>(io, timers, log, std::move(options), std::move(callbacks))) {}

ViciClient::~ViciClient() {
  impl_->stopped = true;
  impl_->disarmDeadline(Which::Commands);
  impl_->disarmDeadline(Which::Events);
  if (impl_->retry) impl_->timers.cancel(impl_->retry);
  boost::system::error_code ignored;
  impl_->commands.socket.close(ignored);
  impl_->events.socket.close(ignored);
}

void ViciClient::start() { impl_->connect(); }

bool ViciClient::connected() const { return impl_->isUp; }

void ViciClient::request(std::string name, vici::Message args, Reply reply) {
  impl_->enqueue({std::move(name), std::move(args), {}, {}, std::move(reply)});
}

void ViciClient::streamRequest(std::string name, vici::Message args, std::string event, StreamEvent onEvent,
                               Reply reply) {
  impl_->enqueue({std::move(name), std::move(args), std::move(event), std::move(onEvent), std::move(reply)});
}

std::string responseError(const vici::Message& response) {
  if (response.valueOr("success", "no") == "yes") return "";
  return std::string(response.valueOr("errmsg", "failed without a reason"));
}

}  // namespace bulwark::ipsec
