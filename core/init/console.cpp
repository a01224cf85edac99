#include "init/console.hpp"
#include "common/number.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <deque>
#include <fstream>
#include <map>
#include <sstream>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "build_config.hpp"
#include "config/commands.hpp"
#include "log/log_store.hpp"

namespace bulwark::init {

namespace {

using nlohmann::json;
constexpr std::size_t kMaxLine = 4096;

std::vector<std::string> words(const std::string& line) {
  std::vector<std::string> out;
  std::istringstream in(line);
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

std::string interfacesText() {
  std::map<std::string, std::vector<std::string>> addresses;
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (ifaddrs* a = list; a; a = a->ifa_next) {
      if (!a->ifa_addr || a->ifa_addr->sa_family != AF_INET) {
        addresses[a->ifa_name];
        continue;
      }
      char text[INET_ADDRSTRLEN] = {};
      inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(a->ifa_addr)->sin_addr, text, sizeof text);
      int prefix = 0;
      if (a->ifa_netmask) {
        prefix = __builtin_popcount(reinterpret_cast<sockaddr_in*>(a->ifa_netmask)->sin_addr.s_addr);
      }
      addresses[a->ifa_name].push_back(fmt::format("{}/{}", text, prefix));
    }
    freeifaddrs(list);
  }
  std::string out = fmt::format("{:<10} {:<8} {}\n", "INTERFACE", "STATE", "ADDRESSES");
  for (const auto& [name, addrs] : addresses) {
    std::ifstream state("/sys/class/net/" + name + "/operstate");
    std::string s = "?";
    state >> s;
    std::string list2;
    for (const auto& a : addrs) list2 += (list2.empty() ? "" : " ") + a;
    out += fmt::format("{:<10} {:<8} {}\n", name, s, list2);
  }
  return out;
}

}  // namespace

struct Console::Impl : std::enable_shared_from_this<Impl> {
  enum class Stage { User, Password, Shell };

  boost::asio::posix::stream_descriptor in;
  boost::asio::posix::stream_descriptor out;
  ConsoleServices services;
  boost::asio::streambuf buffer{kMaxLine};
  std::deque<std::string> pending;  // output waiting to be written
  bool writing = false;
  bool stopped = false;
  bool terminal = false;
  Stage stage = Stage::User;
  std::string user;
  std::optional<auth::Identity> who;
  bool busy = false;  // a command is running; input waits
  bool session = false;    // a shell session (SSH): already logged in, logout ends it
  bool oneShot = false;    // one command (ssh HOST COMMAND), then the end
  bool finishing = false;  // ends once the output is written

  Impl(boost::asio::io_context& io, int inFd, int outFd, ConsoleServices s)
      : in(io, fcntl(inFd, F_DUPFD_CLOEXEC, 3)), out(io, fcntl(outFd, F_DUPFD_CLOEXEC, 3)), services(std::move(s)) {
    terminal = isatty(in.native_handle());
  }

  void print(std::string text) {
    if (stopped) return;
    pending.push_back(std::move(text));
    if (!writing) flush();
  }
  void flush() {
    if (pending.empty()) {
      writing = false;
      if (finishing) stop();
      return;
    }
    writing = true;
    auto text = std::make_shared<std::string>(std::move(pending.front()));
    pending.pop_front();
    boost::asio::async_write(out, boost::asio::buffer(*text),
                             [self = shared_from_this(), text](boost::system::error_code ec, std::size_t) {
                               if (ec) return self->stop();
                               self->flush();
                             });
  }

  void echo(bool on) {
    if (!terminal) return;
    termios t{};
    if (tcgetattr(in.native_handle(), &t) != 0) return;
    if (on) t.c_lflag |= ECHO;
    else t.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(in.native_handle(), TCSANOW, &t);
  }

  void prompt() {
    switch (stage) {
      case Stage::User: return print(fmt::format("\n{} login: ", services.config.snapshot()->get("HOSTNAME")));
      case Stage::Password: echo(false); return print("Password: ");
      case Stage::Shell: return print(fmt::format("{}@{}> ", who->user, services.config.snapshot()->get("HOSTNAME")));
    }
  }

