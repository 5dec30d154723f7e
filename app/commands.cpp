#include "app/commands.hpp"

#include <pthread.h>
#include <signal.h>

#include <Poco/Logger.h>

#include <cstring>
#include <filesystem>
#include <optional>
#include <ostream>

#include "admin-web/server.hpp"
#include "app/admin_commands.hpp"
#include "app/admin_directory_actions.hpp"
#include "app/admin_room_commands.hpp"
#include "app/admin_web_abuse_desk.hpp"
#include "app/admin_web_store.hpp"
#include "app/ban_commands.hpp"
#include "app/config_reload.hpp"
#include "app/directory_commands.hpp"
#include "app/directory_index.hpp"
#include "app/directory_sync_status.hpp"
#include "app/live_policy.hpp"
#include "app/log_commands.hpp"
#include "app/logging.hpp"
#include "app/retention_commands.hpp"
#include "app/retention_job.hpp"
#include "app/runtime.hpp"
#include "app/version.hpp"
#include "directory/sync_job.hpp"
#include "store/database.hpp"
#include "store/event_log.hpp"
#include "store/legal_holds.hpp"
#include "store/migrations.hpp"
#include "store/room_store.hpp"

#ifndef COMMONROOM_SOURCE_SCHEMA_DIR
#define COMMONROOM_SOURCE_SCHEMA_DIR ""
#endif
#ifndef COMMONROOM_INSTALLED_SCHEMA_DIR
#define COMMONROOM_INSTALLED_SCHEMA_DIR "/usr/share/commonroom/schema"
#endif

namespace commonroom::app {

namespace {

constexpr const char* kUsage =
    "usage: commonroom [--config FILE] COMMAND\n"
    "       commonroom --version | --help\n"
    "\n"
    "commands:\n"
    "  run            connect the services to the XMPP server and serve the admin web\n"
    "                 until SIGTERM or SIGINT; SIGHUP re-reads the configuration\n"
    "  check-config   validate the configuration file and report every problem\n"
    "  migrate        bring the PostgreSQL schema up to date ([database] uri)\n"
    "%DIRECTORY%"
    "%RETENTION%"
    "%BAN%"
    "%ADMIN%"
    "%LOGS%"
    "\n"
    "options:\n"
    "  -c, --config FILE   configuration file (default /etc/commonroom/commonroom.ini)\n"
    "      --schema DIR    migrate: directory of NNNN_name.sql files\n"
    "      --keys          check-config: list every [section] key the file may hold\n"
    "      --version       print the version and exit\n"
    "  -h, --help          print this help and exit\n"
    "\n"
    "Every key may be overridden by COMMONROOM_<SECTION>_<KEY>, e.g.\n"
    "COMMONROOM_LINKS_PORT=5347 or COMMONROOM_ADMIN_WEB_LISTEN=127.0.0.1:8480.\n";

struct Options {
  std::string command;
  std::vector<std::string> command_args;  // after "directory": subcommand and its options
  std::string config = kDefaultConfigPath;
  std::optional<std::string> schema;
  bool keys = false;  // check-config --keys
  bool version = false;
  bool help = false;
};

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

Options parse(const std::vector<std::string>& args) {
  Options o;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](const std::string& name) -> std::string {
      auto eq = a.find('=');
      if (a.starts_with("--") && eq != std::string::npos) return a.substr(eq + 1);
      if (i + 1 >= args.size()) throw UsageError(name + " needs a value");
      return args[++i];
    };
    if (a == "--version")
      o.version = true;
    else if (a == "--help" || a == "-h")
      o.help = true;
    else if (a == "--config" || a == "-c" || a.starts_with("--config=")) {
      o.config = value("--config");
      if (o.config.empty()) throw UsageError("--config needs a file name");
    } else if (a == "--schema" || a.starts_with("--schema=")) {
      o.schema = value("--schema");
      if (o.schema->empty()) throw UsageError("--schema needs a directory");
    } else if (a == "--keys") {
      o.keys = true;
    } else if (o.command == "directory" || o.command == "retention" || o.command == "hold" ||
               o.command == "ban" || o.command == "admin" || o.command == "logs") {
      o.command_args.push_back(a);  // the subcommand parses its own options
    } else if (a.starts_with("-") && a != "-") {
      throw UsageError("unknown option " + a);
    } else if (!o.command.empty()) {
      throw UsageError("only one command at a time (got " + o.command + " and " + a + ")");
    } else {
      o.command = a;
    }
  }
  if (o.version || o.help) return o;
  if (o.command.empty())
    throw UsageError(
        "no command given (run, check-config, migrate, directory, retention, hold, ban, admin "
        "or logs)");
  if (o.command != "run" && o.command != "check-config" && o.command != "migrate" &&
      o.command != "directory" && o.command != "retention" && o.command != "hold" &&
      o.command != "ban" && o.command != "admin" && o.command != "logs")
    throw UsageError("unknown command \"" + o.command +
                     "\" (expected run, check-config, migrate, directory, retention, hold, ban, "
                     "admin or logs)");
  if (o.schema && o.command != "migrate") throw UsageError("--schema only applies to migrate");
  if (o.keys && o.command != "check-config")
    throw UsageError("--keys only applies to check-config");
  return o;
}

