// Legal holds: rooms and users whose room events the retention purge keeps
// (schema/0005_retention.sql, 0008_legal_hold_jids.sql; decision 0019). Subjects are
// prepared JIDs, exactly as the abuse log stores them; every change writes an audit row.
#pragma once
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pqxx {
class connection_base;
}

namespace commonroom::store {

// Thrown for a hold that cannot be placed or released (already held, not held, bad kind,
// a JID that cannot be prepared).
class HoldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// What a user hold keeps around each event by or about the user unless told otherwise.
inline constexpr int kDefaultHoldContextMinutes = 60;
inline constexpr int kMaxHoldContextMinutes = 7 * 24 * 60;

// The subject as the abuse log writes it: the bare JID prepared (nodeprep, nameprep) the
// same way as service bans and the rooms engine, so "Mallory@CAM.example" gives
// "mallory@cam.example". kind is "room" or "user"; both need node@domain. Throws HoldError
// naming what is wrong. Pure: no database.
std::string prepare_hold_subject(const std::string& kind, const std::string& text);

// How many logged events a hold keeps today. For a room: its events. For a user: the
// events by or about them (own), plus every event in the same rooms within the hold's
// context (total includes own).
struct HoldCoverage {
  long long total = 0;
  long long own = 0;
};

struct LegalHold {
  long long id = 0;
  std::string kind;           // room | user
  std::string subject;        // prepared bare JID (or, with problem set, the text as stored)
  std::string typed_subject;  // as typed; "" when the same as subject
  std::string problem;        // why subject cannot be prepared; such a hold matches nothing
  std::optional<int> context_minutes;  // user holds
  std::string reason;
  std::string placed_by;
  std::string placed_at;  // ISO 8601, UTC
  HoldCoverage coverage;  // filled by place_hold and preview_hold only
  // Filled by hold_history only: "" while the hold is in force.
  std::string released_at;
  std::string released_by;
};

// Prepares subject_text, places an active hold (audit 'retention.hold.place') and counts
// what it covers, in one transaction. Throws HoldError when the JID cannot be prepared or
// is already under a hold. context_minutes applies to user holds (0 to
// kMaxHoldContextMinutes; nullopt: the default) and must be nullopt for a room.
// case_ref, when given, is the complaint the hold serves: the audit detail's "case".
LegalHold place_hold(pqxx::connection_base& connection, const std::string& kind,
                     const std::string& subject_text, const std::string& reason,
                     const std::string& by, std::optional<int> context_minutes = std::nullopt,
                     const std::string& case_ref = "");
// What place_hold would do with the same arguments, coverage included, without placing it
// (the same statements in a transaction that is rolled back): the preview staff see before
// they confirm. Throws as place_hold does.
LegalHold preview_hold(pqxx::connection_base& connection, const std::string& kind,
                       const std::string& subject_text, const std::string& reason,
                       const std::string& by, std::optional<int> context_minutes = std::nullopt);
// Releases the active hold on the prepared JID (audit 'retention.hold.release'); a text
// that cannot be prepared releases a stored hold of exactly that text (one placed before
// holds were prepared). Returns the subject released. Throws HoldError when there is none.
std::string release_hold(pqxx::connection_base& connection, const std::string& kind,
                         const std::string& subject_text, const std::string& by,
                         const std::string& case_ref = "");
// The active holds, oldest first.
std::vector<LegalHold> list_holds(pqxx::connection_base& connection);
// Every hold, active or released, newest placed first, at most `limit`.
std::vector<LegalHold> hold_history(pqxx::connection_base& connection, int limit);
// What the active hold `id` covers now.
HoldCoverage hold_coverage(pqxx::connection_base& connection, long long id);

// What prepare_stored_holds did to one hold.
struct StoredHoldChange {
  long long id = 0;
  std::string kind;
  std::string from;           // subject as it was stored
  std::string to;             // prepared subject ("" when it cannot be prepared)
  std::string problem;        // set when it cannot be prepared
  long long merged_into = 0;  // an active hold on the same prepared JID it was closed into
};

// Brings holds stored before 0008 (or by hand) to prepared subjects, in one transaction;
// run by `commonroom migrate` after the SQL migrations, idempotent. A subject that cannot
// be prepared is kept and marked (subject_problem); an active hold that prepares to the
// JID of another active hold is released into it (released_by 'commonroom migrate').
// Each change is audited ('retention.hold.prepare'). Returns every hold changed or not
// preparable (the latter on every run, so they keep being reported).
std::vector<StoredHoldChange> prepare_stored_holds(pqxx::connection_base& connection);

}  // namespace commonroom::store
