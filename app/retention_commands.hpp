// `commonroom retention purge` and `commonroom hold place|release|list`.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace commonroom::app {

// args are what follows "retention" / "hold". Exit codes: 0 ok, 1 failure, 2 usage.
int retention_command(const Config& config, const std::vector<std::string>& args, std::ostream& out,
                      std::ostream& err);
int hold_command(const Config& config, const std::vector<std::string>& args, std::ostream& out,
                 std::ostream& err);

inline constexpr const char* kRetentionUsage =
    "  retention purge\n"
    "                 purge room events older than [policy] retention_days now, except\n"
    "                 rooms and users under a legal hold; recorded in the audit table\n"
    "  hold place room|user JID --reason TEXT --by WHO\n"
    "                 place a legal hold: the room's events, or the user's, are kept\n"
    "  hold release room|user JID --by WHO\n"
    "                 release a legal hold (the next purge removes what has expired)\n"
    "  hold list      the legal holds in force\n";

}  // namespace commonroom::app
