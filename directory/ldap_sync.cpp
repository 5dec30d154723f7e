#include "directory/ldap_sync.hpp"

#include <Poco/Logger.h>

#include "directory/ldap_client.hpp"
#include "directory/ldap_mapping.hpp"

namespace commonroom::directory {

namespace {

Poco::Logger& logger() {
  return Poco::Logger::get("directory");
}

// A handful of examples is enough to fix a directory; 10,000 warnings are not.
constexpr std::size_t max_rejection_warnings = 10;

}  // namespace

LdapSync::LdapSync(LdapSettings settings, DirectoryWriter& writer, SourceFactory connect,
                   Clock clock)
    : settings_(std::move(settings)),
      writer_(writer),
      connect_(std::move(connect)),
      clock_(std::move(clock)) {}

LdapSync::SourceFactory ldap_source_factory(const LdapSettings& settings) {
  return [settings]() -> std::unique_ptr<EntrySource> {
    return std::make_unique<LdapClient>(settings);
  };
}

void LdapSync::read_people(EntrySource& source, const std::string& filter, SyncRunRecord& record) {
  std::vector<Person> batch;
  const std::size_t batch_size = std::max<std::size_t>(settings_.batch_size, 1);
  batch.reserve(batch_size);
  SearchRequest request{settings_.people_base, filter, people_attributes(settings_.attributes)};
  source.search(request, [&](const LdapEntry& entry) {
    auto mapped = person_from_entry(entry, settings_.attributes, settings_.jid_template);
    if (!mapped.person) {
      if (++record.counts.rejected <= max_rejection_warnings)
        logger().warning("directory sync: skipped " + mapped.rejected);
      return;
    }
    ++record.counts.people_seen;
    batch.push_back(std::move(*mapped.person));
    if (batch.size() >= batch_size) {
      writer_.stage_people(batch);
      batch.clear();
    }
  });
  if (!batch.empty()) writer_.stage_people(batch);
}

void LdapSync::read_institutions(EntrySource& source, const std::string& filter,
                                 SyncRunRecord& record) {
  std::vector<Institution> batch;
  SearchRequest request{settings_.institutions_base, filter,
                        institution_attributes(settings_.attributes)};
  source.search(request, [&](const LdapEntry& entry) {
    if (auto inst = institution_from_entry(entry, settings_.attributes)) {
      ++record.counts.institutions_seen;
      batch.push_back(std::move(*inst));
    }
  });
  if (!batch.empty()) writer_.stage_institutions(batch);
}

void LdapSync::read_groups(EntrySource& source, const std::string& filter, SyncRunRecord& record) {
  std::vector<Group> batch;
  std::size_t members = 0;
  SearchRequest request{settings_.groups_base, filter, group_attributes(settings_.attributes)};
  source.search(request, [&](const LdapEntry& entry) {
    if (auto group = group_from_entry(entry, settings_.attributes)) {
      ++record.counts.groups_seen;
      members += group->members.size();
      batch.push_back(std::move(*group));
      // Groups can be large (a whole college); bound memory by members, not groups.
      if (members >= 50000) {
        writer_.stage_groups(batch);
        batch.clear();
        members = 0;
      }
    }
  });
  if (!batch.empty()) writer_.stage_groups(batch);
}

SyncRunRecord LdapSync::run(const SyncRequest& request) {
  SyncRunRecord record;
  record.kind = request.kind;
  record.started_at = clock_();

  std::optional<std::chrono::system_clock::time_point> since;
  try {
    if (record.kind == SyncKind::incremental) {
      since = writer_.last_good_start(std::nullopt);
      if (!since) {
        logger().information("directory sync: no earlier successful sync, doing a full one");
        record.kind = SyncKind::full;
      }
    }
    record.id = writer_.begin_run(record.kind, record.started_at);
  } catch (const std::exception& e) {
    record.status = RunStatus::failed;
    record.error = e.what();
    record.finished_at = clock_();
    logger().error("directory sync: cannot start: " + record.error);
    return record;
  }

  const bool full = record.kind == SyncKind::full;
  logger().information("directory sync: " + std::string(to_string(record.kind)) + " run " +
                       std::to_string(record.id) + " started against " + settings_.uri);
  try {
    auto source = connect_();
    auto filter_for = [&](const std::string& configured) {
      if (full) return parenthesize_filter(configured);
      return incremental_filter(configured, settings_.attributes.modify_timestamp,
                                *since - settings_.timestamp_skew);
    };
    auto phase_start = std::chrono::steady_clock::now();
    // Where the time goes (LDAP or PostgreSQL) is the first question when a sync is slow.
    auto phase_done = [&](const char* what) {
      const auto now = std::chrono::steady_clock::now();
      logger().information(
          std::string("directory sync: ") + what + " in " +
          std::to_string(
              std::chrono::duration_cast<std::chrono::milliseconds>(now - phase_start).count()) +
          " ms");
      phase_start = now;
    };
    read_people(*source, filter_for(settings_.people_filter), record);
    phase_done(
        ("read and staged " + std::to_string(record.counts.people_seen) + " people").c_str());
    read_institutions(*source, filter_for(settings_.institutions_filter), record);
    read_groups(*source, filter_for(settings_.groups_filter), record);
    phase_done(("read and staged " + std::to_string(record.counts.institutions_seen) +
                " institutions and " + std::to_string(record.counts.groups_seen) + " groups")
                   .c_str());

    bool remove = false;
    record.status = RunStatus::ok;
    if (full) {
      const StagedDiff d = writer_.diff();
      const int pct = settings_.max_delete_percent;
      std::string refused;
      for (const auto& check :
           {check_deletions("people", d.stored_people, d.people_to_remove, pct, request.force),
            check_deletions("institutions", d.stored_institutions, d.institutions_to_remove, pct,
                            request.force),
            check_deletions("groups", d.stored_groups, d.groups_to_remove, pct, request.force)}) {
        if (!check.allowed) refused += (refused.empty() ? "" : "; ") + check.reason;
      }
      remove = refused.empty();
      if (!remove) {
        record.status = RunStatus::partial;
        record.error = refused;
        logger().warning("directory sync: " + refused);
      } else if (request.force && d.people_to_remove > 0) {
        logger().warning("directory sync: forced, removing " + std::to_string(d.people_to_remove) +
                         " of " + std::to_string(d.stored_people) + " people");
      }
    }
    const MergeCounts merged = writer_.commit(remove);
    phase_done("merged");
    record.counts.added = merged.added;
    record.counts.updated = merged.updated;
    record.counts.removed = merged.removed;
    record.counts.opted_out = merged.opted_out;
  } catch (const std::exception& e) {
    writer_.discard();
    record.status = RunStatus::failed;
    record.error = e.what();
  }
  record.finished_at = clock_();
  try {
    writer_.finish_run(record);
  } catch (const std::exception& e) {
    record.error +=
        (record.error.empty() ? "" : "; ") + std::string("recording the run: ") + e.what();
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(record.finished_at - record.started_at)
          .count();
  if (record.status == RunStatus::failed) {
    logger().error("directory sync: " + std::string(to_string(record.kind)) + " run failed after " +
                   std::to_string(ms) + " ms, stored data unchanged: " + record.error);
  } else {
    const auto& c = record.counts;
    logger().information("directory sync: " + std::string(to_string(record.kind)) + " run " +
                         std::string(to_string(record.status)) + " in " + std::to_string(ms) +
                         " ms: " + std::to_string(c.people_seen) + " people seen, " +
                         std::to_string(c.added) + " added, " + std::to_string(c.updated) +
                         " updated, " + std::to_string(c.removed) + " removed, " +
                         std::to_string(c.rejected) + " rejected, " + std::to_string(c.opted_out) +
                         " opted out");
  }
  return record;
}

}  // namespace commonroom::directory
