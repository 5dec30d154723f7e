// `commonroom retention purge` and `commonroom hold place|release|list`.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "app/config.hpp"
#include "store/legal_holds.hpp"

namespace commonroom::app {

// args are what follows "retention" / "hold". Exit codes: 0 ok, 1 failure, 2 usage.
int retention_command(const Config& config, const std::vector<std::string>& args, std::ostream& out,
                      std::ostream& err);
int hold_command(const Config& config, const std::vector<std::string>& args, std::ostream& out,
                 std::ostream& err);

// "it covers N logged events now ..." for a hold place_hold returned.
std::string describe_coverage(const store::LegalHold& h);
// One `hold list` entry (a line, and a warning line for a hold that protects nothing).
std::string describe_hold(const store::LegalHold& h);

inline constexpr const char* kRetentionUsage =
    "  retention purge\n"
    "                 purge room events older than [policy] retention_days now, except\n"
    "                 rooms and users under a legal hold; recorded in the audit table\n"
    "  hold place room|user JID --reason TEXT --by WHO [--context-minutes N]\n"
    "                 place a legal hold: the room's events are kept, or the user's and\n"
    "                 the same rooms' N minutes (default 60) before and after each of them;\n"
    "                 prints how many logged events it covers now\n"
    "  hold release room|user JID --by WHO\n"
    "                 release a legal hold (the next purge removes what has expired)\n"
    "  hold list      the legal holds in force\n";

}  // namespace commonroom::app
