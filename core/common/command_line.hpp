// Parsing a sub-command's arguments with Boost.Program_options, the same way
// for every mode: errors are printed as "<program>: <reason>" (exit 1),
// --help prints `help` and the options (exit 0).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/program_options.hpp>

namespace bulwark {

// The directories command-line tools work on when none is given:
// $BULWARK_DATA_DIR or /data, $BULWARK_RUN_DIR or /run/bulwark.
std::string defaultDataDir();
std::string defaultRunDir();

// Returns the exit code when the caller should exit right away, nullopt when
// `vm` holds the parsed options.
std::optional<int> parseCommandLine(const std::vector<std::string>& args,
                                    const boost::program_options::options_description& options,
                                    boost::program_options::variables_map& vm, std::string_view program,
                                    std::string_view help = {});

}  // namespace bulwark
