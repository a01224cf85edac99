#include <catch2/catch.hpp>

#include "config/config.hpp"
#include "init/ssh.hpp"

using namespace bulwark;

TEST_CASE("dropbear's lines become the reference's sshd lines", "[init][ssh]") {
  using P = std::pair<std::string, std::string>;
  CHECK(init::sshdLogLine("[28654] Nov 27 05:10:11 Password auth succeeded for 'admin' from 192.168.1.55:53721") ==
        P{"sshd[28654]", "Accepted password for admin from 192.168.1.55 port 53721 ssh2"});
  CHECK(init::sshdLogLine("[28766] Mar  6 13:24:10 Bad password attempt for 'admin' from 192.168.1.55:53933") ==
        P{"sshd[28766]", "Failed password for admin from 192.168.1.55 port 53933 ssh2"});
  CHECK(init::sshdLogLine("[28666] Mar  6 13:24:10 Exit (admin) from <192.168.1.55:53716>: Disconnect received") ==
        P{"sshd[28666]", "Closing connection for admin from 192.168.1.55 port 53716"});
  CHECK(init::sshdLogLine("[9] Jan  1 00:00:00 Login attempt for nonexistent user from 10.0.0.1:4000") ==
        P{"sshd[9]", "Failed password for invalid user from 10.0.0.1 port 4000 ssh2"});
  // Other lines keep their text, under the pid's tag; foreign lines as they are.
  CHECK(init::sshdLogLine("[7] Nov 27 05:06:41 Not backgrounding") == P{"sshd[7]", "Not backgrounding"});
  CHECK(init::sshdLogLine("dropbear: something odd") == P{"sshd", "dropbear: something odd"});
  // A user name cannot smuggle a second line or a quote into the translation.
  CHECK(init::sshdLogLine("[1] Nov 27 05:10:11 Password auth succeeded for 'a'b' from 1.2.3.4:5").second ==
        "Password auth succeeded for 'a'b' from 1.2.3.4:5");
}

TEST_CASE("the accounts of SSH come from the configuration", "[init][ssh]") {
  config::Config c = config::factoryDefault(config::Schema::builtin());
  auto files = init::accountFiles(c, "/run/bulwark/bulwark-shell");
  CHECK(files.passwd ==
        "root:x:0:0:root:/root:/bin/sh\n"
        "admin:x:1000:1000:admin:/:/run/bulwark/bulwark-shell\n"
        "netadmin:x:1001:1001:netadmin:/:/run/bulwark/bulwark-shell\n"
        "audit:x:1002:1002:audit:/:/run/bulwark/bulwark-shell\n");
  CHECK(files.shadow.find("root:$6$bulwarkroot00001$") == 0);
  CHECK(files.shadow.find("\nadmin:$6$bulwarkadmin0001$") != std::string::npos);
  // No password: locked.
  CHECK(files.shadow.find("\nnetadmin:!:0:0:99999:7:::\n") != std::string::npos);
  CHECK(files.shadow.find("\naudit:!:0:0:99999:7:::\n") != std::string::npos);
  CHECK(files.shells == "/bin/sh\n/run/bulwark/bulwark-shell\n");
  CHECK(files.group.find("admin:x:1000:\n") != std::string::npos);

  CHECK(init::roleOfUid(1000) == auth::Role::Admin);
  CHECK(init::roleOfUid(1002) == auth::Role::Audit);
  CHECK_FALSE(init::roleOfUid(65534));
  CHECK(init::sessionLimit(c, auth::Role::Admin) == 4);
  CHECK(init::sessionLimit(c, auth::Role::Root) == 0);
  REQUIRE(config::setScalar(config::Schema::builtin(), c, "SSH_AUDIT_LOGIN_ALLOWED_MAX", "2"));
  CHECK(init::sessionLimit(c, auth::Role::Audit) == 2);
}
