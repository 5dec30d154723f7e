// Changes to the directory from the admin web, as an interface: app/ runs the same sync as
// `commonroom directory sync` and writes opt-outs through the same store call (and NOTIFY)
// as `commonroom directory opt-out`. Called on HTTP worker threads.
#pragma once
#include <string>

namespace commonroom::admin_web {

struct DirectoryActionResult {
  bool ok = false;
  bool changed = false;  // ok, and something changed (not an opt-out made before, say)
  std::string message;   // what happened, or why nothing did, for the page
  std::string uid;       // the CRSid as stored (trimmed, lower case); empty when not one
};

class DirectoryActions {
 public:
  virtual ~DirectoryActions() = default;
  // Starts a sync from LDAP on a thread of its own (one at a time; its run is recorded with
  // the others, so /directory/sync shows it running, then its result).
  virtual DirectoryActionResult start_sync(bool full) = 0;
  // Whether a sync started here is still running.
  virtual bool sync_running() = 0;
  // `uid` is left out of the directory now (the running search index drops them at once)
  // and by every later sync; `note` says why. ok = false when the uid is not a CRSid.
  virtual DirectoryActionResult opt_out(const std::string& uid, const std::string& note) = 0;
  // Lifts an opt-out (the person returns with the next full sync).
  virtual DirectoryActionResult opt_in(const std::string& uid) = 0;
};

}  // namespace commonroom::admin_web
