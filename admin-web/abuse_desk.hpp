// The abuse staff's workspace as an interface: search, context and evidence export of the
// room log under a case reference, service-wide bans and legal holds. app/ implements it over
// the same store functions as `commonroom logs|ban|hold` (so both audit the same way and a
// ban reaches the running rooms engine through the same NOTIFY); tests implement it in
// memory. Called on HTTP worker threads. A refusal the staff member can fix (a bad JID, a
// missing case, already banned) throws AbuseRefused with a sentence for the page; anything
// else is an internal error (500).
#pragma once
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "admin-web/admin_store.hpp"

namespace commonroom::admin_web {

class AbuseRefused : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Who is looking and for which complaint: the actor is the signed-in user, never typed.
struct CaseLook {
  std::string actor;
  std::string case_ref;
};

// Filters of a search or export; every one given must hold.
struct LogFilter {
  std::vector<std::string> rooms;         // bare room JIDs (any of them)
  std::vector<std::string> users;         // real bare JIDs (any of them)
  std::vector<std::string> nicks;         // nick at the time (any of them)
  std::vector<std::string> occupant_ids;  // XEP-0421 ids; need rooms
  std::string words;                      // web-search syntax, accents and case ignored
  std::string from, to;                   // ISO 8601, no zone = UTC; from inclusive, to exclusive
  bool all_kinds = false;                 // false: messages only (groupchat, private)
};

struct LogEntry {
  std::string event_id, room, stanza_id, occurred_at, kind;
  std::string actor_jid, actor_nick, occupant_id, target, body, detail;
  std::string retracted_at, retracted_by, retraction_reason;  // "" unless retracted
};

struct ResolvedOccupantId {
  std::string occupant_id, room, bare_jid;
};

struct LogResults {
  std::vector<LogEntry> entries;  // newest first
  std::string next;               // cursor of the next (older) page; "" on the last
  std::vector<ResolvedOccupantId> occupants;
};

// One event (event_id, or stanza_id with an optional room), or a room at an instant.
struct ContextLink {
  std::string event_id, stanza_id, room, at;
};

struct LogTimeline {
  std::string room;
  std::vector<LogEntry> entries;  // oldest first
  int anchor = -1;                // index of the event asked for; -1 for a time
};

struct EvidenceArchive {
  std::string bytes;  // the tar archive
  long long messages = 0;
  std::string archive_sha256, manifest_sha256;
};

struct BanEntry {
  long long id = 0;
  std::string subject, reason, set_by, set_at, expires_at;  // expires_at "" = until lifted
  std::string lifted_at, lifted_by;                         // "" while not lifted
  bool in_force = false;
};

struct HoldEntry {
  long long id = 0;
  std::string kind, subject, typed_subject, problem;
  int context_minutes = -1;  // user holds; -1 for rooms
  std::string reason, placed_by, placed_at, released_at, released_by;
  long long covers = -1, covers_own = -1;  // events kept now; -1 when not counted
};

struct HoldRequest {
  std::string kind;  // room | user
  std::string subject, reason;
  std::optional<int> context_minutes;  // user holds; nullopt = the default
};

class AbuseDesk {
 public:
  virtual ~AbuseDesk() = default;

  // Each of these three reads the log and writes its audit row in one transaction.
  virtual LogResults search(const CaseLook& who, const LogFilter& filter, const std::string& after,
                            int limit) = 0;
  virtual LogTimeline context(const CaseLook& who, const ContextLink& link, int before,
                              int after) = 0;
  // Every matching event (at most max_events, else AbuseRefused).
  virtual EvidenceArchive export_evidence(const CaseLook& who, const LogFilter& filter,
                                          int max_events) = 0;

  virtual std::vector<BanEntry> bans(int limit) = 0;  // newest first, in force or not
  // subject: a bare JID or a domain as typed; case_ref may be "".
  virtual BanEntry place_ban(const CaseLook& who, const std::string& subject,
                             const std::string& reason, std::optional<int> days) = 0;
  virtual void lift_ban(const CaseLook& who, const std::string& subject) = 0;

  virtual std::vector<HoldEntry> active_holds() = 0;           // with what each covers now
  virtual std::vector<HoldEntry> hold_history(int limit) = 0;  // newest first
  virtual HoldEntry preview_hold(const CaseLook& who, const HoldRequest& hold) = 0;
  virtual HoldEntry place_hold(const CaseLook& who, const HoldRequest& hold) = 0;
  // Returns the subject released.
  virtual std::string release_hold(const CaseLook& who, const std::string& kind,
                                   const std::string& subject) = 0;

  // The audit rows that name a case, newest first (for auditors).
  virtual std::vector<AuditRow> case_audit(const std::string& case_ref, long long before_id,
                                           int limit) = 0;
};

}  // namespace commonroom::admin_web
