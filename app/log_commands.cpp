#include "app/log_commands.hpp"

#include <charconv>
#include <fstream>
#include <iterator>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>

#include "app/commands.hpp"
#include "store/database.hpp"
#include "store/evidence_bundle.hpp"
#include "store/log_audit.hpp"

namespace commonroom::app {

namespace {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

int number(const std::string& option, const std::string& text, int low, int high) {
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < low || v > high)
    throw UsageError(option + " needs a whole number from " + std::to_string(low) + " to " +
                     std::to_string(high) + ", got \"" + text + "\"");
  return v;
}

struct LogArgs {
  store::CaseAccess who;
  store::LogQuery query;
  store::ContextRef ref;
  std::string after_cursor, output;
  int limit = 50, before = 10, after = 10, max = 100000;
  bool json = false;
};

LogArgs parse(const std::string& sub, const std::vector<std::string>& args) {
  LogArgs a;
  const bool context = sub == "context";
  for (size_t i = 1; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto is = [&](const std::string& name) { return arg == name || arg.starts_with(name + "="); };
    auto value = [&](const std::string& name) {
      if (arg.size() > name.size() && arg[name.size()] == '=') return arg.substr(name.size() + 1);
      if (i + 1 >= args.size()) throw UsageError("logs " + sub + ": " + name + " needs a value");
      return args[++i];
    };
    if (is("--case")) {
      a.who.case_ref = value("--case");
    } else if (is("--by")) {
      a.who.actor = value("--by");
    } else if (is("--room")) {
      const std::string room = value("--room");
      if (context) {
        if (!a.ref.room.empty()) throw UsageError("logs context: one --room");
        a.ref.room = room;
      } else {
        a.query.rooms.push_back(room);
      }
    } else if (context && is("--event")) {
      a.ref.event_id = value("--event");
    } else if (context && is("--stanza-id")) {
      a.ref.stanza_id = value("--stanza-id");
    } else if (context && is("--at")) {
      a.ref.at = value("--at");
    } else if (context && is("--before")) {
      a.before = number("--before", value("--before"), 0, 1000);
    } else if (context && is("--after")) {
      a.after = number("--after", value("--after"), 0, 1000);
    } else if (!context && is("--user")) {
      a.query.users.push_back(value("--user"));
    } else if (!context && is("--nick")) {
      a.query.nicks.push_back(value("--nick"));
    } else if (!context && is("--occupant-id")) {
      a.query.occupant_ids.push_back(value("--occupant-id"));
    } else if (!context && is("--words")) {
      if (!a.query.words.empty()) throw UsageError("logs " + sub + ": one --words");
      a.query.words = value("--words");
    } else if (!context && is("--from")) {
      a.query.from = value("--from");
    } else if (!context && is("--to")) {
      a.query.to = value("--to");
    } else if (!context && is("--kind")) {
      a.query.kinds.push_back(value("--kind"));
    } else if (!context && arg == "--all-kinds") {
      a.query.all_kinds = true;
    } else if (sub == "search" && is("--limit")) {
      a.limit = number("--limit", value("--limit"), 1, 1000);
    } else if (sub == "search" && is("--after")) {
      a.after_cursor = value("--after");
    } else if (sub == "export" && (is("--output") || arg == "-o")) {
      a.output = value(arg == "-o" ? "-o" : "--output");
    } else if (sub == "export" && is("--max")) {
      a.max = number("--max", value("--max"), 1, 1000000);
    } else if (sub != "export" && arg == "--json") {
      a.json = true;
    } else {
      throw UsageError("logs " + sub + ": unexpected " + arg);
    }
  }
  if (a.who.case_ref.empty())
    throw UsageError("logs " + sub + ": --case is required (the complaint's reference)");
  if (a.who.actor.empty()) throw UsageError("logs " + sub + ": --by is required (who is looking)");
  if (a.query.all_kinds && !a.query.kinds.empty())
    throw UsageError("logs " + sub + ": --kind and --all-kinds exclude each other");
  if (sub == "export" && a.output.empty()) throw UsageError("logs export: -o FILE is required");
  return a;
}

void print_event(std::ostream& out, const store::LogEvent& e, bool anchor) {
  out << (anchor ? "> " : "  ") << e.occurred_at << "  " << e.room << "  " << e.kind << "  "
      << (e.actor_jid.empty() ? "(service)" : e.actor_jid);
  if (!e.actor_nick.empty()) out << " as " << e.actor_nick;
  if (!e.occupant_id.empty()) out << " [occupant-id " << e.occupant_id << "]";
  if (!e.target.empty()) out << " -> " << e.target;
  if (!e.body.empty()) out << ": " << e.body;
  if (!e.detail.empty() && e.detail != "{}") out << "  " << e.detail;
  out << "\n";
  if (!e.retracted_at.empty())
    out << "      RETRACTED " << e.retracted_at << " by " << e.retracted_by
        << (e.retraction_reason.empty() ? "" : ": " + e.retraction_reason)
        << " (original text shown above)\n";
  out << "      event " << e.event_id << (e.stanza_id.empty() ? "" : "  stanza-id " + e.stanza_id)
      << "\n";
}

int search(store::Database& db, const LogArgs& a, std::ostream& out) {
  auto page = store::audited_search(db.connection(), a.who, a.query, a.after_cursor, a.limit);
  if (a.json) {
    for (const auto& e : page.events) out << store::log_event_json(e) << "\n";
    if (!page.next.empty()) out << "{\"next\":\"" << page.next << "\"}\n";
    return kExitOk;
  }
  for (const auto& o : page.occupants)
    out << "occupant-id " << o.occupant_id << " in " << o.room << " is " << o.bare_jid << "\n";
  for (const auto& e : page.events) print_event(out, e, false);
  out << page.events.size() << " event(s)";
  if (!page.next.empty()) out << "; older ones: --after " << page.next;
  out << "\ncontext of one: commonroom logs context --case " << a.who.case_ref
      << " --by WHO --event EVENT_ID\n";
  return kExitOk;
}

int context(store::Database& db, const LogArgs& a, std::ostream& out) {
  auto ctx = store::audited_context(db.connection(), a.who, a.ref, a.before, a.after);
  if (a.json) {
    for (size_t i = 0; i < ctx.events.size(); ++i)
      out << store::log_event_json(ctx.events[i]) << "\n";
    return kExitOk;
  }
  out << "room " << ctx.room << ", " << ctx.events.size() << " event(s), oldest first";
  if (ctx.anchor >= 0) out << "; > marks " << ctx.events[ctx.anchor].event_id;
  out << "\n";
  for (size_t i = 0; i < ctx.events.size(); ++i)
    print_event(out, ctx.events[i], static_cast<int>(i) == ctx.anchor);
  return kExitOk;
}

int export_bundle(store::Database& db, const LogArgs& a, std::ostream& out, std::ostream& err) {
  auto r = store::audited_export(db.connection(), a.who, a.query, a.max);
  // Written beside the target and renamed, so a partial file never has the final name.
  const std::string tmp = a.output + ".part";
  {
    std::ofstream f(tmp, std::ios::binary | std::ios::trunc);
    f.write(r.archive.data(), static_cast<std::streamsize>(r.archive.size()));
    f.close();
    if (!f) {
      err << "logs export: cannot write " << tmp
          << " (the export is recorded in the audit trail all the same)\n";
      return kExitFailure;
    }
  }
  if (std::rename(tmp.c_str(), a.output.c_str()) != 0) {
    err << "logs export: cannot rename " << tmp << " to " << a.output << "\n";
    return kExitFailure;
  }
  out << "exported " << r.messages << " event(s) for case " << a.who.case_ref << " to " << a.output
      << "\n"
      << "archive sha256 " << r.archive_sha256 << "\n"
      << "manifest sha256 " << r.manifest_sha256 << "\n";
  return kExitOk;
}

}  // namespace

