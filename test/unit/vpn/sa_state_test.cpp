// charon's SAs as the IPsec room keeps them: list-sa sections read into
// typed SAs, and the events that change them.
#include <catch2/catch.hpp>

#include <fmt/format.h>

#include "vpn/ipsec/ipsec_service.hpp"
#include "vpn/ipsec/sa_state.hpp"

using namespace bulwark;
using namespace bulwark::ipsec;
using namespace std::chrono_literals;
using vici::Message;

namespace {

// A CHILD_SA section as charon 5.9 lists it (named "<config>-<uniqueid>").
Message child(const std::string& name, const std::string& uid, const std::string& state) {
  return Message{}
      .add("name", name)
      .add("uniqueid", uid)
      .add("reqid", "1")
      .add("state", state)
      .add("mode", "TUNNEL")
      .add("protocol", "ESP")
      .add("encap", "yes")
      .add("encr-alg", "AES_GCM_16")
      .add("encr-keysize", "128")
      .add("rekey-time", "12905")
      .add("life-time", "14345")
      .addList("local-ts", {"192.168.1.0/24"})
      .addList("remote-ts", {"10.0.0.0/24"});
}

// An IKE SA section with `children` in child-sas.
Message ike(const std::string& uid, const std::string& state, Message children = {}) {
  return Message{}
      .add("uniqueid", uid)
      .add("version", "2")
      .add("state", state)
      .add("local-host", "10.0.2.1")
      .add("local-port", "4500")
      .add("local-id", "10.0.2.1")
      .add("remote-host", "10.0.2.2")
      .add("remote-port", "4500")
      .add("remote-id", "10.0.2.2")
      .add("initiator", "yes")
      .add("nat-remote", "yes")
      .add("nat-any", "yes")
      .add("encr-alg", "AES_CBC")
      .add("encr-keysize", "128")
      .add("integ-alg", "HMAC_SHA2_256_128")
      .add("prf-alg", "PRF_HMAC_SHA2_256")
      .add("dh-group", "CURVE_25519")
      .add("established", "2")
      .add("rekey-time", "13611")
      .addSection("child-sas", std::move(children));
}

Message event(const std::string& conn, Message sa, bool up) {
  Message m;
  if (up) m.add("up", "yes");
  return m.addSection(conn, std::move(sa));
}

}  // namespace

TEST_CASE("a list-sa section becomes an IKE SA with its CHILD_SAs", "[ipsec]") {
  IkeSa sa = ikeSaOf("MAIv1", ike("3", "ESTABLISHED", Message{}.addSection("MAIv2-4", child("MAIv2", "4", "INSTALLED"))),
                     100s);
  CHECK(sa.uniqueId == 3);
  CHECK(sa.name == "MAIv1");
  CHECK(sa.state == "ESTABLISHED");
  CHECK(sa.established());
  CHECK(sa.localHost == "10.0.2.1");
  CHECK(sa.localPort == "4500");
  CHECK(sa.remoteId == "10.0.2.2");
  CHECK_FALSE(sa.natLocal);
  CHECK(sa.natRemote);
  CHECK(sa.algorithms == "AES_CBC_128-HMAC_SHA2_256_128-PRF_HMAC_SHA2_256-CURVE_25519");
  CHECK(sa.rekeyAt == 13711s);
  REQUIRE(sa.children.size() == 1);
  const ChildSa& c = sa.children[0];
  CHECK(c.uniqueId == 4);
  CHECK(c.name == "MAIv2");  // the configuration's name, not the section's
  CHECK(c.established());
  CHECK(c.algorithms == "AES_GCM_16_128");  // AEAD: no integrity algorithm of its own
  CHECK(c.rekeyAt == 13005s);
  CHECK(c.localTs == std::vector<std::string>{"192.168.1.0/24"});
}

TEST_CASE("a CHILD_SA section without a name is named by its key, and missing numbers stay unknown", "[ipsec]") {
  ChildSa c = childSaOf("MAIv2", Message{}.add("uniqueid", "x").add("state", "INSTALLING"), 5s);
  CHECK(c.name == "MAIv2");
  CHECK(c.uniqueId == 0);
  CHECK_FALSE(c.established());
  CHECK_FALSE(c.rekeyAt);
  CHECK(c.algorithms.empty());
}

TEST_CASE("events add, rekey and remove the SAs they are about", "[ipsec]") {
  SaTable table;
  table.apply("ike-updown", event("MAIv1", ike("1", "ESTABLISHED"), true), 0s);
  REQUIRE(table.of("MAIv1").size() == 1);
  CHECK(table.of("MAIv1")[0]->children.empty());

  table.apply("child-updown",
              event("MAIv1", ike("1", "ESTABLISHED", Message{}.addSection("MAIv2-1", child("MAIv2", "1", "INSTALLED"))),
                    true),
              0s);
  REQUIRE(table.of("MAIv1")[0]->children.size() == 1);

  // The CHILD_SA is rekeyed: the new one replaces the old.
  table.apply("child-rekey",
              event("MAIv1",
                    ike("1", "ESTABLISHED",
                        Message{}.addSection("MAIv2", Message{}
                                                          .addSection("old", child("MAIv2", "1", "REKEYED"))
                                                          .addSection("new", child("MAIv2", "2", "INSTALLED")))),
                    false),
              10s);
  REQUIRE(table.of("MAIv1")[0]->children.size() == 1);
  CHECK(table.of("MAIv1")[0]->children[0].uniqueId == 2);

  // The IKE SA is rekeyed: the new one has the CHILD_SAs.
  table.apply("ike-rekey",
              Message{}.addSection("MAIv1", Message{}
                                                .addSection("old", ike("1", "REKEYED"))
                                                .addSection("new", ike("5", "ESTABLISHED"))),
              20s);
  REQUIRE(table.of("MAIv1").size() == 1);
  CHECK(table.of("MAIv1")[0]->uniqueId == 5);
  REQUIRE(table.of("MAIv1")[0]->children.size() == 1);
  CHECK(table.of("MAIv1")[0]->children[0].uniqueId == 2);

  table.apply("child-updown",
              event("MAIv1", ike("5", "ESTABLISHED", Message{}.addSection("MAIv2-2", child("MAIv2", "2", "DELETING"))),
                    false),
              30s);
  CHECK(table.of("MAIv1")[0]->children.empty());
  table.apply("ike-updown", event("MAIv1", ike("5", "DELETING"), false), 30s);
  CHECK(table.of("MAIv1").empty());
  // A CHILD_SA reported down after its IKE SA leaves nothing behind.
  table.apply("child-updown",
              event("MAIv1", ike("5", "DELETING", Message{}.addSection("MAIv2-2", child("MAIv2", "2", "DELETING"))),
                    false),
              30s);
  CHECK(table.all().empty());
}

