// nph-vpn.cgi?cmd=synup (reference 11.4.3.3): a disabled connection is
// activated and established now, with progress lines as it goes and one
// final line decided from what really happened.
//
// The steps: "P synup", "P deviceinfo", "P vpnconn"; the peer's name
// resolved ("P dnslookup", or F EVLOOKUPGW); the kernel's route to it ("P
// routeinfo", or F EVLOOKUPROUT, F EVIFDOWN); the connection activated and
// given to charon without its own start (start_action none), then each
// tunnel initiated over VICI (`initiate` with its streamed control-log,
// which SynupDiagnosis turns into "P IKEv2" lines, or "P IKEv1" lines for
// an IKEv1 connection, and, at the end, the final code). An attempt that
// fails withdraws the activation it made, as does a client that goes away; an established connection stays activated (syndown
// ends it). The diagnostics of the last 100 runs are kept for the support
// snapshot.
//
// VICI answers one command at a time: while an initiate runs (at most
// Options::initiateTimeout per tunnel, which must stay below the VICI
// client's request deadline) the module's other commands, list-sas for
// cmd=status among them, wait behind it.
//
// charon's words map to the reference's fields: "generating X request" is
// newstate=<state> send=X, "parsed X response" newstate= (or state=) rcvd=X,
// "IKE_SA ... established" isakmp-sa=established, "CHILD_SA ...
// established" ipsec-sa=established, an error notify notify=N; IKEv2's
// states are named after its exchanges (ike_sa_init-i1, ike_auth-i2),
// IKEv1's as pluto named them (main-i1..main-i4, quick-i1, quick-i2; see
// SynupDiagnosis::ikev1Request). "P
// ikeping" is no separate probe: charon's first request, retransmitted
// while the peer stays silent, is the IKE ping; its line reports whether
// any answer came back.
#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <map>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.hpp"
#include "runtime/timers.hpp"
#include "vpn/ipsec/ipsec_service.hpp"
#include "vpn/ipsec/vici.hpp"

namespace bulwark::ipsec {

class ViciClient;

// "9508.73": seconds with two decimals (reference 11.4.3.1).
std::string uptimeText(std::chrono::milliseconds uptime);
// "20120907095258a": UTC, and the letter of the time's state (a-e).
std::string tstampText(std::chrono::system_clock::time_point now, char letter);

// The interface the peer is reached through.
struct RouteInfo {
  std::string via;     // the reference's name where the board has one (ext1, int, dmz0), else the kernel's
  std::string source;  // our address on it
  // up: it can send; error: it cannot (no carrier, down). The reference's
  // "down" (dial on demand) has no counterpart here.
  bool up = false;
};

// What a synup needs from outside the IPsec room; set by the composition root.
struct SynupEnvironment {
  std::function<std::chrono::milliseconds()> uptime;
  std::function<std::chrono::system_clock::time_point()> now;
  std::function<char()> timeLetter;  // a-e, see net::tstampLetter
  std::string serial;
  std::function<std::string()> hostname;
  // Host name to IPv4 addresses, called back on the loop.
  std::function<void(const std::string& name, std::function<void(Result<std::vector<std::string>>)>)> resolve;
  // The route to an IPv4 address; the error when the kernel has none.
  std::function<Result<RouteInfo>(const std::string& address)> route;
};

// charon's control-log of one attempt, read as the reference's progress
// lines and final code. Pure; the messages are those charon 5.9 logs at
// level 1 for an IKEv2 or IKEv1 (Main Mode, Quick Mode) initiator.
class SynupDiagnosis {
 public:
  // The fields of the "P IKEv2" line for one log message (after uptime=),
  // or nullopt when the message is not one the reference reports.
  std::optional<std::string> feed(std::string_view message);
  // The next tunnel's initiate begins: its Quick Mode starts at quick-i1 again.
  void nextTunnel() { ikev1Modes_.erase("QUICK_MODE"); }

  struct Verdict {
    std::string code;  // "" when established
    std::string msg;
  };
  // The outcome once initiate answered: `error` is its errmsg ("" success),
  // `timedOut` whether it gave up waiting.
  Verdict verdict(std::string_view error, bool timedOut) const;

  bool heardFromPeer() const { return heard_; }
  bool sendFailed() const { return sendFailed_; }

 private:
  std::optional<std::string> ikev1Request(const std::string& exchange);
  std::string ikev1Response(const std::string& exchange);

  std::string state_ = "start";  // the exchange under way, "ike_sa_init-i1", "main-i2"
  std::map<std::string, int, std::less<>> ikev1Modes_;  // IKEv1 exchange -> requests sent in it
  bool heard_ = false;           // a packet came from the peer
  bool sendFailed_ = false;
  bool ikeUp_ = false;           // the IKE SA was established
  bool ikeLost_ = false;         // ... and went again
  std::string ikeNotify_;        // an error notify that ended IKE_SA_INIT or IKE_AUTH
  std::string childNotify_;      // a notify for which no CHILD_SA was built
  std::string lastFailure_;      // charon's last words of failure
};

// The synup runs and their diagnostics, owned by the IPsec module.
class Synups {
 public:
  // What a run needs of the module.
  struct Host {
    std::function<std::optional<ConnectionStatus>(const std::string& id)> status;
    std::function<Status(const std::string& id)> activate;    // without charon's own start
    std::function<void(const std::string& id)> deactivate;
    std::function<ViciClient*()> client;                      // null while charon is not connected
  };
  struct Options {
    std::chrono::milliseconds initiateTimeout{8000};  // per tunnel; below the VICI request deadline
    std::chrono::milliseconds armTimeout{10000};      // for charon to start and take the connection
    std::size_t keep = 100;                           // diagnostics kept (reference 11.5.1)
  };
  Synups(runtime::Timers& timers, Host host, Options options);
  ~Synups();

  void setEnvironment(SynupEnvironment environment) { env_ = std::move(environment); }

  // Runs synup for connection `id`; see IpsecService::synup.
  std::function<void()> start(const std::string& id, SynupLine line);
  // The module's state changed (a connection armed, SAs came or went).
  void changed();
  // Every kept run's lines, oldest first, each run headed by a blank line.
  std::string diagnostics() const;
  // Whether a run of `id` is under way (its activation is the run's).
  bool running(const std::string& id) const;

  struct Run;

 private:
  friend class SynupSteps;
  void finish(Run& run);

  runtime::Timers& timers_;
  Host host_;
  Options options_;
  SynupEnvironment env_;
  std::map<std::uint64_t, std::shared_ptr<Run>> runs_;
  std::uint64_t next_ = 1;
  std::deque<std::string> kept_;
};

// `conn` (a load-conn message) with start_action none in every CHILD_SA:
// charon loads it without starting it, synup initiates it.
vici::Message withoutStart(const vici::Message& conn);

}  // namespace bulwark::ipsec
