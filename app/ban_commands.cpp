#include "app/ban_commands.hpp"

#include <algorithm>
#include <charconv>
#include <ostream>
#include <stdexcept>

#include "app/commands.hpp"
#include "store/database.hpp"
#include "store/service_bans.hpp"
#include "xmpp/jid.hpp"

namespace commonroom::app {

namespace {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int parse_days(const std::string& text) {
  int days = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), days);
  if (ec != std::errc() || end != text.data() + text.size() || days <= 0)
    throw UsageError("ban place: --days needs a whole number of days above 0, got \"" + text +
                     "\"");
  return days;
}

}  // namespace

std::string ban_subject(const std::string& text) {
  xmpp::Jid jid = [&] {
    try {
      return xmpp::Jid::parse(text);
    } catch (const xmpp::JidError& e) {
      throw std::invalid_argument("\"" + text + "\" is not a JID or domain: " + e.what());
    }
  }();
  if (jid.has_resource())
    throw std::invalid_argument("\"" + text +
                                "\" has a resource; ban the bare JID (user@domain) or a domain");
  return std::string(jid.has_node() ? jid.bare_str() : jid.domain());
}

int ban_command(const Config& config, const std::vector<std::string>& args, std::ostream& out,
                std::ostream& err) {
  try {
    if (args.empty()) throw UsageError("ban: which subcommand? (place, lift, list)");
    const std::string& sub = args[0];
    if (sub != "place" && sub != "lift" && sub != "list")
      throw UsageError("ban: unknown subcommand \"" + sub + "\" (expected place, lift or list)");
    std::vector<std::string> positional;
    std::string reason, by;
    std::optional<int> days;
    bool force = false;
    for (size_t i = 1; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto value = [&](const std::string& name) {
        if (a.size() > name.size() && a[name.size()] == '=') return a.substr(name.size() + 1);
        if (i + 1 >= args.size()) throw UsageError("ban " + sub + ": " + name + " needs a value");
        return args[++i];
      };
      auto is = [&](const std::string& name) { return a == name || a.starts_with(name + "="); };
      if (sub == "place" && is("--reason")) {
        reason = value("--reason");
      } else if (sub == "place" && is("--days")) {
        days = parse_days(value("--days"));
      } else if (sub == "place" && a == "--force") {
        force = true;
      } else if (sub != "list" && is("--by")) {
        by = value("--by");
      } else if (!a.starts_with("-")) {
        positional.push_back(a);
      } else {
        throw UsageError("ban " + sub + ": unexpected " + a);
      }
    }
    if (sub == "list" && !positional.empty())
      throw UsageError("ban list: unexpected " + positional[0]);
    if (sub != "list" && positional.size() != 1)
      throw UsageError("ban " + sub + ": expected one JID or domain");
    if (sub == "place" && reason.empty())
      throw UsageError("ban place: --reason is required (the banned user sees it)");
    if (sub != "list" && by.empty()) throw UsageError("ban " + sub + ": --by is required");

    std::string subject;
    if (sub != "list") {
      try {
        subject = ban_subject(positional[0]);
      } catch (const std::invalid_argument& e) {
        throw UsageError("ban " + sub + ": " + e.what());
      }
    }
    const auto& locals = config.policy.local_domains;
    if (sub == "place" && !force &&
        std::find(locals.begin(), locals.end(), subject) != locals.end()) {
      err << "ban place: " << subject
          << " is a local domain: banning it locks every local user out of every room."
             " Add --force if that is really meant.\n";
      return kExitFailure;
    }
    if (config.database_uri.empty()) {
      err << config.path << ": [database] uri: missing; service-wide bans live in PostgreSQL\n";
      return kExitFailure;
    }
    try {
      store::Database db(config.database_uri);
      if (sub == "list") {
        const auto active = store::active_service_bans(db.connection());
        if (active.bans.empty()) out << "no service-wide bans\n";
        for (const auto& b : active.bans) {
          out << b.subject << " since " << b.set_at << " by " << b.set_by;
          out << (b.expires_at.empty() ? std::string(", until lifted") : ", until " + b.expires_at);
          out << ": " << b.reason << "\n";
        }
      } else if (sub == "place") {
        const auto b = store::place_service_ban(db.connection(), subject, reason, by, days);
        out << subject << " is banned from every room"
            << (b.expires_at.empty() ? std::string(" until lifted") : " until " + b.expires_at)
            << " (ban " << b.id << ")\n";
      } else {
        store::lift_service_ban(db.connection(), subject, by);
        out << "ban on " << subject << " lifted\n";
      }
      return kExitOk;
    } catch (const std::exception& e) {
      err << "ban " << sub << ": " << e.what() << "\n";
      return kExitFailure;
    }
  } catch (const UsageError& e) {
    err << "commonroom: " << e.what() << "\nTry 'commonroom --help'.\n";
    return kExitUsage;
  }
}

}  // namespace commonroom::app