TEST_CASE("an IKE event applied again over a list that has its result keeps the listed CHILD_SAs", "[ipsec]") {
  SaTable table;
  // The list already has the rekeyed IKE SA 5 with its tunnel ...
  table.replace({ikeSaOf("MAIv1", ike("5", "ESTABLISHED", Message{}.addSection("MAIv2-2", child("MAIv2", "2", "INSTALLED"))),
                         10s)});
  // ... and the rekey and an up event that came during the listing are applied again.
  table.apply("ike-rekey",
              Message{}.addSection("MAIv1", Message{}
                                                .addSection("old", ike("1", "REKEYED"))
                                                .addSection("new", ike("5", "ESTABLISHED"))),
              20s);
  table.apply("ike-updown", event("MAIv1", ike("5", "ESTABLISHED"), true), 20s);
  REQUIRE(table.of("MAIv1").size() == 1);
  REQUIRE(table.of("MAIv1")[0]->children.size() == 1);
  CHECK(table.of("MAIv1")[0]->children[0].uniqueId == 2);
}

TEST_CASE("list-sas replaces everything, and established IKE SAs come first", "[ipsec]") {
  SaTable table;
  table.apply("ike-updown", event("MAIv9", ike("1", "ESTABLISHED"), true), 0s);
  table.replace({ikeSaOf("MAIv1", ike("7", "CONNECTING"), 0s), ikeSaOf("MAIv1", ike("8", "ESTABLISHED"), 0s)});
  CHECK(table.of("MAIv9").empty());
  auto sas = table.of("MAIv1");
  REQUIRE(sas.size() == 2);
  CHECK(sas[0]->uniqueId == 8);
  CHECK(sas[1]->uniqueId == 7);
}

TEST_CASE("a connection is active with a tunnel up, ready when wanted without error, void otherwise", "[ipsec]") {
  ConnectionStatus s;
  s.tunnels.push_back({"MAIv2", "192.168.1.0/24", "10.0.0.0/24", std::nullopt});
  CHECK(s.state() == VpnState::Void);
  s.activated = true;
  CHECK(s.state() == VpnState::Ready);
  s.error = "charon failed";
  CHECK(s.state() == VpnState::Void);
  s.tunnels[0].sa = ChildSa{.uniqueId = 1, .name = "MAIv2", .state = "INSTALLED"};
  CHECK(s.state() == VpnState::Active);
  CHECK(s.establishedTunnels() == 1);
  CHECK(stateName(s.state()) == "active");
}

TEST_CASE("the peers of a tunnel group are kept apart: an IKE SA each, with its own narrowed CHILD_SA", "[ipsec]") {
  SaTable table;
  // Three peers of the connection MAIv1, each asking for its own /24 of the
  // group's 10.0.0.0/16 (tunnel MAIv2): charon names all by the configuration.
  for (int peer = 1; peer <= 3; ++peer) {
    std::string uid = std::to_string(peer), childUid = std::to_string(10 + peer);
    Message narrowed = Message{}
                   .add("name", "MAIv2")
                   .add("uniqueid", childUid)
                   .add("state", "INSTALLED")
                   .addList("local-ts", {"192.168.1.0/24"})
                   .addList("remote-ts", {"10.0." + uid + ".0/24"});
    table.apply("ike-updown", event("MAIv1", ike(uid, "ESTABLISHED"), true), 0s);
    table.apply("child-updown",
                event("MAIv1", ike(uid, "ESTABLISHED", Message{}.addSection("MAIv2-" + childUid, narrowed)), true), 0s);
  }
  REQUIRE(table.of("MAIv1").size() == 3);
  for (const IkeSa* sa : table.of("MAIv1")) {
    REQUIRE(sa->children.size() == 1);
    CHECK(sa->children[0].remoteTs == std::vector<std::string>{fmt::format("10.0.{}.0/24", sa->uniqueId)});
  }
  // One peer goes: the others stay as they were.
  table.apply("ike-updown", event("MAIv1", ike("2", "DELETING"), false), 0s);
  REQUIRE(table.of("MAIv1").size() == 2);
  CHECK(table.all().contains(1));
  CHECK(table.all().contains(3));
  CHECK(table.all().at(3).children.at(0).remoteTs == std::vector<std::string>{"10.0.3.0/24"});
}
