#include "app/admin_directory_actions.hpp"

#include "app/directory_commands.hpp"
#include "directory/ldap_mapping.hpp"
#include "directory/ldap_sync.hpp"
#include "store/database.hpp"
#include "store/directory_store.hpp"

namespace commonroom::app {

AdminDirectoryActions::AdminDirectoryActions(Config config) : config_(std::move(config)) {}

AdminDirectoryActions::~AdminDirectoryActions() {
  std::lock_guard lock(mutex_);
  if (sync_.joinable()) sync_.join();
}

admin_web::DirectoryActionResult AdminDirectoryActions::start_sync(bool full) {
  if (!config_.ldap)
    return {false, false,
            "This service has no [ldap] section, so there is no directory to sync from.", ""};
  std::lock_guard lock(mutex_);
  if (running_) return {false, false, "A sync started here is still running; wait for it.", ""};
  if (sync_.joinable()) sync_.join();  // the previous one, finished
  running_ = true;
  directory::SyncRequest request;
  request.kind = full ? directory::SyncKind::full : directory::SyncKind::incremental;
  // The run records itself (running, then its outcome) where the sync page reads runs; a
  // scheduled sync running at the same moment makes this one fail with a recorded reason.
  sync_ = std::thread([this, request] {
    run_directory_sync(config_, request);
    running_ = false;
  });
  return {true, true, "started", ""};
}

bool AdminDirectoryActions::sync_running() {
  return running_;
}

admin_web::DirectoryActionResult AdminDirectoryActions::opt_out(const std::string& uid_text,
                                                                const std::string& note) {
  const auto uid = directory::normalize_uid(uid_text);
  if (!uid) return {false, false, "\"" + uid_text + "\" is not a CRSid; nothing changed.", ""};
  store::Database db(config_.database_uri);
  store::DirectoryStore st(db);
  const bool fresh = st.opt_out(*uid, directory::clean_text(note));
  return {true, fresh, fresh ? "opted out" : "had opted out before (note updated)", *uid};
}

admin_web::DirectoryActionResult AdminDirectoryActions::opt_in(const std::string& uid_text) {
  const auto uid = directory::normalize_uid(uid_text);
  if (!uid) return {false, false, "\"" + uid_text + "\" is not a CRSid; nothing changed.", ""};
  store::Database db(config_.database_uri);
  store::DirectoryStore st(db);
  const bool lifted = st.opt_in(*uid);
  return {true, lifted, lifted ? "opted back in" : "had not opted out", *uid};
}

}  // namespace commonroom::app
