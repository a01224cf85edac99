// `bulwark log`: prints stored log lines, filtered by tag, time and text.
#pragma once

namespace bulwark::log {

int logMain(int argc, char** argv);

}  // namespace bulwark::log
