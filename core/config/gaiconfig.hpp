// gaiconfig: the configuration command line (reference 2.19, 3.6, 11.6).
// It talks to the running core over the control socket; when no core runs,
// it works on the store directly (flash-time rollout scripts), holding the
// store lock so the two never work on the store at once.
#pragma once

namespace bulwark::config {

int gaiconfigMain(int argc, char** argv);

}  // namespace bulwark::config
