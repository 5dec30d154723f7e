// Evidence bundles: one tar archive holding the messages of a query as JSON and CSV, each
// raw stanza as received, SHA256SUMS, and manifest.json with the SHA-256 of every file, the
// query, the case reference, who exported it and when (docs/abuse-handling.md, decision 0025).
#pragma once
#include <stdexcept>
#include <string>
#include <vector>

#include "store/log_audit.hpp"

namespace commonroom::store {

// An archive that cannot be read, or whose files do not match its manifest.
class BundleError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct BundleFile {
  std::string name;  // path inside the archive
  std::string content;
};

// POSIX ustar: regular files only, names up to 100 bytes, two zero blocks at the end.
std::string write_tar(const std::vector<BundleFile>& files, long long mtime);
// Throws BundleError for a damaged header, a truncated file or an entry that is not a file.
std::vector<BundleFile> read_tar(const std::string& archive);

std::string sha256_hex(const std::string& data);

struct ExportInfo {
  CaseAccess who;
  std::string query_json;
  std::string exported_at;  // ISO 8601 UTC
};

// The files of a bundle, under one directory named after the case: messages.json,
// messages.csv, raw/NNNNNN.xml, SHA256SUMS and (last) manifest.json. events oldest first.
std::vector<BundleFile> evidence_files(const std::vector<LogEvent>& events, const ExportInfo& info);

// What `logs verify` reports.
struct BundleCheck {
  std::string case_ref, exported_by, exported_at, query_json;
  long long messages = 0;
  size_t files_checked = 0;
  std::string manifest_sha256;
};
// Checks every file against the manifest's SHA-256 (and that nothing was added or left out);
// throws BundleError naming the first file that differs.
BundleCheck verify_bundle(const std::string& archive);

struct ExportResult {
  std::string archive;  // the tar bytes
  long long messages = 0;
  std::string archive_sha256, manifest_sha256;
};

// log.export: every event matching q (at most max_events, else LogQueryError), bundled, and
// one audit row holding the archive's and the manifest's SHA-256.
ExportResult audited_export(pqxx::connection_base& connection, const CaseAccess& who,
                            const LogQuery& q, int max_events);

}  // namespace commonroom::store
