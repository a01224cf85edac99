// The VICI wire protocol of strongSwan's charon (the vici plugin's README),
// as a pure codec: no sockets, no loop. bulwark speaks it itself because
// Debian ships no libvici header and libvici needs libstrongswan.
//
// A byte stream of frames: a 32-bit big-endian length (at most 512 KiB, the
// plugin's limit), then that many bytes of packet. A packet is a type byte,
// for the named types an 8-bit-length name, and for the types that carry one
// a message. A message is a tree: the implicit root section holds key/value
// pairs (16-bit-length blobs), lists of such values, and named sub-sections.
//
// The decoder reads input from charon, which runs as root but may be another
// program on the socket, so every length is checked against what is left,
// nesting is bounded, and the first violation is the error, named with its
// offset. The encoder refuses what the format cannot carry (a name over 255
// bytes, a value over 65,535, a packet over the limit) instead of truncating.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"

namespace bulwark::ipsec::vici {

enum class PacketType : std::uint8_t {
  CmdRequest = 0,       // named, with a message
  CmdResponse = 1,      // a message
  CmdUnknown = 2,       // nothing: the command is unknown
  EventRegister = 3,    // named
  EventUnregister = 4,  // named
  EventConfirm = 5,     // nothing: (un)registration done
  EventUnknown = 6,     // nothing: no such event
  Event = 7,            // named, with a message
};
std::string_view packetTypeName(PacketType type);
bool isNamed(PacketType type);
bool hasMessage(PacketType type);

// The plugin's limit on a frame's length (the length field excluded).
constexpr std::size_t kMaxPacketSize = 512 * 1024;
constexpr std::size_t kMaxNameSize = 255;
constexpr std::size_t kMaxValueSize = 65535;
// Sections nested deeper than this are refused by the decoder (charon's own
// messages nest four or five levels).
constexpr std::size_t kMaxDepth = 32;

// A section of a message (the root is one too): its entries in order. The
// protocol wants keys unique within a section; lookups return the first.
class Message {
 public:
  struct Entry;
  enum class Kind { Value, List, Section };

  Message();
  Message(const Message&);
  Message(Message&&) noexcept;
  Message& operator=(const Message&);
  Message& operator=(Message&&) noexcept;
  ~Message();

  // Builders, for chaining: Message{}.add("ike", "gw").add("timeout", "1000").
  Message& add(std::string_view key, std::string_view value);
  Message& addList(std::string_view key, std::vector<std::string> items);
  Message& addSection(std::string_view key, Message section);

  const std::vector<Entry>& entries() const { return entries_; }
  bool empty() const { return entries_.empty(); }
  // The first entry of that key and kind, or nullptr.
  const std::string* value(std::string_view key) const;
  const std::vector<std::string>* list(std::string_view key) const;
  const Message* section(std::string_view key) const;
  // The value of `key`, or `fallback` when there is none.
  std::string_view valueOr(std::string_view key, std::string_view fallback) const;

  bool operator==(const Message& other) const;

 private:
  Entry& append(Kind kind, std::string_view key);
  std::vector<Entry> entries_;
};

struct Message::Entry {
  Kind kind = Kind::Value;
  std::string name;
  std::string value;               // Kind::Value
  std::vector<std::string> items;  // Kind::List
  Message section;                 // Kind::Section
  bool operator==(const Entry& other) const;
};

struct Packet {
  PacketType type = PacketType::CmdRequest;
  std::string name;  // the command or event, for the named types
  Message message;   // for the types with a message
  bool operator==(const Packet& other) const = default;
};

// The elements of a message, without any framing.
Result<std::string> encodeMessage(const Message& message);
Result<Message> decodeMessage(std::string_view bytes);

// A whole frame: the length field, then the packet.
Result<std::string> encodeFrame(const Packet& packet);
// The packet of one frame, without its length field.
Result<Packet> decodePacket(std::string_view bytes);
// The length field at the start of a frame (4 bytes): an error when it is 0
// or over kMaxPacketSize.
Result<std::size_t> decodeLength(std::string_view header);

// The message as text in swanctl's --raw style (`{key=value list=[a b]
// sub {...}}`), values with bytes outside printable ASCII escaped; for logs
// and test failures.
std::string toText(const Message& message);

}  // namespace bulwark::ipsec::vici
