// `commonroom directory ...` (sync, opt-out, opt-in, status) and the scheduled directory
// sync that `commonroom run` starts.
#pragma once
#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace commonroom::directory {
class SyncJob;
struct SyncRunRecord;
struct SyncRequest;
}  // namespace commonroom::directory

namespace commonroom::app {

// args are what follows "directory" on the command line. Exit codes: 0 ok, 1 failure,
// 2 usage, 3 a full sync that merged but refused to remove people (safety valve).
int directory_command(const Config& config, const std::vector<std::string>& args, std::ostream& out,
                      std::ostream& err);

inline constexpr int kExitSyncPartial = 3;

// One sync from LDAP into PostgreSQL with fresh connections, as `directory sync` runs it
// (also the admin web's "Sync now"). A failure to start is returned as a failed run.
directory::SyncRunRecord run_directory_sync(const Config& config, directory::SyncRequest request);

// The background sync job for `run`, or nullptr when [ldap] is absent, schedule = false or
// there is no [database]. The job owns its connections (one per run).
std::unique_ptr<directory::SyncJob> start_directory_sync(const Config& config);

inline constexpr const char* kDirectoryUsage =
    "  directory sync [--full [--force]]\n"
    "                 sync the directory from LDAP now ([ldap], [database]); incremental\n"
    "                 unless --full; --force lets a full sync remove more people than\n"
    "                 max_delete_percent\n"
    "  directory opt-out UID [--note TEXT]\n"
    "                 leave UID out of the directory (now and in every later sync)\n"
    "  directory opt-in UID\n"
    "                 undo an opt-out (the person returns with the next full sync)\n"
    "  directory status\n"
    "                 people stored, opt-outs and the last sync runs\n";

}  // namespace commonroom::app
