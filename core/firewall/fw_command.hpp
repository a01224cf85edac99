// `bulwark fw show`: the packet filter a configuration makes, in nft syntax.
#pragma once

namespace bulwark::firewall {

int fwMain(int argc, char** argv);

}  // namespace bulwark::firewall
