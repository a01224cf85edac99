// The support snapshot of reference 11.5.1 (nph-diag.cgi?cmd=snapshot and the
// WBM's Support >> Snapshot): a .tar.gz with the configuration as an ATV
// profile without secrets (password hashes blanked; private keys are never
// read), the runtime parameters, the versions, every log entry and the VPN
// diagnostics of the last 100 synup commands (vpn-diagnostics.txt). Written
// on a worker into a temporary file that the web server streams and removes.
#pragma once

#include <ctime>
#include <filesystem>
#include <string>
#include <vector>

#include "common/status.hpp"

namespace bulwark::support {

struct ArchiveFile {
  std::string name;  // path inside the archive, "snapshot/config.atv"
  std::string content;
};

// A gzip-compressed ustar archive of `files` at `path`.
Status writeTarGz(const std::filesystem::path& path, const std::vector<ArchiveFile>& files, std::time_t mtime);

struct SnapshotInput {
  std::string directory;      // top folder inside the archive
  std::string configAtv;      // already without secrets
  std::string runtimeText;    // key=value lines
  std::string versionsText;   // key=value lines
  std::filesystem::path logDatabase;
  // The lines of the last synup commands (IpsecService::synupDiagnostics):
  // no secrets in them. "" leaves the file out.
  std::string vpnDiagnostics;
};

// Writes the snapshot into a new file in `dir` and returns its path. Blocking.
Result<std::filesystem::path> writeSnapshot(const SnapshotInput& input, const std::filesystem::path& dir);

}  // namespace bulwark::support
