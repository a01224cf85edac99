#include "vpn/ipsec/vici.hpp"

#include <fmt/format.h>

namespace bulwark::ipsec::vici {

namespace {

enum Element : std::uint8_t {
  kSectionStart = 1,
  kSectionEnd = 2,
  kKeyValue = 3,
  kListStart = 4,
  kListItem = 5,
  kListEnd = 6,
};

std::string_view elementName(std::uint8_t element) {
  switch (element) {
    case kSectionStart: return "SECTION_START";
    case kSectionEnd: return "SECTION_END";
    case kKeyValue: return "KEY_VALUE";
    case kListStart: return "LIST_START";
    case kListItem: return "LIST_ITEM";
    case kListEnd: return "LIST_END";
  }
  return "?";
}

// --- encoding ---

class Writer {
 public:
  Status name(std::string_view name) {
    if (name.size() > kMaxNameSize) {
      return Error{fmt::format("VICI: the name '{:.40}...' has {} bytes, more than {}", name, name.size(),
                               kMaxNameSize)};
    }
    out_.push_back(static_cast<char>(name.size()));
    out_.append(name);
    return {};
  }
  Status value(std::string_view key, std::string_view value) {
    if (value.size() > kMaxValueSize) {
      return Error{fmt::format("VICI: the value of '{}' has {} bytes, more than {}", key, value.size(),
                               kMaxValueSize)};
    }
    out_.push_back(static_cast<char>(value.size() >> 8));
    out_.push_back(static_cast<char>(value.size() & 0xff));
    out_.append(value);
    return {};
  }
  void byte(std::uint8_t b) { out_.push_back(static_cast<char>(b)); }
  std::string& text() { return out_; }

  Status message(const Message& message) {
    for (const Message::Entry& e : message.entries()) {
      Status s;
      switch (e.kind) {
        case Message::Kind::Value:
          byte(kKeyValue);
          if (!(s = name(e.name))) return s;
          if (!(s = value(e.name, e.value))) return s;
          break;
        case Message::Kind::List:
          byte(kListStart);
          if (!(s = name(e.name))) return s;
          for (const std::string& item : e.items) {
            byte(kListItem);
            if (!(s = value(e.name, item))) return s;
          }
          byte(kListEnd);
          break;
        case Message::Kind::Section:
          byte(kSectionStart);
          if (!(s = name(e.name))) return s;
          if (!(s = this->message(e.section))) return s;
          byte(kSectionEnd);
          break;
      }
    }
    return {};
  }

 private:
  std::string out_;
};

// --- decoding ---

class Reader {
 public:
  explicit Reader(std::string_view bytes) : in_(bytes) {}
  bool atEnd() const { return pos_ == in_.size(); }
  std::size_t offset() const { return pos_; }

  Result<std::uint8_t> byte(std::string_view what) {
    if (atEnd()) return Error{fmt::format("VICI: truncated at offset {}: {} missing", pos_, what)};
    return static_cast<std::uint8_t>(in_[pos_++]);
  }
  Result<std::string_view> bytes(std::size_t n, std::string_view what) {
    if (in_.size() - pos_ < n) {
      return Error{fmt::format("VICI: truncated at offset {}: {} needs {} bytes, {} left", pos_, what, n,
                               in_.size() - pos_)};
    }
    std::string_view out = in_.substr(pos_, n);
    pos_ += n;
    return out;
  }
  Result<std::string_view> name(std::string_view what) {
    auto length = byte(fmt::format("the length of the name of {}", what));
    if (!length) return Error{length.error()};
    return bytes(*length, fmt::format("the name of {}", what));
  }
  Result<std::string_view> value(std::string_view what) {
    auto length = bytes(2, fmt::format("the length of the value of {}", what));
    if (!length) return Error{length.error()};
    std::size_t n = static_cast<std::uint8_t>((*length)[0]) << 8 | static_cast<std::uint8_t>((*length)[1]);
    return bytes(n, fmt::format("the value of {}", what));
  }

