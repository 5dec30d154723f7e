#include "store/legal_holds.hpp"

#include <pqxx/pqxx>

#include "xmpp/jid.hpp"

namespace commonroom::store {

namespace {

constexpr const char* kTimeFormat = "YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"";
constexpr const char* kMigrateActor = "commonroom migrate";

bool valid_kind(const std::string& kind) {
  return kind == "room" || kind == "user";
}

void check_kind(const std::string& kind) {
  if (!valid_kind(kind)) throw HoldError("a hold is on a room or a user, not \"" + kind + "\"");
}

HoldCoverage coverage_of(pqxx::transaction_base& tx, long long id, const std::string& kind,
                         const std::string& subject) {
  HoldCoverage c;
  if (kind == "room") {
    c.total = c.own =
        tx.exec_params1("SELECT count(*) FROM room_events WHERE room = $1", subject)[0]
            .as<long long>();
    return c;
  }
  // The same expressions as schema/0008 (legal_hold_user_spans), so the same indexes serve.
  c.own = tx.exec_params1(
                "SELECT count(*) FROM room_events WHERE actor_bare_jid = $1"
                " OR (target IS NOT NULL AND split_part(target, '/', 1) = $1)",
                subject)[0]
              .as<long long>();
  c.total = tx.exec_params1(
                  "SELECT count(*) FROM legal_hold_user_spans('infinity', $1) s"
                  " JOIN room_events e ON e.room = s.room"
                  " AND e.occurred_at BETWEEN s.lo AND s.hi",
                  id)[0]
                .as<long long>();
  return c;
}

}  // namespace

std::string prepare_hold_subject(const std::string& kind, const std::string& text) {
  check_kind(kind);
  if (text.empty()) throw HoldError("a " + kind + " hold needs a JID");
  xmpp::Jid jid = [&] {
    try {
      return xmpp::Jid::parse(text);
    } catch (const xmpp::JidError& e) {
      throw HoldError("\"" + text + "\" is not a JID: " + e.what());
    }
  }();
  if (jid.has_resource())
    throw HoldError("\"" + text + "\" has a resource (/" + std::string(jid.resource()) +
                    "); a hold is on a bare JID (" + std::string(jid.bare_str()) + ")");
  if (!jid.has_node())
    throw HoldError(kind == "room" ? "\"" + text +
                                         "\" is a domain; a room hold needs the room's bare JID"
                                         " (room@conference.example.org)"
                                   : "\"" + text +
                                         "\" is a domain; a user hold needs the user's bare JID"
                                         " (user@example.org)");
  return std::string(jid.bare_str());
}

namespace {

// The audit detail's "case" member when the case reference (parameter $n) is given, else
// nothing: jsonb to append with ||.
std::string case_member(int n) {
  const std::string p = "$" + std::to_string(n) + "::text";
  return "CASE WHEN " + p + " = '' THEN '{}'::jsonb ELSE jsonb_build_object('case', " + p + ") END";
}

void check_case_ref(const std::string& case_ref) {
  if (case_ref.size() > 200) throw HoldError("a case reference has at most 200 bytes");
  for (unsigned char c : case_ref)
    if (c < 0x20 || c == 0x7f) throw HoldError("a case reference cannot hold control characters");
}

// Everything place_hold does inside its transaction; the caller commits or rolls back.
LegalHold insert_hold(pqxx::work& tx, const std::string& kind, const std::string& subject_text,
                      const std::string& reason, const std::string& by,
                      std::optional<int> context_minutes, const std::string& case_ref) {
  const std::string subject = prepare_hold_subject(kind, subject_text);
  if (reason.empty()) throw HoldError("a hold needs a reason");
  if (by.empty()) throw HoldError("a hold needs the name of who places it");
  check_case_ref(case_ref);
  if (kind == "room" && context_minutes)
    throw HoldError("the context around a user's events applies to user holds only");
  if (kind == "user") {
    context_minutes = context_minutes.value_or(kDefaultHoldContextMinutes);
    if (*context_minutes < 0 || *context_minutes > kMaxHoldContextMinutes)
      throw HoldError("the context of a user hold is 0 to " +
                      std::to_string(kMaxHoldContextMinutes) + " minutes, not " +
                      std::to_string(*context_minutes));
  }
  const std::string typed = subject_text == subject ? std::string() : subject_text;
  auto rows = tx.exec_params(
      "INSERT INTO legal_holds (kind, subject, typed_subject, reason, placed_by, context_minutes)"
      " VALUES ($1, $2, nullif($3, ''), $4, $5, nullif($6::int, -1))"
      " ON CONFLICT (kind, subject) WHERE released_at IS NULL DO NOTHING"
      " RETURNING id, to_char(placed_at AT TIME ZONE 'UTC', $7)",
      kind, subject, typed, reason, by, context_minutes.value_or(-1), kTimeFormat);
  if (rows.empty())
    throw HoldError(kind + " " + subject + " is already under a legal hold" +
                    (typed.empty() ? std::string() : " (\"" + typed + "\" is that JID prepared)"));
  LegalHold h;
  h.id = rows[0][0].as<long long>();
  h.kind = kind;
  h.subject = subject;
  h.typed_subject = typed;
  h.context_minutes = context_minutes;
  h.reason = reason;
  h.placed_by = by;
  h.placed_at = rows[0][1].as<std::string>();
  tx.exec_params(
      "INSERT INTO audit (actor, action, object, detail) VALUES ($1, 'retention.hold.place', $2,"
      " jsonb_build_object('kind', $3::text, 'reason', $4::text, 'hold_id', $5::bigint,"
      " 'typed', nullif($6::text, ''), 'context_minutes', nullif($7::int, -1)) || " +
          case_member(8) + ")",
      by, subject, kind, reason, h.id, typed, context_minutes.value_or(-1), case_ref);
  h.coverage = coverage_of(tx, h.id, kind, subject);
  return h;
}

}  // namespace

LegalHold place_hold(pqxx::connection_base& connection, const std::string& kind,
                     const std::string& subject_text, const std::string& reason,
                     const std::string& by, std::optional<int> context_minutes,
                     const std::string& case_ref) {
  pqxx::work tx(connection, "place hold");
  LegalHold h = insert_hold(tx, kind, subject_text, reason, by, context_minutes, case_ref);
  tx.commit();
  return h;
}

LegalHold preview_hold(pqxx::connection_base& connection, const std::string& kind,
                       const std::string& subject_text, const std::string& reason,
                       const std::string& by, std::optional<int> context_minutes) {
  pqxx::work tx(connection, "preview hold");
  LegalHold h = insert_hold(tx, kind, subject_text, reason, by, context_minutes, "");
  tx.abort();
  h.id = 0;  // nothing was placed
  return h;
}

std::string release_hold(pqxx::connection_base& connection, const std::string& kind,
                         const std::string& subject_text, const std::string& by,
                         const std::string& case_ref) {
  check_kind(kind);
  if (by.empty()) throw HoldError("releasing a hold needs the name of who releases it");
  check_case_ref(case_ref);
  std::string subject, why_not;
  try {
    subject = prepare_hold_subject(kind, subject_text);
  } catch (const HoldError& e) {
    why_not = e.what();
  }
  pqxx::work tx(connection, "release hold");
  // A text that is not a JID can only name a hold stored before holds were prepared.
  auto rows = why_not.empty() ? tx.exec_params(
                                    "UPDATE legal_holds SET released_at = now(), released_by = $3"
                                    " WHERE kind = $1 AND subject = $2 AND released_at IS NULL"
                                    " RETURNING id, subject",
                                    kind, subject, by)
                              : tx.exec_params(
                                    "UPDATE legal_holds SET released_at = now(), released_by = $3"
                                    " WHERE kind = $1 AND subject = $2 AND released_at IS NULL"
                                    " AND subject_problem IS NOT NULL RETURNING id, subject",
                                    kind, subject_text, by);
  if (rows.empty()) {
    if (!why_not.empty()) throw HoldError(why_not + ", and no hold is stored under that text");
    throw HoldError(kind + " " + subject + " is not under a legal hold");
  }
  tx.exec_params(
      "INSERT INTO audit (actor, action, object, detail) VALUES ($1, 'retention.hold.release',"
      " $2, jsonb_build_object('kind', $3::text, 'hold_id', $4::bigint) || " +
          case_member(5) + ")",
      by, rows[0][1].as<std::string>(), kind, rows[0][0].as<long long>(), case_ref);
  tx.commit();
  return rows[0][1].as<std::string>();
}

namespace {

constexpr const char* kHoldColumns =
    "SELECT id, kind, subject, coalesce(typed_subject, ''), coalesce(subject_problem, ''),"
    " coalesce(context_minutes, -1), reason, placed_by,"
    " to_char(placed_at AT TIME ZONE 'UTC', $1),"
    " coalesce(to_char(released_at AT TIME ZONE 'UTC', $1), ''), coalesce(released_by, '')"
    " FROM legal_holds";

LegalHold read_hold(const pqxx::row& row) {
  LegalHold h;
  h.id = row[0].as<long long>();
  h.kind = row[1].as<std::string>();
  h.subject = row[2].as<std::string>();
  h.typed_subject = row[3].as<std::string>();
  h.problem = row[4].as<std::string>();
  if (const int minutes = row[5].as<int>(); minutes >= 0) h.context_minutes = minutes;
  h.reason = row[6].as<std::string>();
  h.placed_by = row[7].as<std::string>();
  h.placed_at = row[8].as<std::string>();
  h.released_at = row[9].as<std::string>();
  h.released_by = row[10].as<std::string>();
  return h;
}

}  // namespace

std::vector<LegalHold> list_holds(pqxx::connection_base& connection) {
  pqxx::read_transaction tx(connection, "list holds");
  std::vector<LegalHold> out;
  for (const auto& row : tx.exec_params(
           std::string(kHoldColumns) + " WHERE released_at IS NULL ORDER BY placed_at, id",
           kTimeFormat))
    out.push_back(read_hold(row));
  return out;
}

std::vector<LegalHold> hold_history(pqxx::connection_base& connection, int limit) {
  pqxx::read_transaction tx(connection, "hold history");
  std::vector<LegalHold> out;
  for (const auto& row :
       tx.exec_params(std::string(kHoldColumns) + " ORDER BY placed_at DESC, id DESC LIMIT $2::int",
                      kTimeFormat, limit))
    out.push_back(read_hold(row));
  return out;
}

HoldCoverage hold_coverage(pqxx::connection_base& connection, long long id) {
  pqxx::read_transaction tx(connection, "hold coverage");
  auto rows = tx.exec_params(
      "SELECT kind, subject, subject_problem IS NOT NULL FROM legal_holds"
      " WHERE id = $1 AND released_at IS NULL",
      id);
  if (rows.empty()) throw HoldError("there is no active legal hold " + std::to_string(id));
  if (rows[0][2].as<bool>()) return {};
  return coverage_of(tx, id, rows[0][0].as<std::string>(), rows[0][1].as<std::string>());
}

std::vector<StoredHoldChange> prepare_stored_holds(pqxx::connection_base& connection) {
  pqxx::work tx(connection, "prepare stored holds");
  // A hold placed meanwhile would race the duplicate check below.
  tx.exec0("LOCK TABLE legal_holds IN SHARE ROW EXCLUSIVE MODE");
  std::vector<StoredHoldChange> out;
  for (const auto& row :
       tx.exec("SELECT id, kind, subject, coalesce(subject_problem, ''), released_at IS NULL"
               " FROM legal_holds ORDER BY id")) {
    StoredHoldChange c;
    c.id = row[0].as<long long>();
    c.kind = row[1].as<std::string>();
    c.from = row[2].as<std::string>();
    const std::string stored_problem = row[3].as<std::string>();
    const bool active = row[4].as<bool>();
    try {
      c.to = prepare_hold_subject(c.kind, c.from);
    } catch (const HoldError& e) {
      c.problem = e.what();
    }
    if (!c.problem.empty()) {
      if (c.problem != stored_problem) {
        tx.exec_params("UPDATE legal_holds SET subject_problem = $2 WHERE id = $1", c.id,
                       c.problem);
        tx.exec_params(
            "INSERT INTO audit (actor, action, object, detail) VALUES ($1,"
            " 'retention.hold.prepare', $2, jsonb_build_object('hold_id', $3::bigint,"
            " 'kind', $4::text, 'problem', $5::text))",
            kMigrateActor, c.from, c.id, c.kind, c.problem);
      }
      // Reported on every run while it is in force: it protects nothing.
      if (active) out.push_back(std::move(c));
      continue;
    }
    if (c.to == c.from) {
      if (!stored_problem.empty())
        tx.exec_params("UPDATE legal_holds SET subject_problem = NULL WHERE id = $1", c.id);
      continue;
    }
    if (active) {
      auto same = tx.exec_params(
          "SELECT id FROM legal_holds WHERE kind = $1 AND subject = $2 AND released_at IS NULL"
          " AND id <> $3",
          c.kind, c.to, c.id);
      if (!same.empty()) c.merged_into = same[0][0].as<long long>();
    }
    tx.exec_params(
        "UPDATE legal_holds SET subject = $2, typed_subject = coalesce(typed_subject, subject),"
        " subject_problem = NULL,"
        " released_at = CASE WHEN $3 THEN now() ELSE released_at END,"
        " released_by = CASE WHEN $3 THEN $4 ELSE released_by END"
        " WHERE id = $1",
        c.id, c.to, c.merged_into != 0, kMigrateActor);
    tx.exec_params(
        "INSERT INTO audit (actor, action, object, detail) VALUES ($1, 'retention.hold.prepare',"
        " $2, jsonb_build_object('hold_id', $3::bigint, 'kind', $4::text, 'from', $5::text,"
        " 'merged_into', nullif($6::bigint, 0)))",
        kMigrateActor, c.to, c.id, c.kind, c.from, c.merged_into);
    out.push_back(std::move(c));
  }
  tx.commit();
  return out;
}

}  // namespace commonroom::store
