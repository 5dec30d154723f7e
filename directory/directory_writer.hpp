// What the LDAP sync needs from storage (implemented by store::DirectoryStore): stage a
// run's entries aside, then merge them in one transaction, so readers keep the last good
// data until a run is complete.
#pragma once
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "directory/person.hpp"

namespace commonroom::directory {

enum class SyncKind { full, incremental };
// running: started, not finished (or the process died); ok: merged completely; partial:
// merged, but the safety valve kept people who are gone from LDAP; failed: nothing merged.
enum class RunStatus { running, ok, partial, failed };

constexpr std::string_view to_string(SyncKind k) {
  return k == SyncKind::full ? "full" : "incremental";
}
constexpr std::string_view to_string(RunStatus s) {
  switch (s) {
    case RunStatus::running:
      return "running";
    case RunStatus::ok:
      return "ok";
    case RunStatus::partial:
      return "partial";
    case RunStatus::failed:
      break;
  }
  return "failed";
}

struct SyncCounts {
  std::size_t people_seen = 0;  // people entries read from LDAP (mapped)
  std::size_t rejected = 0;     // entries skipped (no uid, or a uid unfit for a JID)
  std::size_t opted_out = 0;    // seen, but not stored because the person opted out
  std::size_t institutions_seen = 0;
  std::size_t groups_seen = 0;
  std::size_t added = 0;    // people newly stored
  std::size_t updated = 0;  // people whose stored fields changed
  std::size_t removed = 0;  // people removed because LDAP no longer has them
};

// One row of directory_sync_runs.
struct SyncRunRecord {
  std::int64_t id = 0;
  SyncKind kind = SyncKind::full;
  std::chrono::system_clock::time_point started_at;
  std::chrono::system_clock::time_point finished_at;
  RunStatus status = RunStatus::running;
  SyncCounts counts;
  std::string error;  // failure, or why deletions were refused (partial)
};

// What a full run would remove if everything unseen were deleted.
struct StagedDiff {
  std::size_t stored_people = 0, people_to_remove = 0;
  std::size_t stored_institutions = 0, institutions_to_remove = 0;
  std::size_t stored_groups = 0, groups_to_remove = 0;
};

struct MergeCounts {
  std::size_t added = 0, updated = 0, removed = 0, opted_out = 0;
};

// Another sync (this process or another one) holds the sync lock.
class SyncBusy : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class DirectoryWriter {
 public:
  virtual ~DirectoryWriter() = default;

  // Takes the sync lock, clears the staging area and records a running run; returns its id.
  // Throws SyncBusy when another sync is running.
  virtual std::int64_t begin_run(SyncKind kind, std::chrono::system_clock::time_point started) = 0;
  // Adds entries to the staging area (not visible to readers).
  virtual void stage_people(const std::vector<Person>& batch) = 0;
  virtual void stage_institutions(const std::vector<Institution>& batch) = 0;
  virtual void stage_groups(const std::vector<Group>& batch) = 0;
  // Full sync: what removing every stored entry that was not staged would remove.
  virtual StagedDiff diff() = 0;
  // In one transaction: upserts the staged entries (skipping opted-out people), replaces
  // the memberships of every staged group and, when remove_unseen, removes people,
  // institutions and groups that were not staged.
  virtual MergeCounts commit(bool remove_unseen) = 0;
  // Drops the staging area; stored data is untouched. Must not throw.
  virtual void discard() noexcept = 0;
  // Records the outcome and releases the sync lock.
  virtual void finish_run(const SyncRunRecord& run) = 0;

  // Start of the newest run that merged (ok or partial), of the given kind or of any kind.
  virtual std::optional<std::chrono::system_clock::time_point> last_good_start(
      std::optional<SyncKind> kind) = 0;
};

}  // namespace commonroom::directory
