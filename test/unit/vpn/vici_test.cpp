// The VICI codec: byte-exact against the encoding example of the vici
// plugin's README and against frames as charon and swanctl exchange them,
// and every malformed input refused with an error that says where.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "vpn/ipsec/vici.hpp"

using namespace bulwark::ipsec::vici;
using namespace std::string_literals;

namespace {

std::string bytes(std::initializer_list<int> list) {
  std::string out;
  for (int b : list) out.push_back(static_cast<char>(b));
  return out;
}

// The README's example: key1 = value1, section1 = { sub-section = { key2 =
// value2 }, list1 = [ item1, item2 ] }.
const std::string kReadmeExample = bytes({
    3, 4, 'k', 'e', 'y', '1', 0, 6, 'v', 'a', 'l', 'u', 'e', '1',                    //
    1, 8, 's', 'e', 'c', 't', 'i', 'o', 'n', '1',                                    //
    1, 11, 's', 'u', 'b', '-', 's', 'e', 'c', 't', 'i', 'o', 'n',                    //
    3, 4, 'k', 'e', 'y', '2', 0, 6, 'v', 'a', 'l', 'u', 'e', '2',                    //
    2,                                                                               //
    4, 5, 'l', 'i', 's', 't', '1',                                                   //
    5, 0, 5, 'i', 't', 'e', 'm', '1',                                                //
    5, 0, 5, 'i', 't', 'e', 'm', '2',                                                //
    6,                                                                               //
    2,                                                                               //
});

Message readmeMessage() {
  return Message{}.add("key1", "value1").addSection(
      "section1",
      Message{}.addSection("sub-section", Message{}.add("key2", "value2")).addList("list1", {"item1", "item2"}));
}

std::string errorOf(std::string_view input) {
  auto m = decodeMessage(input);
  REQUIRE_FALSE(m);
  return m.error();
}

}  // namespace

TEST_CASE("the README's example message encodes to its bytes", "[vici]") {
  auto encoded = encodeMessage(readmeMessage());
  REQUIRE(encoded);
  CHECK(*encoded == kReadmeExample);
}

TEST_CASE("the README's example bytes decode to its tree", "[vici]") {
  auto m = decodeMessage(kReadmeExample);
  REQUIRE(m);
  CHECK(*m == readmeMessage());
  CHECK(*m->value("key1") == "value1");
  const Message* section = m->section("section1");
  REQUIRE(section);
  CHECK(*section->section("sub-section")->value("key2") == "value2");
  CHECK(*section->list("list1") == std::vector<std::string>{"item1", "item2"});
  CHECK(section->value("list1") == nullptr);
  CHECK(m->valueOr("missing", "-") == "-");
  CHECK(toText(*m) == "{key1=value1 section1 {sub-section {key2=value2} list1=[item1 item2]}}");
}

TEST_CASE("a version request is the frame swanctl sends", "[vici]") {
  auto frame = encodeFrame({PacketType::CmdRequest, "version", {}});
  REQUIRE(frame);
  CHECK(*frame == bytes({0, 0, 0, 9, 0, 7, 'v', 'e', 'r', 's', 'i', 'o', 'n'}));
}

TEST_CASE("an event registration and its confirmation are frames of their own", "[vici]") {
  auto frame = encodeFrame({PacketType::EventRegister, "control-log", {}});
  REQUIRE(frame);
  CHECK(*frame == bytes({0, 0, 0, 13, 3, 11, 'c', 'o', 'n', 't', 'r', 'o', 'l', '-', 'l', 'o', 'g'}));
  auto confirm = decodePacket(bytes({5}));
  REQUIRE(confirm);
  CHECK(confirm->type == PacketType::EventConfirm);
  CHECK(confirm->name.empty());
  CHECK(confirm->message.empty());
}

TEST_CASE("a request with arguments carries its message after the name", "[vici]") {
  Packet p{PacketType::CmdRequest, "initiate", Message{}.add("ike", "gw-gw").add("child", "net-net")};
  auto frame = encodeFrame(p);
  REQUIRE(frame);
  CHECK(*frame == bytes({0, 0, 0, 38, 0, 8, 'i', 'n', 'i', 't', 'i', 'a', 't', 'e',  //
                         3, 3, 'i', 'k', 'e', 0, 5, 'g', 'w', '-', 'g', 'w',           //
                         3, 5, 'c', 'h', 'i', 'l', 'd', 0, 7, 'n', 'e', 't', '-', 'n', 'e', 't'}));
  auto length = decodeLength(frame->substr(0, 4));
  REQUIRE(length);
  CHECK(*length == 38);
  auto back = decodePacket(frame->substr(4));
  REQUIRE(back);
  CHECK(*back == p);
}

