// Where certificates and keys live on the data partition:
//   <dataDir>/pki/                       0700
//   <dataDir>/pki/device.crt, device.key  the device's self-signed HTTPS identity
//   <dataDir>/pki/machine/<rowId>.crt|.key  imported machine certificates, by
//                                        the row id of their configuration row
// Key files are 0600. Every file is written to a temporary file in the same
// directory, fsynced, renamed into place, and the directory fsynced. A power
// cut between the renames of a pair can leave a key with the wrong
// certificate: the device identity then heals itself (a mismatch makes a new
// one), a machine identity refuses to load. Nothing here logs or returns key
// material in an error. File I/O and key generation: call from a worker.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "common/status.hpp"
#include "pki/certificate.hpp"
#include "runtime/clock.hpp"

namespace bulwark::pki {

struct DeviceIdentity {
  TlsIdentity identity;
  bool created = false;  // made now (the caller logs `note`)
  std::string note;      // why it was made: "none existed yet", "device.key does not belong to device.crt", ...
};

// The device's HTTPS identity. The stored pair is used when both files
// parse, the key belongs to the certificate, the certificate is made out to
// `deviceSerial` and it has not expired by `clock`. Otherwise a new one is
// made (makeSelfSignedCertificate) and stored over the old files. A
// certificate that is not valid yet is kept: the clock of a device without a
// battery-backed RTC is wrong until NTP has answered.
Result<DeviceIdentity> ensureDeviceCertificate(const std::filesystem::path& dataDir, std::string_view deviceSerial,
                                               const runtime::Clock& clock);

// Row ids are the file names: 1 to 64 characters of [A-Za-z0-9], so a row
// id can never reach outside the machine directory.
bool isValidRowId(std::string_view rowId);

// Stores a checked identity (checkIdentity) for the row, replacing any before.
Status storeMachineIdentity(const std::filesystem::path& dataDir, std::string_view rowId,
                            const TlsIdentity& identity);
// The stored identity of the row; an error when there is none or it does not check.
Result<TlsIdentity> loadMachineIdentity(const std::filesystem::path& dataDir, std::string_view rowId);
// Removes the row's files; removing what is not there is fine.
Status removeMachineIdentity(const std::filesystem::path& dataDir, std::string_view rowId);

}  // namespace bulwark::pki
