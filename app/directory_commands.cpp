#include "app/directory_commands.hpp"

#include <Poco/Logger.h>

#include <ctime>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "app/commands.hpp"
#include "app/logging.hpp"
#include "directory/ldap_mapping.hpp"
#include "directory/ldap_sync.hpp"
#include "directory/sync_job.hpp"
#include "store/directory_store.hpp"

namespace commonroom::app {

namespace {

using Clock = std::chrono::system_clock;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

std::string utc(Clock::time_point t) {
  if (t == Clock::time_point{}) return "-";
  const std::time_t secs = Clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%SZ", &tm);
  return buf;
}

std::string seconds(Clock::duration d) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(1)
    << std::chrono::duration_cast<std::chrono::milliseconds>(d).count() / 1000.0 << " s";
  return s.str();
}

std::string describe(const directory::SyncRunRecord& r) {
  const auto& c = r.counts;
  std::string text = std::string(directory::to_string(r.kind)) + " sync " +
                     std::string(directory::to_string(r.status));
  if (r.finished_at != Clock::time_point{}) text += " in " + seconds(r.finished_at - r.started_at);
  text += ": " + std::to_string(c.people_seen) + " people seen, " + std::to_string(c.added) +
          " added, " + std::to_string(c.updated) + " updated, " + std::to_string(c.removed) +
          " removed";
  if (c.rejected) text += ", " + std::to_string(c.rejected) + " skipped (no usable uid)";
  if (c.opted_out) text += ", " + std::to_string(c.opted_out) + " opted out";
  text += "; " + std::to_string(c.institutions_seen) + " institutions, " +
          std::to_string(c.groups_seen) + " groups";
  return text;
}

bool need(const Config& config, bool ldap, std::ostream& err) {
  bool ok = true;
  if (ldap && !config.ldap) {
    err << config.path << ": [ldap]: missing; the directory sync needs an [ldap] section\n";
    ok = false;
  }
  if (config.database_uri.empty()) {
    err << config.path << ": [database] uri: missing; the directory lives in PostgreSQL\n";
    ok = false;
  }
  return ok;
}

int sync_command(const Config& config, const std::vector<std::string>& args, std::ostream& out,
                 std::ostream& err) {
  directory::SyncRequest request;
  for (size_t i = 1; i < args.size(); ++i) {
    if (args[i] == "--full")
      request.kind = directory::SyncKind::full;
    else if (args[i] == "--force")
      request.force = true;
    else
      throw UsageError("directory sync: unexpected " + args[i] + " (options: --full, --force)");
  }
  if (request.force && request.kind != directory::SyncKind::full)
    throw UsageError("directory sync: --force only applies to --full");
  if (!need(config, true, err)) return kExitFailure;
  setup_logging(config.logging);
  const auto record = run_directory_sync(config, request);
  if (record.status == directory::RunStatus::failed) {
    err << "directory sync failed; the stored directory is unchanged: " << record.error << "\n";
    return kExitFailure;
  }
  out << describe(record) << "\n";
  if (record.status == directory::RunStatus::partial) {
    err << "warning: " << record.error << "\n";
    return kExitSyncPartial;
  }
  return kExitOk;
}

int opt_command(const Config& config, const std::vector<std::string>& args, std::ostream& out,
                std::ostream& err) {
  const bool out_of = args[0] == "opt-out";
  std::string uid_arg, note;
  for (size_t i = 1; i < args.size(); ++i) {
    if (out_of && (args[i] == "--note" || args[i].starts_with("--note="))) {
      if (args[i] == "--note") {
        if (i + 1 >= args.size()) throw UsageError("directory opt-out: --note needs a value");
        note = args[++i];
      } else {
        note = args[i].substr(7);
      }
    } else if (!args[i].starts_with("-") && uid_arg.empty()) {
      uid_arg = args[i];
    } else {
      throw UsageError("directory " + args[0] + ": unexpected " + args[i]);
    }
  }
  if (uid_arg.empty()) throw UsageError("directory " + args[0] + ": which uid (CRSid)?");
  const auto uid = directory::normalize_uid(uid_arg);
  if (!uid) {
    err << "directory " << args[0] << ": \"" << uid_arg << "\" is not a uid (CRSid)\n";
    return kExitFailure;
  }
  if (note.size() > 1000) {
    err << "directory opt-out: the note is longer than 1000 bytes\n";
    return kExitFailure;
  }
  if (!need(config, false, err)) return kExitFailure;
  try {
    store::Database db(config.database_uri);
    store::DirectoryStore st(db);
    if (out_of) {
      const bool fresh = st.opt_out(*uid, directory::clean_text(note));
      out << *uid
          << (fresh ? " opted out of the directory; removed now and skipped by every sync\n"
                    : " had already opted out (note updated)\n");
    } else if (st.opt_in(*uid)) {
      out << *uid << " opted back in; they reappear with the next full sync\n";
    } else {
      out << *uid << " had not opted out\n";
    }
    return kExitOk;
  } catch (const std::exception& e) {
    err << "directory " << args[0] << ": " << e.what() << "\n";
    return kExitFailure;
  }
}

int status_command(const Config& config, std::ostream& out, std::ostream& err) {
  if (!need(config, false, err)) return kExitFailure;
  try {
    store::Database db(config.database_uri);
    store::DirectoryStore st(db);
    out << "people: " << st.people_count() << "\n";
    out << "opted out: " << st.opt_outs().size() << "\n";
    const auto runs = st.recent_runs(10);
    if (runs.empty()) out << "no sync has run yet\n";
    for (const auto& r : runs) {
      out << "run " << r.id << " started " << utc(r.started_at) << ": " << describe(r) << "\n";
      if (!r.error.empty()) out << "    " << r.error << "\n";
    }
    return kExitOk;
  } catch (const std::exception& e) {
    err << "directory status: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace

directory::SyncRunRecord run_directory_sync(const Config& config, directory::SyncRequest request) {
  // A fresh connection per run: a database restart between runs costs nothing.
  try {
    store::Database db(config.database_uri);
    store::DirectoryStore st(db);
    directory::LdapSync sync(*config.ldap, st, directory::ldap_source_factory(*config.ldap),
                             [] { return Clock::now(); });
    return sync.run(request);
  } catch (const std::exception& e) {
    directory::SyncRunRecord r;
    r.kind = request.kind;
    r.status = directory::RunStatus::failed;
    r.started_at = r.finished_at = Clock::now();
    r.error = e.what();
    Poco::Logger::get("directory").error("directory sync: cannot start: " + r.error);
    return r;
  }
}

int directory_command(const Config& config, const std::vector<std::string>& args, std::ostream& out,
                      std::ostream& err) {
  try {
    if (args.empty())
      throw UsageError("directory: which subcommand? (sync, opt-out, opt-in, status)");
    if (args[0] == "sync") return sync_command(config, args, out, err);
    if (args[0] == "opt-out" || args[0] == "opt-in") return opt_command(config, args, out, err);
    if (args[0] == "status" && args.size() == 1) return status_command(config, out, err);
    throw UsageError("directory: unknown subcommand \"" + args[0] +
                     "\" (expected sync, opt-out, opt-in or status)");
  } catch (const UsageError& e) {
    err << "commonroom: " << e.what() << "\nTry 'commonroom --help'.\n";
    return kExitUsage;
  }
}

std::unique_ptr<directory::SyncJob> start_directory_sync(const Config& config) {
  auto& log = Poco::Logger::get("directory");
  if (!config.ldap) return nullptr;
  if (!config.ldap->scheduled) {
    log.information("directory sync: schedule = false; run `commonroom directory sync` to sync");
    return nullptr;
  }
  if (config.database_uri.empty()) {
    log.warning("directory sync: [ldap] is set but [database] is not; not syncing");
    return nullptr;
  }
  directory::SyncSchedule schedule(*config.ldap);
  try {
    store::Database db(config.database_uri);
    store::DirectoryStore st(db);
    schedule.restore(st.sync_history());
  } catch (const std::exception& e) {
    // The first run will fail the same way and be retried with backoff.
    log.warning(std::string("directory sync: cannot read the sync history: ") + e.what());
  }
  auto job =
      std::make_unique<directory::SyncJob>(std::move(schedule), [config](directory::SyncKind kind) {
        return run_directory_sync(config, directory::SyncRequest{kind, false});
      });
  job->start();
  return job;
}

}  // namespace commonroom::app
