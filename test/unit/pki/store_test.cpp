#include <catch2/catch.hpp>

#include <sys/stat.h>

#include "pki/certificate.hpp"
#include "pki/reference_ca.hpp"
#include "pki/store.hpp"
#include "runtime/clock.hpp"
#include "support/support.hpp"

using namespace bulwark;
using namespace bulwark::pki;
using namespace std::chrono;

namespace {

const system_clock::time_point kJan2026 = sys_days(year(2026) / 1 / 1);

mode_t modeOf(const std::filesystem::path& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return st.st_mode & 07777;
}

struct Device {
  test::TempDir data;
  runtime::ManualClock clock{kJan2026};
  std::filesystem::path pki() const { return data.path() / "pki"; }
  Result<DeviceIdentity> ensure(std::string_view serial = "BW0012345") {
    return ensureDeviceCertificate(data.path(), serial, clock);
  }
  // Makes the first identity and returns it.
  TlsIdentity first() {
    auto made = ensure();
    REQUIRE(made);
    REQUIRE(made->created);
    return made->identity;
  }
};

}  // namespace

TEST_CASE("the device certificate is made on the first call and reloaded on the second", "[pki]") {
  Device d;
  auto first = d.ensure();
  REQUIRE(first);
  CHECK(first->created);
  CHECK(first->note == "none existed yet");
  CHECK(modeOf(d.pki()) == 0700);
  CHECK(modeOf(d.pki() / "device.key") == 0600);
  CHECK(modeOf(d.pki() / "device.crt") == 0644);
  CHECK(test::readFile(d.pki() / "device.crt") == first->identity.certificateChainPem);
  CHECK(test::readFile(d.pki() / "device.key") == first->identity.privateKeyPem);
  auto info = describeCertificate(first->identity.certificateChainPem);
  REQUIRE(info);
  CHECK(info->commonName == "BW0012345");
  CHECK(info->subject.find("BW0012345") != std::string::npos);
  CHECK(info->publicKey == "EC P-256");
  // Nothing is left behind but the two files.
  CHECK(std::distance(std::filesystem::directory_iterator(d.pki()), std::filesystem::directory_iterator()) == 2);

  d.clock.advance(hours(24 * 365));
  auto second = d.ensure();
  REQUIRE(second);
  CHECK_FALSE(second->created);
  CHECK(second->note.empty());
  CHECK(second->identity.certificateChainPem == first->identity.certificateChainPem);
  CHECK(second->identity.privateKeyPem == first->identity.privateKeyPem);
}

TEST_CASE("a corrupted device key is replaced by a new identity", "[pki]") {
  Device d;
  TlsIdentity old = d.first();
  test::writeFile(d.pki() / "device.key", "-----BEGIN PRIVATE KEY-----\nbroken\n-----END PRIVATE KEY-----\n");
  auto again = d.ensure();
  REQUIRE(again);
  CHECK(again->created);
  CHECK(again->note.find("the stored pair was unusable: No unencrypted PEM private key could be read") == 0);
  CHECK(again->identity.certificateChainPem != old.certificateChainPem);
  CHECK(keyMatchesCertificate(test::readFile(d.pki() / "device.crt"), test::readFile(d.pki() / "device.key")));
  CHECK(modeOf(d.pki() / "device.key") == 0600);
}

TEST_CASE("a device key that does not belong to the certificate is replaced", "[pki]") {
  Device d;
  d.first();
  auto stranger = makeSelfSignedCertificate("BW0012345", kJan2026);
  REQUIRE(stranger);
  test::writeFile(d.pki() / "device.key", stranger->privateKeyPem);
  auto again = d.ensure();
  REQUIRE(again);
  CHECK(again->created);
  CHECK(again->note == "the stored pair was unusable: The private key does not belong to the certificate.");
  CHECK(keyMatchesCertificate(again->identity.certificateChainPem, again->identity.privateKeyPem));
}

TEST_CASE("a missing half or a damaged certificate makes a new device identity", "[pki]") {
  Device d;
  d.first();
  std::filesystem::remove(d.pki() / "device.crt");
  CHECK(d.ensure()->note == "device.crt was missing");
  std::filesystem::remove(d.pki() / "device.key");
  CHECK(d.ensure()->note == "device.key was missing");
  test::writeFile(d.pki() / "device.crt", "garbage");
  auto again = d.ensure();
  REQUIRE(again);
  CHECK(again->note.find("the stored pair was unusable: The certificate: No PEM certificate found") == 0);
}

TEST_CASE("an expired device certificate is replaced, one not valid yet is kept", "[pki]") {
  Device d;
  TlsIdentity old = d.first();
  d.clock.set(kJan2026 - hours(24 * 365 * 10));  // no RTC, no NTP yet
  auto early = d.ensure();
  REQUIRE(early);
  CHECK_FALSE(early->created);

  d.clock.set(kJan2026 + hours(24 * 7305));
  auto late = d.ensure();
  REQUIRE(late);
  CHECK(late->created);
  CHECK(late->note == "device.crt expired on 2046-01-01 00:00:00 UTC");
  CHECK(late->identity.certificateChainPem != old.certificateChainPem);
}

