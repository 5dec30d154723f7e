// One directory sync run (full or incremental): reads Lookup page by page, stages what it
// read, and merges only a complete run; deletions pass the safety valve first.
#pragma once
#include <chrono>
#include <functional>
#include <memory>
#include <optional>

#include "directory/directory_writer.hpp"
#include "directory/ldap_entry.hpp"
#include "directory/sync_settings.hpp"

namespace commonroom::directory {

struct SyncRequest {
  SyncKind kind = SyncKind::incremental;  // incremental falls back to full when never synced
  bool force = false;                     // full only: remove people past the safety valve
};

class LdapSync {
 public:
  // Opens a connection per run (so a server that was down is retried from scratch).
  using SourceFactory = std::function<std::unique_ptr<EntrySource>()>;
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  LdapSync(LdapSettings settings, DirectoryWriter& writer, SourceFactory connect, Clock clock);

  // Runs one sync and returns its record (also stored through the writer). Never throws
  // for LDAP or database trouble: the record says failed and why. A failed run changes no
  // stored person.
  SyncRunRecord run(const SyncRequest& request);

 private:
  void read_people(EntrySource& source, const std::string& filter, SyncRunRecord& record);
  void read_institutions(EntrySource& source, const std::string& filter, SyncRunRecord& record);
  void read_groups(EntrySource& source, const std::string& filter, SyncRunRecord& record);

  LdapSettings settings_;
  DirectoryWriter& writer_;
  SourceFactory connect_;
  Clock clock_;
};

// A SourceFactory that connects with LdapClient.
LdapSync::SourceFactory ldap_source_factory(const LdapSettings& settings);

}  // namespace commonroom::directory