TEST_CASE("a response and an event decode with their messages", "[vici]") {
  auto response = decodePacket(bytes({1, 3, 7, 's', 'u', 'c', 'c', 'e', 's', 's', 0, 3, 'y', 'e', 's'}));
  REQUIRE(response);
  CHECK(response->type == PacketType::CmdResponse);
  CHECK(*response->message.value("success") == "yes");

  auto event = decodePacket(bytes({7, 7, 'l', 'i', 's', 't', '-', 's', 'a', 1, 2, 'g', 'w', 3, 5, 's', 't', 'a', 't',
                                   'e', 0, 11, 'E', 'S', 'T', 'A', 'B', 'L', 'I', 'S', 'H', 'E', 'D', 2}));
  REQUIRE(event);
  CHECK(event->type == PacketType::Event);
  CHECK(event->name == "list-sa");
  CHECK(*event->message.section("gw")->value("state") == "ESTABLISHED");
}

TEST_CASE("empty values, empty lists and binary values survive a round trip", "[vici]") {
  Message m = Message{}.add("empty", "").addList("none", {}).add("blob", "\x00\xff\n"s).addSection("s", {});
  auto encoded = encodeMessage(m);
  REQUIRE(encoded);
  CHECK(*encoded == bytes({3, 5, 'e', 'm', 'p', 't', 'y', 0, 0, 4, 4, 'n', 'o', 'n', 'e', 6, 3, 4, 'b', 'l', 'o', 'b',
                           0, 3, 0, 0xff, '\n', 1, 1, 's', 2}));
  auto back = decodeMessage(*encoded);
  REQUIRE(back);
  CHECK(*back == m);
  CHECK(toText(*back) == "{empty= none=[] blob=\\x00\\xff\\x0a s {}}");
}

TEST_CASE("the encoder refuses what the format cannot carry", "[vici]") {
  auto longName = encodeMessage(Message{}.add(std::string(256, 'k'), "v"));
  REQUIRE_FALSE(longName);
  CHECK_THAT(longName.error(), Catch::Contains("has 256 bytes, more than 255"));
  CHECK(encodeMessage(Message{}.add(std::string(255, 'k'), "v")));

  auto longValue = encodeMessage(Message{}.addList("certs", {std::string(65536, 'x')}));
  REQUIRE_FALSE(longValue);
  CHECK_THAT(longValue.error(), Catch::Contains("the value of 'certs' has 65536 bytes, more than 65535"));
  CHECK(encodeMessage(Message{}.add("data", std::string(65535, 'x'))));

  Message big;
  for (int i = 0; i < 9; ++i) big.add(fmt::format("k{}", i), std::string(60000, 'x'));
  auto tooBig = encodeFrame({PacketType::CmdRequest, "load-cert", big});
  REQUIRE_FALSE(tooBig);
  CHECK_THAT(tooBig.error(), Catch::Contains("the CMD_REQUEST packet 'load-cert' has"));
  CHECK_THAT(tooBig.error(), Catch::Contains("more than 524288"));
}

TEST_CASE("truncated elements name what is missing and where", "[vici]") {
  CHECK(errorOf(bytes({3})) == "VICI: truncated at offset 1: the length of the name of KEY_VALUE missing");
  CHECK(errorOf(bytes({3, 4, 'k', 'e'})) ==
        "VICI: truncated at offset 2: the name of KEY_VALUE needs 4 bytes, 2 left");
  CHECK(errorOf(bytes({3, 1, 'k', 0})) ==
        "VICI: truncated at offset 3: the length of the value of 'k' needs 2 bytes, 1 left");
  CHECK(errorOf(bytes({3, 1, 'k', 0, 5, 'v'})) ==
        "VICI: truncated at offset 5: the value of 'k' needs 5 bytes, 1 left");
  CHECK(errorOf(bytes({3, 1, 'k', 0xff, 0xff})) ==
        "VICI: truncated at offset 5: the value of 'k' needs 65535 bytes, 0 left");
  CHECK(errorOf(bytes({4, 1, 'l', 5, 0, 3, 'a'})) ==
        "VICI: truncated at offset 6: the value of an item of 'l' needs 3 bytes, 1 left");
}

