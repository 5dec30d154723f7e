// PostgreSQL storage of the directory: the LDAP sync's writer (staged, merged in one
// transaction), opt-outs, sync run history, and the reads the search service needs.
#pragma once
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "directory/directory_writer.hpp"
#include "directory/person.hpp"
#include "directory/sync_schedule.hpp"
#include "store/database.hpp"

namespace commonroom::store {

// Notified (with the change, on commit) whenever directory data changed, so the running
// service reloads linked rooms' memberships and the search index at once instead of at its
// next poll.
inline constexpr const char* kDirectoryChannel = "commonroom_directory";

// What an opt-out's notification says (a sync's says nothing): who left, and the data
// version that removed them, so the search can drop that person at once, long before a
// reload of the whole directory (seconds at 200,000 people) is ready, and knows which
// loaded directory already lacks them. Payload: "opt-out <version> <uid>".
struct OptOutNotice {
  std::int64_t version = 0;
  std::string uid;
};
std::string to_payload(const OptOutNotice& notice);
// nullopt for any other payload (e.g. a sync's empty one).
std::optional<OptOutNotice> parse_opt_out_notice(std::string_view payload);

struct DirectoryOptOut {
  std::string uid;
  std::chrono::system_clock::time_point opted_out_at;
  std::string note;
};

// The sync as operators watch it (the admin web's /metrics): when runs last stored LDAP's
// data and last failed, and the data version (to recount people only when it changed).
struct DirectorySyncStatus {
  using TimePoint = std::chrono::system_clock::time_point;
  std::int64_t data_version = 0;
  std::optional<directory::RunStatus> last_status;  // of the latest run; nullopt: none yet
  std::optional<TimePoint> last_success;            // finished, ok or partial, any kind
  std::optional<TimePoint> last_full_success;
  std::optional<TimePoint> last_failure;  // finished (or started, if it died) and failed
  std::string last_failure_message;
};

class DirectoryStore : public directory::DirectoryWriter {
 public:
  // Uses db's connection (one sync at a time per connection); db must outlive this.
  explicit DirectoryStore(Database& db);
  ~DirectoryStore() override;

  // directory::DirectoryWriter
  std::int64_t begin_run(directory::SyncKind kind,
                         std::chrono::system_clock::time_point started) override;
  void stage_people(const std::vector<directory::Person>& batch) override;
  void stage_institutions(const std::vector<directory::Institution>& batch) override;
  void stage_groups(const std::vector<directory::Group>& batch) override;
  directory::StagedDiff diff() override;
  directory::MergeCounts commit(bool remove_unseen) override;
  void discard() noexcept override;
  void finish_run(const directory::SyncRunRecord& run) override;
  std::optional<std::chrono::system_clock::time_point> last_good_start(
      std::optional<directory::SyncKind> kind) override;

  // Opt-out: removes the person from the directory now and from every later sync.
  // Returns false when they had already opted out (the note is then updated).
  bool opt_out(const std::string& uid, const std::string& note);
  // Returns false when they had not opted out. They reappear with the next full sync.
  bool opt_in(const std::string& uid);
  std::vector<DirectoryOptOut> opt_outs();

  // Reads (for the search service and the admin pages).
  std::vector<directory::Person> load_people();
  std::vector<directory::Institution> load_institutions();
  std::optional<directory::Person> find_person(const std::string& uid);
  std::size_t people_count();
  std::vector<std::string> group_members(const std::string& group_id);
  // uids of the members of any of these institutions (instID) — for rooms linked to them.
  std::vector<std::string> institution_members(const std::string& inst_id);
  std::vector<directory::SyncRunRecord> recent_runs(std::size_t limit);
  // The run history the sync schedule restarts from.
  directory::SyncSchedule::History sync_history();
  // Changes whenever directory data changes (a merge that changed rows, an opt-out).
  std::int64_t data_version();
  // One cheap query (no people count; see people_count()).
  DirectorySyncStatus sync_status();

 private:
  Database& db_;
  bool locked_ = false;
};

}  // namespace commonroom::store