  void read() {
    if (stopped) return;
    boost::asio::async_read_until(in, buffer, '\n', [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      if (ec == boost::asio::error::not_found) {
        self->buffer.consume(self->buffer.size());
        self->print("\nline too long\n");
        self->prompt();
        return self->read();
      }
      if (ec) return self->stop();
      std::string line(boost::asio::buffers_begin(self->buffer.data()),
                       boost::asio::buffers_begin(self->buffer.data()) + n);
      self->buffer.consume(n);
      while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      self->onLine(std::move(line));
    });
  }

  // Called when a command is done: the next prompt, the next line.
  void next() {
    busy = false;
    if (oneShot) return finish();
    prompt();
    read();
  }

  // Ends the console once what is pending has been written.
  void finish() {
    finishing = true;
    if (!writing) flush();
  }

  void onLine(std::string line) {
    switch (stage) {
      case Stage::User:
        user = line;
        if (user.empty()) return next();
        stage = Stage::Password;
        return next();
      case Stage::Password: {
        echo(true);
        print("\n");
        busy = true;
        std::string name = std::move(user);
        services.authenticator.authenticate(name, line, "console", "Console",
                                            [self = shared_from_this()](Result<auth::Identity> result) {
                                              if (!result) {
                                                self->print("Login incorrect\n");
                                                self->stage = Stage::User;
                                              } else if (result->role == auth::Role::User ||
                                                         result->role == auth::Role::Mobile) {
                                                self->print("This user has no console access.\n");
                                                self->stage = Stage::User;
                                              } else {
                                                self->who = *result;
                                                self->stage = Stage::Shell;
                                                self->print(fmt::format("Welcome, {} ({}). Type help for the commands.\n",
                                                                        result->user, auth::roleName(result->role)));
                                              }
                                              self->next();
                                            });
        return;
      }
      case Stage::Shell: return command(words(line));
    }
  }

  bool mayChange() const { return who && (who->role == auth::Role::Root || who->role == auth::Role::Admin); }

  void command(const std::vector<std::string>& w) {
    if (w.empty()) return next();
    const std::string& c = w[0];
    if (c == "help") {
      print(
          "help                          this list\n"
          "show status                   device, version, uptime, warnings\n"
          "show interfaces               network interfaces and addresses\n"
          "show services                 supervised services\n"
          "show log [N]                  the last N log lines (20)\n"
          "gaiconfig --get PATH          a variable, a table or a row\n"
          "gaiconfig --set PATH VALUE    change a variable (root, admin)\n"
          "gaiconfig --get-all           the configuration as an ATV profile\n"
          "reboot, poweroff              (root, admin)\n"
          "logout\n");
      return next();
    }
    if (c == "logout" || c == "exit") {
      print("Bye.\n");
      if (session) return finish();
      who.reset();
      stage = Stage::User;
      return next();
    }
    if (c == "show" && w.size() >= 2) return show(w);
    if (c == "gaiconfig") return gaiconfig(w);
    if (c == "reboot" || c == "poweroff") {
      if (!mayChange()) {
        print("Only root and admin may do that.\n");
        return next();
      }
      print(c == "reboot" ? "Rebooting.\n" : "Powering off.\n");
      services.shutdown(c == "reboot" ? SIGINT : SIGTERM);
      return next();
    }
    print(fmt::format("Unknown command '{}'; type help.\n", c));
    next();
  }