TEST_CASE("a device certificate made out to another serial number is replaced", "[pki]") {
  Device d;
  d.first();
  auto other = d.ensure("BW999");
  REQUIRE(other);
  CHECK(other->created);
  CHECK(other->note == "device.crt was made out to \"BW0012345\", not to this device");
  CHECK(describeCertificate(other->identity.certificateChainPem)->commonName == "BW999");
}

TEST_CASE("the device key and directory are kept private", "[pki]") {
  Device d;
  d.first();
  std::filesystem::permissions(d.pki() / "device.key", std::filesystem::perms(0644));
  std::filesystem::permissions(d.pki(), std::filesystem::perms(0755));
  auto again = d.ensure();
  REQUIRE(again);
  CHECK_FALSE(again->created);
  CHECK(modeOf(d.pki() / "device.key") == 0600);
  CHECK(modeOf(d.pki()) == 0700);
  CHECK(d.ensure("").error() == "The device serial number is empty.");
}

TEST_CASE("a machine identity is stored, loaded and removed by row id", "[pki]") {
  test::TempDir data;
  test::ReferenceCa& ca = test::sharedCa();
  TlsIdentity identity{test::readFile(ca.certificate("mGuard")) + test::readFile(ca.ca()), ca.clearKey("mGuard")};

  REQUIRE(storeMachineIdentity(data.path(), "MAIv123456789", identity));
  auto machine = data.path() / "pki" / "machine";
  CHECK(modeOf(data.path() / "pki") == 0700);
  CHECK(modeOf(machine) == 0700);
  CHECK(modeOf(machine / "MAIv123456789.key") == 0600);
  CHECK(test::readFile(machine / "MAIv123456789.crt") == identity.certificateChainPem);

  auto loaded = loadMachineIdentity(data.path(), "MAIv123456789");
  REQUIRE(loaded);
  CHECK(loaded->certificateChainPem == identity.certificateChainPem);
  CHECK(loaded->privateKeyPem == identity.privateKeyPem);
  CHECK(loadMachineIdentity(data.path(), "MAIv2").error() == "No machine certificate is stored for row MAIv2.");

  // Storing again replaces.
  auto device = makeSelfSignedCertificate("BW1", kJan2026);
  REQUIRE(device);
  REQUIRE(storeMachineIdentity(data.path(), "MAIv123456789", *device));
  CHECK(loadMachineIdentity(data.path(), "MAIv123456789")->privateKeyPem == device->privateKeyPem);

  REQUIRE(removeMachineIdentity(data.path(), "MAIv123456789"));
  CHECK_FALSE(std::filesystem::exists(machine / "MAIv123456789.crt"));
  CHECK_FALSE(std::filesystem::exists(machine / "MAIv123456789.key"));
  CHECK_FALSE(loadMachineIdentity(data.path(), "MAIv123456789"));
  CHECK(removeMachineIdentity(data.path(), "MAIv123456789"));
  CHECK(std::filesystem::is_empty(machine));
}

TEST_CASE("a machine identity whose key does not match is neither stored nor loaded", "[pki]") {
  test::TempDir data;
  auto a = makeSelfSignedCertificate("A", kJan2026);
  auto b = makeSelfSignedCertificate("B", kJan2026);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(storeMachineIdentity(data.path(), "MAIv1", {a->certificateChainPem, b->privateKeyPem}).message() ==
        "The machine certificate is unusable: The private key does not belong to the certificate.");
  CHECK_FALSE(std::filesystem::exists(data.path() / "pki" / "machine" / "MAIv1.crt"));

  REQUIRE(storeMachineIdentity(data.path(), "MAIv1", *a));
  test::writeFile(data.path() / "pki" / "machine" / "MAIv1.key", b->privateKeyPem);
  CHECK(loadMachineIdentity(data.path(), "MAIv1").error() ==
        "The stored machine certificate of row MAIv1 is unusable: The private key does not belong to the "
        "certificate.");
}

TEST_CASE("row ids that could leave the machine directory are refused", "[pki]") {
  test::TempDir data;
  auto identity = makeSelfSignedCertificate("A", kJan2026);
  REQUIRE(identity);
  for (const std::string& id : std::vector<std::string>{"", "..", "../x", "a/b", "/etc/passwd", "MAIv1.", "MAIv 1", "MAIv1\n", std::string(65, 'a'),
                         std::string("MAIv\0x", 6)}) {
    INFO("row id \"" << id << "\"");
    CHECK_FALSE(isValidRowId(id));
    CHECK(storeMachineIdentity(data.path(), id, *identity).message() ==
          "A machine certificate row id must be 1 to 64 letters and digits.");
    CHECK_FALSE(loadMachineIdentity(data.path(), id));
    CHECK_FALSE(removeMachineIdentity(data.path(), id));
  }
  CHECK(isValidRowId(std::string(64, 'a')));
  CHECK(isValidRowId("MAIv123456789"));
  // Nothing was written anywhere.
  CHECK(std::filesystem::is_empty(data.path()));
}