int logs_verify(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  if (args.size() != 2) {
    err << "commonroom: logs verify: expected one FILE\nTry 'commonroom --help'.\n";
    return kExitUsage;
  }
  std::ifstream f(args[1], std::ios::binary);
  if (!f) {
    err << "logs verify: cannot read " << args[1] << "\n";
    return kExitFailure;
  }
  const std::string archive((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  try {
    const auto c = store::verify_bundle(archive);
    out << args[1] << ": OK, " << c.files_checked << " file(s) match the manifest\n"
        << "case " << c.case_ref << ", exported by " << c.exported_by << " at " << c.exported_at
        << ", " << c.messages << " event(s)\n"
        << "query " << c.query_json << "\n"
        << "manifest sha256 " << c.manifest_sha256
        << " (compare with the log.export row of the audit trail)\n";
    return kExitOk;
  } catch (const store::BundleError& e) {
    err << args[1] << ": FAILED: " << e.what() << "\n";
    return kExitFailure;
  }
}

int logs_command(const Config& config, const std::vector<std::string>& args, std::ostream& out,
                 std::ostream& err) {
  try {
    if (args.empty()) throw UsageError("logs: which subcommand? (search, context, export, verify)");
    const std::string& sub = args[0];
    if (sub == "verify") return logs_verify(args, out, err);
    if (sub != "search" && sub != "context" && sub != "export")
      throw UsageError("logs: unknown subcommand \"" + sub +
                       "\" (expected search, context, export or verify)");
    const LogArgs a = parse(sub, args);
    if (config.database_uri.empty()) {
      err << config.path << ": [database] uri: missing; the abuse log lives in PostgreSQL\n";
      return kExitFailure;
    }
    try {
      store::Database db(config.database_uri);
      if (sub == "search") return search(db, a, out);
      if (sub == "context") return context(db, a, out);
      return export_bundle(db, a, out, err);
    } catch (const store::LogQueryError& e) {
      err << "logs " << sub << ": " << e.what() << "\n";
      return kExitFailure;
    } catch (const std::exception& e) {
      err << "logs " << sub << ": " << e.what() << "\n";
      return kExitFailure;
    }
  } catch (const UsageError& e) {
    err << "commonroom: " << e.what() << "\nTry 'commonroom --help'.\n";
    return kExitUsage;
  }
}

}  // namespace commonroom::app
