// `bulwark fw show`: the packet filter a configuration makes, in nft syntax;
// `bulwark fw check`: the kernel's verdict on it, nothing applied.
#pragma once

namespace bulwark::firewall {

int fwMain(int argc, char** argv);

}  // namespace bulwark::firewall
