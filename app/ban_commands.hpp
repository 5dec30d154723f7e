// `commonroom ban place|lift|list`: service-wide bans (docs/policies.md). The running
// service picks every change up at once (PostgreSQL NOTIFY) and removes banned occupants.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace commonroom::app {

// args are what follows "ban". Exit codes: 0 ok, 1 failure, 2 usage.
int ban_command(const Config& config, const std::vector<std::string>& args, std::ostream& out,
                std::ostream& err);

// The subject as stored: a bare JID prepared (case-folded, normalised), or a domain. Throws
// std::invalid_argument with a message for the user (full JIDs, malformed addresses).
std::string ban_subject(const std::string& text);

inline constexpr const char* kBanUsage =
    "  ban place JID|DOMAIN --reason TEXT --by WHO [--days N] [--force]\n"
    "                 ban a user (bare JID) or a whole domain from every room, at once:\n"
    "                 present occupants are removed (301); --days makes it expire;\n"
    "                 --force is needed to ban one of the local domains\n"
    "  ban lift JID|DOMAIN --by WHO\n"
    "                 lift a service-wide ban\n"
    "  ban list       the service-wide bans in force\n";

}  // namespace commonroom::app
