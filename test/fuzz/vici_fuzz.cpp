// libFuzzer target for the VICI decoder (vpn/ipsec/vici.hpp): what arrives on
// charon's socket is a stream of frames. The input is such a stream; each
// frame is decoded as a packet. Rejecting is fine; crashing, a sanitizer
// report, or a packet that does not survive encode -> decode unchanged is a
// bug. Its messages are also printed as text, as the logs do.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "vpn/ipsec/vici.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace bulwark::ipsec::vici;
  std::string_view stream(reinterpret_cast<const char*>(data), size);
  while (stream.size() >= 4) {
    auto length = decodeLength(stream.substr(0, 4));
    if (!length) return 0;
    stream.remove_prefix(4);
    if (stream.size() < *length) return 0;
    auto packet = decodePacket(stream.substr(0, *length));
    stream.remove_prefix(*length);
    if (!packet) continue;
    (void)toText(packet->message);
    auto frame = encodeFrame(*packet);
    if (!frame) std::abort();  // what was decoded fits the format
    auto again = decodePacket(std::string_view(*frame).substr(4));
    if (!again || !(*again == *packet)) std::abort();
  }
  return 0;
}
