// The commonroom command line: parses arguments and runs run / check-config / migrate.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace commonroom::app {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // bad configuration, database trouble, runtime error
inline constexpr int kExitUsage = 2;    // bad command line

inline constexpr const char* kDefaultConfigPath = "/etc/commonroom/commonroom.ini";

// Runs the whole program for argv[1..]; out is for results, err for errors and warnings.
int run_command_line(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// The schema/ directory used by migrate when --schema is not given: the source tree's when
// it exists (development builds), else the installed one (<prefix>/share/commonroom/schema).
std::string default_schema_dir();

// Starts logging, the runtime (host connections) and the admin web, then blocks until
// SIGTERM or SIGINT and stops everything (SIGHUP reloads what it can). Returns the process exit
// code.
int run_service(const Config& config);

}  // namespace commonroom::app