// Loads and reports: warnings always, errors when there are any. Returns the config if valid.
std::optional<Config> load(const std::string& path, std::ostream& err) {
  ConfigResult result = load_config(path);
  for (const auto& w : result.warnings) err << "warning: " << w.to_string() << "\n";
  for (const auto& e : result.errors) err << e.to_string() << "\n";
  return result.config;
}

int check_config(const Options& o, std::ostream& out, std::ostream& err) {
  if (o.keys) {
    for (const auto& [section, key] : known_keys()) out << "[" << section << "] " << key << "\n";
    return kExitOk;
  }
  if (!load(o.config, err)) return kExitFailure;
  out << o.config << ": OK\n";
  return kExitOk;
}

// From this schema version legal holds have prepared subjects (schema/0008): migrate
// prepares the rows stored before, which SQL cannot do (stringprep is ICU's).
constexpr int kPreparedHoldsVersion = 8;
// From this schema version rooms are stored with their configuration (schema/0004): migrate
// hashes room passwords stored in clear before decision 0036.
constexpr int kStoredRoomsVersion = 4;

int prepare_holds(store::Database& db, std::ostream& out, std::ostream& err) {
  std::vector<store::StoredHoldChange> changes;
  try {
    changes = store::prepare_stored_holds(db.connection());
  } catch (const std::exception& e) {
    err << "migrate: the schema is up to date, but preparing the JIDs of the legal holds failed"
           " (nothing of it was changed; run migrate again): "
        << e.what() << "\n";
    return kExitFailure;
  }
  for (const auto& c : changes) {
    if (!c.problem.empty()) {
      err << "warning: legal hold " << c.id << " (" << c.kind << " \"" << c.from
          << "\") protects nothing: " << c.problem << ". Release it (commonroom hold release "
          << c.kind << " '" << c.from << "' --by WHO) and place a hold on the right JID.\n";
    } else if (c.merged_into != 0) {
      out << "legal hold " << c.id << " (" << c.kind << " " << c.from << ") is " << c.to
          << " once prepared, already held by hold " << c.merged_into << "; released into it\n";
    } else {
      out << "legal hold " << c.id << " (" << c.kind << " " << c.from << ") is now on " << c.to
          << "\n";
    }
  }
  return kExitOk;
}

int migrate(const Options& o, std::ostream& out, std::ostream& err) {
  auto config = load(o.config, err);
  if (!config) return kExitFailure;
  if (config->database_uri.empty()) {
    ConfigError missing;
    missing.file = o.config;
    missing.section = "database";
    missing.key = "uri";
    missing.message = "required by migrate; add a [database] section with uri = postgresql://...";
    err << missing.to_string() << "\n";
    return kExitFailure;
  }
  const std::string dir = o.schema.value_or(default_schema_dir());
  try {
    auto migrations = store::load_migrations(dir);
    store::Database db(config->database_uri);
    auto report = store::apply_migrations(db, migrations, [&out](const store::Migration& m) {
      out << "applied " << m.file_name << "\n" << std::flush;
    });
    if (report.applied.empty())
      out << "database schema is up to date (version " << report.version << ")\n";
    else
      out << "database schema is now at version " << report.version << "\n";
    if (report.version >= kStoredRoomsVersion)
      if (const int hashed = store::RoomStore(db).hash_clear_passwords())
        out << "hashed the passwords of " << hashed << " room(s) stored in clear\n";
    if (report.version >= kPreparedHoldsVersion) return prepare_holds(db, out, err);
    return kExitOk;
  } catch (const store::MigrationError& e) {
    err << "migrate: " << e.what() << "\n";
  } catch (const store::DatabaseError& e) {
    err << "migrate: " << e.what() << "\n";
  }
  return kExitFailure;
}