TEST_CASE("unbalanced sections and lists are refused", "[vici]") {
  CHECK(errorOf(bytes({2})) == "VICI: SECTION_END at offset 0 closes no section");
  CHECK(errorOf(bytes({1, 1, 's'})) == "VICI: the section 's' is not closed");
  CHECK(errorOf(bytes({1, 1, 's', 1, 1, 't', 2})) == "VICI: the section 's' is not closed");
  CHECK(errorOf(bytes({4, 1, 'l'})) == "VICI: the list 'l' is not closed");
  CHECK(errorOf(bytes({6})) == "VICI: LIST_END at offset 0 closes no list");
  CHECK(errorOf(bytes({5, 0, 0})) == "VICI: LIST_ITEM at offset 0 outside a list");
}

TEST_CASE("lists hold only items", "[vici]") {
  CHECK(errorOf(bytes({4, 1, 'l', 4, 1, 'm', 6, 6})) == "VICI: LIST_START at offset 3 inside the list 'l'");
  CHECK(errorOf(bytes({4, 1, 'l', 3, 1, 'k', 0, 0, 6})) == "VICI: KEY_VALUE at offset 3 inside the list 'l'");
  CHECK(errorOf(bytes({4, 1, 'l', 1, 1, 's', 2, 6})) == "VICI: SECTION_START at offset 3 inside the list 'l'");
  CHECK(errorOf(bytes({4, 1, 'l', 2})) == "VICI: SECTION_END at offset 3 inside the list 'l'");
}

TEST_CASE("unknown element types are refused", "[vici]") {
  CHECK(errorOf(bytes({0})) == "VICI: unknown element type 0 at offset 0");
  CHECK(errorOf(bytes({3, 1, 'k', 0, 0, 7})) == "VICI: unknown element type 7 at offset 5");
}

TEST_CASE("sections nest at most 32 deep", "[vici]") {
  auto nested = [](std::size_t depth) {
    std::string out;
    for (std::size_t i = 0; i < depth; ++i) out += bytes({1, 1, 's'});
    out.append(depth, '\x02');
    return out;
  };
  CHECK(decodeMessage(nested(32)));
  CHECK(errorOf(nested(33)) == "VICI: sections nested deeper than 32 at offset 96");
}

TEST_CASE("packets are checked for their type and their end", "[vici]") {
  auto empty = decodePacket("");
  REQUIRE_FALSE(empty);
  CHECK(empty.error() == "VICI: truncated at offset 0: the packet type missing");

  auto unknown = decodePacket(bytes({8}));
  REQUIRE_FALSE(unknown);
  CHECK(unknown.error() == "VICI: unknown packet type 8");

  auto trailing = decodePacket(bytes({2, 0}));
  REQUIRE_FALSE(trailing);
  CHECK(trailing.error() == "VICI: 1 bytes after the CMD_UNKNOWN packet");

  auto registerTrailing = decodePacket(bytes({3, 1, 'x', 1}));
  REQUIRE_FALSE(registerTrailing);
  CHECK(registerTrailing.error() == "VICI: 1 bytes after the EVENT_REGISTER packet");

  auto noName = decodePacket(bytes({7, 5, 'a'}));
  REQUIRE_FALSE(noName);
  CHECK(noName.error() == "VICI: truncated at offset 2: the name of EVENT needs 5 bytes, 1 left");

  auto badMessage = decodePacket(bytes({7, 2, 'i', 'k', 2}));
  REQUIRE_FALSE(badMessage);
  CHECK(badMessage.error() == "VICI: SECTION_END at offset 4 closes no section (in the EVENT packet ik)");
}

TEST_CASE("the length field is between 1 and 512 KiB", "[vici]") {
  CHECK(*decodeLength(bytes({0, 8, 0, 0})) == 512 * 1024);
  CHECK(*decodeLength(bytes({0, 0, 0, 1})) == 1);
  CHECK(decodeLength(bytes({0, 8, 0, 1})).error() == "VICI: a frame of 524289 bytes, more than 524288");
  CHECK(decodeLength(bytes({0xff, 0xff, 0xff, 0xff})).error() ==
        "VICI: a frame of 4294967295 bytes, more than 524288");
  CHECK(decodeLength(bytes({0, 0, 0, 0})).error() == "VICI: a frame of length 0");
  CHECK(decodeLength(bytes({0, 0, 1})).error() == "VICI: a length field has 4 bytes, not 3");
}
