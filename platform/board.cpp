#include "board.hpp"

#include <openssl/rand.h>

#include <fstream>
#include <sstream>

#include <fmt/format.h>

namespace bulwark::platform {

Result<Board> findBoard(std::string_view name) {
  if (name == "sim") {
    return Board{.name = "sim",
                 .description = "simulated board (development and tests)",
                 .productName = "bulwark sim",
                 .hardware = "SIM",
                 .hardwareVersion = "00000000"};
  }
  if (name == "qemu") {
    return Board{.name = "qemu",
                 .description = "QEMU virtual machine (scripts/run, image/)",
                 .productName = "bulwark qemu",
                 .hardware = "QEMU",
                 .hardwareVersion = "00000001",
                 .ports = {{"XF1", "eth0", Port::Role::External}, {"XF2", "eth1", Port::Role::Internal}},
                 // The image has no modprobe for the kernel to load modules on demand:
                 // all the packet filter, the VPNs and the tests need is loaded at boot.
                 .modules = {// disks and NICs
                             "e1000", "virtio_pci", "virtio_blk", "crc32c_generic", "ext4",
                             // nftables: the packet filter, NAT, NFLOG (nft_counter is part of nf_tables)
                             "nf_tables", "nf_conntrack", "nf_nat", "nft_ct", "nft_nat", "nft_masq",
                             "nft_chain_nat", "nft_reject_inet", "nft_log", "nft_limit", "nfnetlink_log",
                             // IPsec in the kernel (ESP, XFRM) and the ESP algorithms beyond the built-in AES, CBC,
                             // SHA-1/256, HMAC
                             "esp4", "xfrm_user", "authenc", "echainiv", "seqiv", "gcm", "ctr", "sha512_generic",
                             // OpenVPN and kernel-libipsec (tun), test peers in namespaces (veth)
                             "tun", "veth",
                             // the watchdog (QEMU's -device i6300esb)
                             "i6300esb",
                             // the ACPI power button as an input device (system_powerdown)
                             "button", "evdev"},
                 .dataDevice = "/dev/vda",
                 .watchdog = "/dev/watchdog"};
  }
  return Error{fmt::format("Unknown board \"{}\" (known boards: sim, qemu).", name)};
}

const Port* Board::port(Port::Role role) const {
  for (const Port& p : ports) {
    if (p.role == role) return &p;
  }
  return nullptr;
}

Result<std::string> deviceSerial(const Board& board, const std::filesystem::path& dataDir) {
  (void)board;
  auto path = dataDir / "serial";
  std::ifstream in(path);
  std::string serial;
  if (in && std::getline(in, serial) && serial.size() == 10 &&
      serial.find_first_not_of("0123456789") == std::string::npos) {
    return serial;
  }
  unsigned char random[10];
  if (RAND_bytes(random, sizeof random) != 1) return Error{"no randomness for the device serial"};
  serial.clear();
  serial += static_cast<char>('1' + random[0] % 9);
  for (int i = 1; i < 10; ++i) serial += static_cast<char>('0' + random[i] % 10);
  auto temp = dataDir / "serial.new";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << serial << '\n';
    if (!out.flush()) return Error{fmt::format("cannot write {}", temp.string())};
  }
  std::error_code ec;
  std::filesystem::rename(temp, path, ec);
  if (ec) return Error{fmt::format("cannot write {}: {}", path.string(), ec.message())};
  return serial;
}

}  // namespace bulwark::platform
