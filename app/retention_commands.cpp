#include "app/retention_commands.hpp"

#include <charconv>
#include <optional>
#include <ostream>
#include <stdexcept>

#include "app/commands.hpp"
#include "app/retention_job.hpp"
#include "store/database.hpp"
#include "store/retention.hpp"

namespace commonroom::app {

namespace {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

bool need_database(const Config& config, std::ostream& err) {
  if (!config.database_uri.empty()) return true;
  err << config.path << ": [database] uri: missing; the abuse log lives in PostgreSQL\n";
  return false;
}

int usage(std::ostream& err, const std::string& message) {
  err << "commonroom: " << message << "\nTry 'commonroom --help'.\n";
  return kExitUsage;
}

int parse_minutes(const std::string& text) {
  int minutes = -1;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), minutes);
  if (ec != std::errc() || end != text.data() + text.size() || minutes < 0 ||
      minutes > store::kMaxHoldContextMinutes)
    throw UsageError("hold place: --context-minutes needs a whole number from 0 to " +
                     std::to_string(store::kMaxHoldContextMinutes) + ", got \"" + text + "\"");
  return minutes;
}

}  // namespace

std::string describe_coverage(const store::LegalHold& h) {
  const auto& c = h.coverage;
  std::string line = "it covers " + std::to_string(c.total) + " logged events now";
  if (h.kind == "room") return line + " (the room's whole log)";
  return line + ": " + std::to_string(c.own) + " by or about " + h.subject + " and " +
         std::to_string(c.total - c.own) + " others in the same rooms within " +
         std::to_string(h.context_minutes.value_or(0)) + " minutes of those";
}

std::string describe_hold(const store::LegalHold& h) {
  std::string line = h.kind + " " + h.subject;
  if (!h.typed_subject.empty()) line += " (typed as " + h.typed_subject + ")";
  if (h.context_minutes)
    line += " with " + std::to_string(*h.context_minutes) + " minutes of context";
  line += " placed " + h.placed_at + " by " + h.placed_by + ": " + h.reason + "\n";
  if (!h.problem.empty())
    line += "  warning: this hold protects nothing: " + h.problem +
            ". Release it and place a hold on the right JID.\n";
  return line;
}

int retention_command(const Config& config, const std::vector<std::string>& args, std::ostream& out,
                      std::ostream& err) {
  if (args.size() != 1 || args[0] != "purge")
    return usage(err, "retention: expected \"retention purge\"");
  if (!need_database(config, err)) return kExitFailure;
  if (config.retention.days <= 0) {
    err << config.path
        << ": [policy] retention_days is 0 (keep forever); set it to purge room events\n";
    return kExitFailure;
  }
  try {
    const auto r = run_retention_purge(config, "cli");
    out << describe_purge(r, config.retention.days) << "\n";
    return kExitOk;
  } catch (const std::exception& e) {
    err << "retention purge failed; nothing was deleted: " << e.what() << "\n";
    return kExitFailure;
  }
}

int hold_command(const Config& config, const std::vector<std::string>& args, std::ostream& out,
                 std::ostream& err) {
  try {
    if (args.empty()) throw UsageError("hold: which subcommand? (place, release, list)");
    const std::string& sub = args[0];
    if (sub == "list") {
      if (args.size() != 1) throw UsageError("hold list: unexpected " + args[1]);
      if (!need_database(config, err)) return kExitFailure;
      store::Database db(config.database_uri);
      const auto holds = store::list_holds(db.connection());
      if (holds.empty()) out << "no legal holds\n";
      for (const auto& h : holds) out << describe_hold(h);
      return kExitOk;
    }
    if (sub != "place" && sub != "release")
      throw UsageError("hold: unknown subcommand \"" + sub +
                       "\" (expected place, release or list)");
    std::vector<std::string> positional;
    std::string reason, by;
    bool have_reason = false;
    std::optional<int> context_minutes;
    for (size_t i = 1; i < args.size(); ++i) {
      const std::string& a = args[i];
      auto value = [&](const std::string& name) {
        if (a.size() > name.size() && a[name.size()] == '=') return a.substr(name.size() + 1);
        if (i + 1 >= args.size()) throw UsageError("hold " + sub + ": " + name + " needs a value");
        return args[++i];
      };
      if (sub == "place" && (a == "--reason" || a.starts_with("--reason="))) {
        reason = value("--reason");
        have_reason = true;
      } else if (sub == "place" &&
                 (a == "--context-minutes" || a.starts_with("--context-minutes="))) {
        context_minutes = parse_minutes(value("--context-minutes"));
      } else if (a == "--by" || a.starts_with("--by=")) {
        by = value("--by");
      } else if (!a.starts_with("-")) {
        positional.push_back(a);
      } else {
        throw UsageError("hold " + sub + ": unexpected " + a);
      }
    }
    if (positional.size() != 2 || (positional[0] != "room" && positional[0] != "user"))
      throw UsageError("hold " + sub + ": expected room|user JID");
    if (sub == "place" && (!have_reason || reason.empty()))
      throw UsageError("hold place: --reason is required");
    if (by.empty()) throw UsageError("hold " + sub + ": --by is required");
    if (context_minutes && positional[0] != "user")
      throw UsageError("hold place: --context-minutes applies to user holds only");
    if (sub == "place") {
      // A JID that cannot be a hold is refused before any connection is tried.
      try {
        store::prepare_hold_subject(positional[0], positional[1]);
      } catch (const store::HoldError& e) {
        err << "hold place: " << e.what() << "\n";
        return kExitFailure;
      }
    }
    if (!need_database(config, err)) return kExitFailure;
    try {
      store::Database db(config.database_uri);
      if (sub == "place") {
        const auto h = store::place_hold(db.connection(), positional[0], positional[1], reason, by,
                                         context_minutes);
        out << "legal hold " << h.id << " placed on " << h.kind << " " << h.subject;
        if (!h.typed_subject.empty()) out << " (typed as " << h.typed_subject << ")";
        out << "\n" << describe_coverage(h) << "\n";
        // The hold still keeps what is logged later, but a JID nobody has used is more often
        // a typo than a pre-emptive hold: say so while the person placing it is here.
        if (h.coverage.total == 0)
          err << "warning: this hold covers no logged events yet — check the JID (" << h.subject
              << "); events logged from now on are kept\n";
      } else {
        const std::string subject =
            store::release_hold(db.connection(), positional[0], positional[1], by);
        out << "legal hold on " << positional[0] << " " << subject << " released\n";
      }
      return kExitOk;
    } catch (const std::exception& e) {
      err << "hold " << sub << ": " << e.what() << "\n";
      return kExitFailure;
    }
  } catch (const UsageError& e) {
    return usage(err, e.what());
  } catch (const std::exception& e) {
    err << "hold: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace commonroom::app