int run(const Options& o, std::ostream& err) {
  auto config = load(o.config, err);
  if (!config) return kExitFailure;
  return run_service(*config);
}

}  // namespace

std::string default_schema_dir() {
  std::error_code ec;
  // An installed binary (the package, or one unpacked under another root) finds the schema
  // beside itself: <prefix>/bin/commonroom -> <prefix>/share/commonroom/schema.
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const auto beside = exe.parent_path().parent_path() / "share" / "commonroom" / "schema";
    if (std::filesystem::is_directory(beside, ec)) return beside.string();
  }
  const std::string source = COMMONROOM_SOURCE_SCHEMA_DIR;
  if (!source.empty() && std::filesystem::is_directory(source, ec)) return source;
  return COMMONROOM_INSTALLED_SCHEMA_DIR;
}

int run_command_line(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  Options o;
  try {
    o = parse(args);
  } catch (const UsageError& e) {
    err << "commonroom: " << e.what() << "\nTry 'commonroom --help'.\n";
    return kExitUsage;
  }
  if (o.help) {
    std::string usage = kUsage;
    usage.replace(usage.find("%DIRECTORY%"), 11, kDirectoryUsage);
    usage.replace(usage.find("%RETENTION%"), 11, kRetentionUsage);
    usage.replace(usage.find("%BAN%"), 5, kBanUsage);
    usage.replace(usage.find("%ADMIN%"), 7, kAdminUsage);
    usage.replace(usage.find("%LOGS%"), 6, kLogsUsage);
    out << usage;
    return kExitOk;
  }
  if (o.version) {
    out << "commonroom " << kVersion << "\n";
    return kExitOk;
  }
  if (o.command == "check-config") return check_config(o, out, err);
  if (o.command == "migrate") return migrate(o, out, err);
  if (o.command == "directory") {
    auto config = load(o.config, err);
    if (!config) return kExitFailure;
    return directory_command(*config, o.command_args, out, err);
  }
  if (o.command == "retention" || o.command == "hold") {
    auto config = load(o.config, err);
    if (!config) return kExitFailure;
    return o.command == "retention" ? retention_command(*config, o.command_args, out, err)
                                    : hold_command(*config, o.command_args, out, err);
  }
  if (o.command == "ban") {
    auto config = load(o.config, err);
    if (!config) return kExitFailure;
    return ban_command(*config, o.command_args, out, err);
  }
  if (o.command == "admin") {
    auto config = load(o.config, err);
    if (!config) return kExitFailure;
    return admin_command(*config, o.command_args, out, err);
  }
  if (o.command == "logs") {
    // A bundle is checked wherever it was copied to: no configuration or database needed.
    if (!o.command_args.empty() && o.command_args[0] == "verify")
      return logs_verify(o.command_args, out, err);
    auto config = load(o.config, err);
    if (!config) return kExitFailure;
    return logs_command(*config, o.command_args, out, err);
  }
  return run(o, err);
}

