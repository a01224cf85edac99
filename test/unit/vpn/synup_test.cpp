// synup's line formats and the final code decided from charon's control-log
// (the messages are those charon 5.9.8 logs at level 1 for an initiator, as
// seen in the namespace test).
#include <catch2/catch.hpp>

#include "vpn/ipsec/synup.hpp"

using namespace bulwark;
using namespace std::chrono_literals;
using ipsec::SynupDiagnosis;

namespace {

// The P IKEv2 fields for each message, then the verdict.
struct Played {
  std::vector<std::string> lines;
  SynupDiagnosis::Verdict verdict;
};

Played play(const std::vector<std::string>& messages, std::string_view error, bool timedOut = false) {
  SynupDiagnosis d;
  Played out;
  for (const std::string& m : messages) {
    if (auto fields = d.feed(m)) out.lines.push_back(*fields);
  }
  out.verdict = d.verdict(error, timedOut);
  return out;
}

const std::vector<std::string> kInitSent = {
    "initiating IKE_SA MAIv1[3] to 10.0.2.2",
    "generating IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(REDIR_SUP) ]",
    "sending packet: from 10.0.2.1[500] to 10.0.2.2[500] (464 bytes)",
};
const std::vector<std::string> kInitAnswered = {
    "received packet: from 10.0.2.2[500] to 10.0.2.1[500] (472 bytes)",
    "parsed IKE_SA_INIT response 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) N(HASH_ALG) N(CHDLESS_SUP) ]",
    "selected proposal: IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519",
    "authentication of '10.0.2.1' (myself) with pre-shared key",
    "establishing CHILD_SA MAIv2{5}",
    "generating IKE_AUTH request 1 [ IDi N(INIT_CONTACT) IDr AUTH SA TSi TSr N(MOBIKE_SUP) N(ADD_4_ADDR) ]",
    "sending packet: from 10.0.2.1[4500] to 10.0.2.2[4500] (284 bytes)",
};

std::vector<std::string> operator+(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

const std::string kTimedOut = "CHILD_SA 'MAIv2' not established after 8000ms";
const std::string kFailed = "establishing CHILD_SA 'MAIv2' failed";

}  // namespace

TEST_CASE("uptime has two decimals, tstamp is UTC with the time's letter", "[ipsec][synup]") {
  CHECK(ipsec::uptimeText(9508730ms) == "9508.73");
  CHECK(ipsec::uptimeText(75178320ms) == "75178.32");
  CHECK(ipsec::uptimeText(5ms) == "0.00");
  CHECK(ipsec::uptimeText(1009ms) == "1.00");
  // 2012-09-07 09:52:58 UTC, the reference's example.
  CHECK(ipsec::tstampText(std::chrono::system_clock::from_time_t(1347011578), 'a') == "20120907095258a");
  CHECK(ipsec::tstampText(std::chrono::system_clock::from_time_t(0), 'e') == "19700101000000e");
}

TEST_CASE("an attempt that establishes gives the IKEv2 state lines and no final code", "[ipsec][synup]") {
  auto p = play(kInitSent + kInitAnswered +
                    std::vector<std::string>{
                        "received packet: from 10.0.2.2[4500] to 10.0.2.1[4500] (236 bytes)",
                        "parsed IKE_AUTH response 1 [ IDr AUTH SA TSi TSr N(MOBIKE_SUP) N(ADD_4_ADDR) ]",
                        "authentication of '10.0.2.2' with pre-shared key successful",
                        "IKE_SA MAIv1[3] established between 10.0.2.1[10.0.2.1]...10.0.2.2[10.0.2.2]",
                        "CHILD_SA MAIv2{5} established with SPIs c1d3a0c4_i c2a1b7e3_o and TS 192.168.1.0/24 === "
                        "10.0.0.0/24",
                    },
                "");
  CHECK(p.lines == std::vector<std::string>{
                       "newstate=connecting id=#3 to=10.0.2.2",
                       "newstate=ike_sa_init-i1 send=IKE_SA_INIT",
                       "newstate=ike_sa_init-i2 rcvd=IKE_SA_INIT",
                       "state=ike_sa_init-i2 proposal=IKE:AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/CURVE_25519",
                       "newstate=ike_auth-i1 send=IKE_AUTH",
                       "newstate=ike_auth-i2 rcvd=IKE_AUTH",
                       "isakmp-sa=established id=#3",
                       "ipsec-sa=established id=#5",
                   });
  CHECK(p.verdict.code.empty());
}

TEST_CASE("a peer that never answers is EVTOUT1RESP", "[ipsec][synup]") {
  auto p = play(kInitSent + std::vector<std::string>{"retransmit 1 of request with message ID 0",
                                                     "sending packet: from 10.0.2.1[500] to 10.0.2.2[500] (464 bytes)"},
                kTimedOut, true);
  CHECK(p.lines.back() == "state=ike_sa_init-i1 retransmit=1");
  CHECK(p.verdict.code == "EVTOUT1RESP");
  CHECK(p.verdict.msg == "The peer did not answer the first message (charon: " + kTimedOut + ").");
}

TEST_CASE("a peer that answers once and then falls silent is EVTOUTWRESP", "[ipsec][synup]") {
  auto p = play(kInitSent + kInitAnswered + std::vector<std::string>{"retransmit 1 of request with message ID 1"},
                kTimedOut, true);
  CHECK(p.lines.back() == "state=ike_auth-i1 retransmit=1");
  CHECK(p.verdict.code == "EVTOUTWRESP");
}

TEST_CASE("NO_PROPOSAL_CHOSEN is EVDIFFALG1 in IKE_SA_INIT and EVDIFFALG2 for the CHILD_SA", "[ipsec][synup]") {
  auto ike = play(kInitSent + std::vector<std::string>{
                                  "received packet: from 10.0.2.2[500] to 10.0.2.1[500] (36 bytes)",
                                  "parsed IKE_SA_INIT response 0 [ N(NO_PROP) ]",
                                  "received NO_PROPOSAL_CHOSEN notify error",
                              },
                  kFailed);
  CHECK(ike.lines.back() == "state=ike_sa_init-i2 notify=NO_PROPOSAL_CHOSEN");
  CHECK(ike.verdict.code == "EVDIFFALG1");
  CHECK(ike.verdict.msg ==
        "The peer accepts none of the IKE SA proposals (charon: received NO_PROPOSAL_CHOSEN notify error).");

  auto child = play(kInitSent + kInitAnswered +
                        std::vector<std::string>{
                            "parsed IKE_AUTH response 1 [ IDr AUTH N(NO_PROP) ]",
                            "IKE_SA MAIv1[3] established between 10.0.2.1[10.0.2.1]...10.0.2.2[10.0.2.2]",
                            "received NO_PROPOSAL_CHOSEN notify, no CHILD_SA built",
                        },
                    kFailed);
  CHECK(child.lines.back() == "state=ike_auth-i2 notify=NO_PROPOSAL_CHOSEN ipsec-sa=none");
  CHECK(child.verdict.code == "EVDIFFALG2");
}

TEST_CASE("AUTHENTICATION_FAILED or a key we do not accept is EVPEERNOENT1", "[ipsec][synup]") {
  auto theirs = play(kInitSent + kInitAnswered +
                         std::vector<std::string>{"parsed IKE_AUTH response 1 [ N(AUTH_FAILED) ]",
                                                  "received AUTHENTICATION_FAILED notify error"},
                     kFailed);
  CHECK(theirs.verdict.code == "EVPEERNOENT1");
  auto ours = play(kInitSent + kInitAnswered +
                       std::vector<std::string>{"parsed IKE_AUTH response 1 [ IDr AUTH SA TSi TSr ]",
                                                "tried 1 shared key for '10.0.2.1' - '10.0.2.2', but MAC mismatched"},
                   kFailed);
  CHECK(ours.lines.back() == "state=ike_auth-i2 auth=failed");
  CHECK(ours.verdict.code == "EVPEERNOENT1");
}

TEST_CASE("TS_UNACCEPTABLE (the peer knows no such tunnel) is EVPEERNOENT2", "[ipsec][synup]") {
  auto p = play(kInitSent + kInitAnswered +
                    std::vector<std::string>{
                        "parsed IKE_AUTH response 1 [ IDr AUTH N(TS_UNACCEPT) ]",
                        "IKE_SA MAIv1[3] established between 10.0.2.1[10.0.2.1]...10.0.2.2[10.0.2.2]",
                        "received TS_UNACCEPTABLE notify, no CHILD_SA built",
                    },
                kFailed);
  CHECK(p.verdict.code == "EVPEERNOENT2");
}

TEST_CASE("an IKE SA deleted by the peer after it was established is ESYNVPN001", "[ipsec][synup]") {
  auto p = play(kInitSent + kInitAnswered +
                    std::vector<std::string>{
                        "IKE_SA MAIv1[3] established between 10.0.2.1[10.0.2.1]...10.0.2.2[10.0.2.2]",
                        "parsed INFORMATIONAL request 2 [ D ]",
                        "received DELETE for IKE_SA MAIv1[3]",
                    },
                kFailed);
  CHECK(p.lines.back() == "state=ike_auth-i1 rcvd=DELETE");
  CHECK(p.verdict.code == "ESYNVPN001");
}

TEST_CASE("withoutStart sets start_action none in every CHILD_SA and keeps the rest", "[ipsec][synup]") {
  using ipsec::vici::Message;
  Message conn = Message{}.addSection(
      "MAIv1", Message{}
                   .add("version", "2")
                   .addList("remote_addrs", {"10.0.2.2"})
                   .addSection("children", Message{}.addSection("MAIv2", Message{}.add("start_action", "start"))));
  CHECK(ipsec::vici::toText(ipsec::withoutStart(conn)) ==
        "{MAIv1 {version=2 remote_addrs=[10.0.2.2] children {MAIv2 {start_action=none}}}}");
}

namespace {

// IKEv1 Main Mode as charon 5.9 logs it for an initiator.
const std::vector<std::string> kMainModeSent = {
    "initiating Main Mode IKE_SA MAIv1[4] to 10.0.2.2",
    "generating ID_PROT request 0 [ SA V V V V V ]",
    "sending packet: from 10.0.2.1[500] to 10.0.2.2[500] (236 bytes)",
};
const std::vector<std::string> kMainModeDone = {
    "received packet: from 10.0.2.2[500] to 10.0.2.1[500] (160 bytes)",
    "parsed ID_PROT response 0 [ SA V V V ]",
    "selected proposal: IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
    "generating ID_PROT request 0 [ KE No NAT-D NAT-D ]",
    "parsed ID_PROT response 0 [ KE No NAT-D NAT-D ]",
    "generating ID_PROT request 0 [ ID HASH N(INITIAL_CONTACT) ]",
    "parsed ID_PROT response 0 [ ID HASH ]",
    "IKE_SA MAIv1[4] established between 10.0.2.1[10.0.2.1]...10.0.2.2[10.0.2.2]",
    "generating QUICK_MODE request 2336406004 [ HASH SA No ID ID ]",
};

}  // namespace

TEST_CASE("IKEv1 Main Mode and Quick Mode give the reference's IKEv1 states", "[ipsec][synup]") {
  auto p = play(kMainModeSent + kMainModeDone +
                    std::vector<std::string>{
                        "parsed QUICK_MODE response 2336406004 [ HASH SA No ID ID ]",
                        "selected proposal: ESP:AES_CBC_256/HMAC_SHA2_256_128/NO_EXT_SEQ",
                        "CHILD_SA MAIv2{6} established with SPIs c1d3a0c4_i c2a1b7e3_o and TS 192.168.1.0/24 === "
                        "10.0.0.0/24",
                        "generating QUICK_MODE request 2336406004 [ HASH ]",
                    },
                "");
  CHECK(p.lines == std::vector<std::string>{
                       "newstate=connecting id=#4 to=10.0.2.2",
                       "newstate=main-i1 send=ID_PROT",
                       "state=main-i1 rcvd=ID_PROT",
                       "state=main-i1 proposal=IKE:AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048",
                       "newstate=main-i2 send=ID_PROT",
                       "state=main-i2 rcvd=ID_PROT",
                       "newstate=main-i3 send=ID_PROT",
                       "newstate=main-i4 rcvd=ID_PROT",
                       "isakmp-sa=established id=#4",
                       "newstate=quick-i1 send=QUICK_MODE",
                       "newstate=quick-i2 rcvd=QUICK_MODE",
                       "state=quick-i2 proposal=ESP:AES_CBC_256/HMAC_SHA2_256_128/NO_EXT_SEQ",
                       "ipsec-sa=established id=#6",
                       "state=quick-i2 send=QUICK_MODE",
                   });
  CHECK(p.verdict.code.empty());
}

TEST_CASE("each tunnel's IKEv1 Quick Mode starts at quick-i1", "[ipsec][synup]") {
  SynupDiagnosis d;
  std::vector<std::string> mainMode = kMainModeSent + kMainModeDone;
  mainMode.pop_back();  // its Quick Mode request: below
  for (const std::string& m : mainMode) d.feed(m);
  auto quickMode = [&d] {
    std::vector<std::string> lines;
    for (const char* m : {"generating QUICK_MODE request 1 [ HASH SA No ID ID ]",
                          "parsed QUICK_MODE response 1 [ HASH SA No ID ID ]"}) {
      if (auto fields = d.feed(m)) lines.push_back(*fields);
    }
    return lines;
  };
  std::vector<std::string> expected{"newstate=quick-i1 send=QUICK_MODE", "newstate=quick-i2 rcvd=QUICK_MODE"};
  CHECK(quickMode() == expected);
  d.nextTunnel();
  CHECK(quickMode() == expected);
}

TEST_CASE("IKEv1's NO_PROPOSAL_CHOSEN error notify is EVDIFFALG1 in Main Mode and EVDIFFALG2 in Quick Mode",
          "[ipsec][synup]") {
  auto phase1 = play(kMainModeSent + std::vector<std::string>{
                                         "received packet: from 10.0.2.2[500] to 10.0.2.1[500] (40 bytes)",
                                         "parsed INFORMATIONAL_V1 request 3851683074 [ N(NO_PROP) ]",
                                         "received NO_PROPOSAL_CHOSEN error notify",
                                     },
                     kFailed);
  CHECK(phase1.lines.back() == "state=main-i1 notify=NO_PROPOSAL_CHOSEN");
  CHECK(phase1.verdict.code == "EVDIFFALG1");
  CHECK(phase1.verdict.msg ==
        "The peer accepts none of the IKE SA proposals (charon: received NO_PROPOSAL_CHOSEN error notify).");

  auto phase2 = play(kMainModeSent + kMainModeDone +
                         std::vector<std::string>{
                             "parsed INFORMATIONAL_V1 request 1136605099 [ HASH N(NO_PROP) ]",
                             "received NO_PROPOSAL_CHOSEN error notify",
                         },
                     kFailed);
  CHECK(phase2.lines.back() == "state=quick-i1 notify=NO_PROPOSAL_CHOSEN ipsec-sa=none");
  CHECK(phase2.verdict.code == "EVDIFFALG2");
}