 private:
  std::string_view in_;
  std::size_t pos_ = 0;
};

// A section being read: its name in its parent and its entries so far.
struct Open {
  std::string name;
  Message message;
};

Result<Message> readMessage(Reader& in) {
  std::vector<Open> stack(1);  // the root
  // The open list: lists do not nest, and hold only items.
  bool inList = false;
  std::string listName;
  std::vector<std::string> items;
  while (!in.atEnd()) {
    std::size_t at = in.offset();
    std::uint8_t element = *in.byte("an element");
    if (inList && element != kListItem && element != kListEnd) {
      return Error{fmt::format("VICI: {} at offset {} inside the list '{}'", elementName(element), at, listName)};
    }
    switch (element) {
      case kSectionStart: {
        if (stack.size() > kMaxDepth) {
          return Error{fmt::format("VICI: sections nested deeper than {} at offset {}", kMaxDepth, at)};
        }
        auto name = in.name("SECTION_START");
        if (!name) return Error{name.error()};
        stack.push_back(Open{std::string(*name), {}});
        break;
      }
      case kSectionEnd: {
        if (stack.size() == 1) return Error{fmt::format("VICI: SECTION_END at offset {} closes no section", at)};
        Open done = std::move(stack.back());
        stack.pop_back();
        stack.back().message.addSection(done.name, std::move(done.message));
        break;
      }
      case kKeyValue: {
        auto key = in.name("KEY_VALUE");
        if (!key) return Error{key.error()};
        auto value = in.value(fmt::format("'{}'", *key));
        if (!value) return Error{value.error()};
        stack.back().message.add(*key, *value);
        break;
      }
      case kListStart: {
        auto name = in.name("LIST_START");
        if (!name) return Error{name.error()};
        listName = *name;
        items.clear();
        inList = true;
        break;
      }
      case kListItem: {
        if (!inList) return Error{fmt::format("VICI: LIST_ITEM at offset {} outside a list", at)};
        auto value = in.value(fmt::format("an item of '{}'", listName));
        if (!value) return Error{value.error()};
        items.emplace_back(*value);
        break;
      }
      case kListEnd:
        if (!inList) return Error{fmt::format("VICI: LIST_END at offset {} closes no list", at)};
        stack.back().message.addList(listName, std::move(items));
        items = {};
        inList = false;
        break;
      default:
        return Error{fmt::format("VICI: unknown element type {} at offset {}", element, at)};
    }
  }
  if (inList) return Error{fmt::format("VICI: the list '{}' is not closed", listName)};
  if (stack.size() > 1) return Error{fmt::format("VICI: the section '{}' is not closed", stack.back().name)};
  return std::move(stack.front().message);
}

void appendEscaped(std::string& out, std::string_view text) {
  for (char c : text) {
    auto b = static_cast<unsigned char>(c);
    if (b < 0x20 || b >= 0x7f || c == '\\') {
      out += fmt::format("\\x{:02x}", b);
    } else {
      out.push_back(c);
    }
  }
}

void appendText(std::string& out, const Message& message) {
  out.push_back('{');
  bool first = true;
  for (const Message::Entry& e : message.entries()) {
    if (!first) out.push_back(' ');
    first = false;
    appendEscaped(out, e.name);
    switch (e.kind) {
      case Message::Kind::Value:
        out.push_back('=');
        appendEscaped(out, e.value);
        break;
      case Message::Kind::List:
        out += "=[";
        for (std::size_t i = 0; i < e.items.size(); ++i) {
          if (i) out.push_back(' ');
          appendEscaped(out, e.items[i]);
        }
        out.push_back(']');
        break;
      case Message::Kind::Section:
        out.push_back(' ');
        appendText(out, e.section);
        break;
    }
  }
  out.push_back('}');
}

}  // namespace

std::string_view packetTypeName(PacketType type) {
  switch (type) {
    case PacketType::CmdRequest: return "CMD_REQUEST";
    case PacketType::CmdResponse: return "CMD_RESPONSE";
    case PacketType::CmdUnknown: return "CMD_UNKNOWN";
    case PacketType::EventRegister: return "EVENT_REGISTER";
    case PacketType::EventUnregister: return "EVENT_UNREGISTER";
    case PacketType::EventConfirm: return "EVENT_CONFIRM";
    case PacketType::EventUnknown: return "EVENT_UNKNOWN";
    case PacketType::Event: return "EVENT";
  }
  return "?";
}

bool isNamed(PacketType type) {
  return type == PacketType::CmdRequest || type == PacketType::EventRegister ||
         type == PacketType::EventUnregister || type == PacketType::Event;
}

bool hasMessage(PacketType type) {
  return type == PacketType::CmdRequest || type == PacketType::CmdResponse || type == PacketType::Event;
}

// --- Message ---

Message::Message() = default;
Message::Message(const Message&) = default;
Message::Message(Message&&) noexcept = default;
Message& Message::operator=(const Message&) = default;
Message& Message::operator=(Message&&) noexcept = default;
Message::~Message() = default;

Message::Entry& Message::append(Kind kind, std::string_view key) {
  Entry& e = entries_.emplace_back();
  e.kind = kind;
  e.name = key;
  return e;
}

Message& Message::add(std::string_view key, std::string_view value) {
  append(Kind::Value, key).value = value;
  return *this;
}

Message& Message::addList(std::string_view key, std::vector<std::string> items) {
  append(Kind::List, key).items = std::move(items);
  return *this;
}

Message& Message::addSection(std::string_view key, Message section) {
  append(Kind::Section, key).section = std::move(section);
  return *this;
}

const std::string* Message::value(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.kind == Kind::Value && e.name == key) return &e.value;
  }
  return nullptr;
}