  void show(const std::vector<std::string>& w) {
    const std::string& what = w[1];
    if (what == "status") {
      config::Snapshot cfg = services.config.snapshot();
      const platform::Board& b = services.board;
      print(fmt::format("hostname   {}\nproduct    {} ({} {})\nversion    {}.default\nuptime     {}\n"
                        "services   {}\n",
                        cfg->get("HOSTNAME"), b.productName, b.hardware, b.hardwareVersion, build::version,
                        log::uptimeText(services.clock.uptime()), services.supervisor.list().size()));
      if (services.authenticator.factoryPasswordsInUse()) {
        print("WARNING    the factory passwords of admin or root are still in use\n");
      }
      return next();
    }
    if (what == "interfaces") {
      print(interfacesText());
      return next();
    }
    if (what == "services") {
      for (const ServiceStatus& s : services.supervisor.list()) {
        print(fmt::format("{:<16} {:<9} pid {} restarts {}\n", s.name, stateName(s.state), s.pid, s.restarts));
      }
      if (services.supervisor.list().empty()) print("no supervised services\n");
      return next();
    }
    if (what == "log") {
      std::size_t count = 20;
      if (w.size() >= 3) {
        auto n = toNumber<std::size_t>(w[2]);
        if (!n) {
          print("show log N: N is a number\n");
          return next();
        }
        count = std::min<std::size_t>(*n, 1000);
      }
      busy = true;
      log::Query q;
      q.tail = count;
      auto database = services.logDatabase;
      auto flush = services.flushLog;
      bool queued = services.workers.submit<std::string>(
          [database, q, flush] {
            if (flush) flush();
            auto entries = log::query(database, q);
            if (!entries) return entries.error() + "\n";
            std::string text;
            for (const auto& e : *entries) text += log::formatLine(e) + "\n";
            return text;
          },
          [self = shared_from_this()](std::string text) {
            self->print(std::move(text));
            self->next();
          });
      if (!queued) {
        print("The device is busy; try again.\n");
        next();
      }
      return;
    }
    print(fmt::format("show: unknown '{}'; type help.\n", what));
    next();
  }

  void gaiconfig(const std::vector<std::string>& w) {
    json request;
    if (w.size() == 3 && w[1] == "--get") {
      request = {{"op", "get"}, {"path", w[2]}};
    } else if (w.size() == 2 && w[1] == "--get-all") {
      request = {{"op", "get-all"}};
    } else if (w.size() >= 3 && w[1] == "--set") {
      if (!mayChange()) {
        print("Only root and admin may change the configuration.\n");
        return next();
      }
      std::string value;
      for (std::size_t i = 3; i < w.size(); ++i) value += (i > 3 ? " " : "") + w[i];
      request = {{"op", "set"}, {"path", w[2]}, {"value", value}};
    } else {
      print("gaiconfig --get PATH | --set PATH VALUE | --get-all\n");
      return next();
    }
    busy = true;
    config::Actor actor{who->user, std::string(auth::roleName(who->role)), "Console"};
    config::handleConfigRequest(services.config, request.dump(), {actor, services.dataDir, &services.workers},
                                [self = shared_from_this()](std::string answer) {
                                  json doc = json::parse(answer, nullptr, false);
                                  if (doc.is_discarded()) {
                                    self->print("malformed answer\n");
                                  } else if (!doc.value("ok", false)) {
                                    self->print(doc.value("error", std::string("failed")) + "\n");
                                  } else if (doc.contains("value")) {
                                    self->print(doc["value"].get<std::string>() + "\n");
                                  } else if (doc.contains("atv")) {
                                    self->print(doc["atv"].get<std::string>());
                                  }
                                  self->next();
                                });
  }

  void stop() {
    if (stopped) return;
    stopped = true;
    echo(true);
    boost::system::error_code ignored;
    in.close(ignored);
    out.close(ignored);
    if (services.ended) services.ended();
  }
};

Console::Console(boost::asio::io_context& io, int inFd, int outFd, ConsoleServices services)
    : impl_(std::make_shared<Impl>(io, inFd, outFd, std::move(services))) {}

Console::~Console() { stop(); }

void Console::start() {
  impl_->print(fmt::format("\nbulwark {} on {} — serial console\n", build::version, impl_->services.board.productName));
  impl_->prompt();
  impl_->read();
}

void Console::startSession(const auth::Identity& who, const std::string& command) {
  impl_->who = who;
  impl_->stage = Impl::Stage::Shell;
  impl_->session = true;
  if (!command.empty()) {
    impl_->oneShot = true;
    impl_->busy = true;
    impl_->onLine(command);
    return;
  }
  impl_->print(fmt::format("bulwark {} on {}. Welcome, {} ({}). Type help for the commands.\n", build::version,
                           impl_->services.board.productName, who.user, auth::roleName(who.role)));
  impl_->prompt();
  impl_->read();
}

void Console::stop() { impl_->stop(); }

}  // namespace bulwark::init