int run_service(const Config& config) {
  // Blocked before any thread exists, so every thread inherits the mask and the signals
  // wait for sigwait below instead of interrupting a host connection or HTTP thread.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGHUP);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  setup_logging(config.logging);
  Poco::Logger& log = Poco::Logger::get("app");
  if (!config.muc && !config.directory)
    log.warning("no service is configured ([muc] or [directory]); only the admin web runs");
  try {
    // The directory search reads the people PostgreSQL holds; the refresher loads them
    // (on its own thread) at start and after every change. Searches made before the first
    // load get a "try again" error.
    directory::PeopleIndexHolder people;
    std::unique_ptr<DirectoryIndexRefresher> refresher;
    const bool searchable = config.directory && !config.database_uri.empty();
    if (config.directory && !searchable)
      log.warning("directory: no [database], so the directory service runs without search");
    if (searchable) {
      refresher = std::make_unique<DirectoryIndexRefresher>(
          config.database_uri, people, config.directory_search.refresh_interval);
      refresher->start();
    }
    Runtime runtime(config, searchable ? &people : nullptr);
    admin_web::ServerOptions web_options;
    web_options.host = config.admin_host;
    web_options.port = config.admin_port;
    web_options.version = kVersion;
    web_options.sign_in = config.admin_sign_in;
    web_options.tls_certificate = config.admin_tls_certificate;
    web_options.tls_private_key = config.admin_tls_private_key;
    // What /policy shows and the abuse workspace checks; a reload (SIGHUP) updates it.
    LivePolicy live_policy(config);
    web_options.policy = [&live_policy] { return live_policy.summary(); };
    // Sign-in, sessions and the pages' data need PostgreSQL; without it only /healthz,
    // /metrics and a sign-in page saying so are served.
    std::unique_ptr<PgAdminStore> admin_store;
    if (!config.database_uri.empty()) {
      admin_store =
          std::make_unique<PgAdminStore>(config.database_uri, searchable ? &people : nullptr);
      web_options.store = admin_store.get();
    }
    std::unique_ptr<PgAbuseDesk> abuse_desk;
    if (!config.database_uri.empty()) {
      // Staff see everything logged before they asked; PostgreSQL away or slow, they see what
      // it holds (the dashboard shows the journal's backlog).
      abuse_desk = std::make_unique<PgAbuseDesk>(config.database_uri, live_policy, [&runtime] {
        runtime.abuse_log_catch_up(std::chrono::seconds(2));
      });
      web_options.abuse_desk = abuse_desk.get();
    }
    std::unique_ptr<EngineRoomCommands> room_commands;
    if (config.muc) {
      room_commands = std::make_unique<EngineRoomCommands>(runtime, config.muc->domain);
      web_options.room_commands = room_commands.get();
    }
    std::unique_ptr<AdminDirectoryActions> directory_actions;
    if (!config.database_uri.empty()) {
      directory_actions = std::make_unique<AdminDirectoryActions>(config);
      web_options.directory_actions = directory_actions.get();
    }
    admin_web::SiteSources sources;
    sources.status = [&runtime] { return runtime.status(); };
    sources.rooms_unlogged = runtime.rooms_unlogged();
    sources.abuse_log = [&runtime]() -> std::optional<admin_web::AbuseLogState> {
      auto s = runtime.abuse_log_stats();
      if (!s) return std::nullopt;
      return admin_web::AbuseLogState{
          s->database_connected, s->backlog_events,
          s->backlog_bytes,      s->durable_events,
          s->replayed_events,    std::chrono::duration<double>(s->last_commit_latency).count(),
          s->last_database_error};
    };
    // /metrics shows the directory sync's status wherever the directory is in use, also
    // when the syncs run elsewhere (`commonroom directory sync` from cron).
    std::unique_ptr<DirectorySyncStatusPoller> sync_status;
    if (!config.database_uri.empty() && (config.ldap || config.directory)) {
      sync_status = std::make_unique<DirectorySyncStatusPoller>(
          config.database_uri, config.directory_search.refresh_interval);
      sync_status->start();
      sources.directory_sync = [&sync_status]() -> std::optional<admin_web::DirectorySyncState> {
        return sync_status->snapshot();
      };
    }
    admin_web::Server web(web_options, std::move(sources));
    web.start();
    const bool v6 = config.admin_host.find(':') != std::string::npos;
    log.information("admin web listening on %s%s%s:%hu", std::string(v6 ? "[" : ""),
                    config.admin_host, std::string(v6 ? "]" : ""), web.port());
    runtime.start();
    // Syncs run on their own thread with their own connections; a slow or unreachable
    // LDAP server never holds up the host connections or the admin web.
    auto directory_sync = start_directory_sync(config);
    // Purges run on their own thread with their own connection (start + every interval).
    auto retention = start_retention_job(config);
    if (!config.database_uri.empty() && config.retention.days <= 0)
      log.information("retention: retention_days is 0, room events are kept forever");
    log.information("commonroom %s running (config %s)", std::string(kVersion), config.path);

    // SIGHUP (systemctl reload) re-reads the file; see app/config_reload.hpp.
    ConfigReloader reloader(config, runtime, directory_sync.get(), &live_policy);
    int sig = 0;
    for (;;) {
      sigwait(&signals, &sig);
      if (sig != SIGHUP) break;
      try {
        reloader.reload();
      } catch (const std::exception& e) {
        log.error("reload failed: %s; still running with the configuration loaded before",
                  std::string(e.what()));
      }
    }
    // A second Ctrl-C during a slow shutdown now ends the process at once.
    pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
    log.information("received %s, stopping", std::string(sig == SIGTERM ? "SIGTERM" : "SIGINT"));
    web.stop();
    if (directory_sync) directory_sync->stop();
    if (retention) retention->stop();
    runtime.stop();
    if (refresher) refresher->stop();
    if (sync_status) sync_status->stop();
    log.information("stopped");
    return kExitOk;
  } catch (const std::exception& e) {
    log.fatal("cannot run: %s", std::string(e.what()));
    return kExitFailure;
  }
}

}  // namespace commonroom::app
