// `commonroom logs search|context|export|verify`: the abuse staff's workflow on the command
// line (docs/abuse-handling.md). Every read names a case and is audited.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace commonroom::app {

// args are what follows "logs". Exit codes: 0 ok, 1 failure (also: verify found a
// difference), 2 usage.
int logs_command(const Config& config, const std::vector<std::string>& args, std::ostream& out,
                 std::ostream& err);
// `logs verify FILE` needs no configuration or database.
int logs_verify(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

inline constexpr const char* kLogsUsage =
    "  logs search --case REF --by WHO [FILTERS] [--limit N] [--after CURSOR] [--json]\n"
    "                 find room events, newest first; FILTERS (repeatable, combined with AND):\n"
    "                 --room JID --user JID --nick NICK --occupant-id ID (needs --room)\n"
    "                 --words TEXT (\"phrase\", or, -not; accents and case ignored)\n"
    "                 --from TIME --to TIME (ISO 8601, UTC unless a zone is given)\n"
    "                 --kind KIND (default: groupchat and private_message) | --all-kinds\n"
    "  logs context --case REF --by WHO (--event ID | --stanza-id ID [--room JID]\n"
    "               | --room JID --at TIME) [--before N] [--after N] [--json]\n"
    "                 a message among the N room events before and after it (default 10)\n"
    "  logs export --case REF --by WHO [FILTERS] -o FILE [--max N]\n"
    "                 write an evidence bundle (tar: messages.json, messages.csv, raw\n"
    "                 stanzas, SHA256SUMS, manifest.json); at most N events (100000)\n"
    "  logs verify FILE\n"
    "                 check a bundle's files against its manifest's SHA-256 sums\n";

}  // namespace commonroom::app