const std::vector<std::string>* Message::list(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.kind == Kind::List && e.name == key) return &e.items;
  }
  return nullptr;
}

const Message* Message::section(std::string_view key) const {
  for (const Entry& e : entries_) {
    if (e.kind == Kind::Section && e.name == key) return &e.section;
  }
  return nullptr;
}

std::string_view Message::valueOr(std::string_view key, std::string_view fallback) const {
  const std::string* v = value(key);
  return v ? std::string_view(*v) : fallback;
}

bool Message::operator==(const Message& other) const { return entries_ == other.entries_; }

bool Message::Entry::operator==(const Entry& other) const {
  return kind == other.kind && name == other.name && value == other.value && items == other.items &&
         section == other.section;
}

// --- messages and packets ---

Result<std::string> encodeMessage(const Message& message) {
  Writer w;
  if (Status s = w.message(message); !s) return Error{s.message()};
  return std::move(w.text());
}

Result<Message> decodeMessage(std::string_view bytes) {
  Reader in(bytes);
  return readMessage(in);
}

Result<std::string> encodeFrame(const Packet& packet) {
  Writer w;
  w.text().append(4, '\0');
  w.byte(static_cast<std::uint8_t>(packet.type));
  if (isNamed(packet.type)) {
    if (Status s = w.name(packet.name); !s) return Error{s.message()};
  }
  if (hasMessage(packet.type)) {
    if (Status s = w.message(packet.message); !s) return Error{s.message()};
  }
  std::string& out = w.text();
  std::size_t length = out.size() - 4;
  if (length > kMaxPacketSize) {
    return Error{fmt::format("VICI: the {} packet '{}' has {} bytes, more than {}", packetTypeName(packet.type),
                             packet.name, length, kMaxPacketSize)};
  }
  out[0] = static_cast<char>(length >> 24);
  out[1] = static_cast<char>(length >> 16);
  out[2] = static_cast<char>(length >> 8);
  out[3] = static_cast<char>(length);
  return std::move(out);
}

Result<Packet> decodePacket(std::string_view bytes) {
  Reader in(bytes);
  auto type = in.byte("the packet type");
  if (!type) return Error{type.error()};
  if (*type > static_cast<std::uint8_t>(PacketType::Event)) {
    return Error{fmt::format("VICI: unknown packet type {}", *type)};
  }
  Packet packet;
  packet.type = static_cast<PacketType>(*type);
  if (isNamed(packet.type)) {
    auto name = in.name(packetTypeName(packet.type));
    if (!name) return Error{name.error()};
    packet.name = *name;
  }
  if (hasMessage(packet.type)) {
    auto message = readMessage(in);
    if (!message) return Error{fmt::format("{} (in the {} packet{}{})", message.error(), packetTypeName(packet.type),
                                           packet.name.empty() ? "" : " ", packet.name)};
    packet.message = std::move(*message);
  } else if (!in.atEnd()) {
    return Error{fmt::format("VICI: {} bytes after the {} packet", bytes.size() - in.offset(),
                             packetTypeName(packet.type))};
  }
  return packet;
}

Result<std::size_t> decodeLength(std::string_view header) {
  if (header.size() != 4) return Error{fmt::format("VICI: a length field has 4 bytes, not {}", header.size())};
  std::size_t length = 0;
  for (char c : header) length = length << 8 | static_cast<std::uint8_t>(c);
  if (length == 0) return Error{"VICI: a frame of length 0"};
  if (length > kMaxPacketSize) {
    return Error{fmt::format("VICI: a frame of {} bytes, more than {}", length, kMaxPacketSize)};
  }
  return length;
}

std::string toText(const Message& message) {
  std::string out;
  appendText(out, message);
  return out;
}

}  // namespace bulwark::ipsec::vici
