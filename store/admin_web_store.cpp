#include "store/admin_web_store.hpp"

#include <pqxx/pqxx>

#include "directory/name_folding.hpp"
#include "store/pg_array.hpp"

namespace commonroom::store {

namespace {

constexpr const char* kTimeFormat = "YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"";

// LIKE pattern matching `text` anywhere: its own % _ and \ taken literally.
std::string contains_pattern(const std::string& text) {
  std::string out = "%";
  for (char c : text) {
    if (c == '%' || c == '_' || c == '\\') out += '\\';
    out += c;
  }
  return out + '%';
}

void audit(pqxx::work& tx, const std::string& actor, const std::string& action,
           const std::string& object, const std::string& detail_json) {
  tx.exec_params("INSERT INTO audit (actor, action, object, detail) VALUES ($1, $2, $3, $4::jsonb)",
                 actor, action, object, detail_json.empty() ? std::string("{}") : detail_json);
}

AdminRoleRecord role_row(const pqxx::row& r) {
  return {r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
          r[3].as<std::string>(), r[4].as<std::string>()};
}

constexpr const char* kRoleColumns =
    "SELECT principal, role, scope, granted_by, to_char(granted_at AT TIME ZONE 'UTC', $1)"
    " FROM admin_roles";

constexpr const char* kRoomColumns =
    "SELECT jid, coalesce(config->>'name', ''), subject,"
    " coalesce((config->>'public_room')::boolean, false),"
    " coalesce((config->>'members_only')::boolean, false),"
    " coalesce((config->>'password_protected')::boolean, false),"
    " ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(config->'linked') = 'array'"
    "       THEN config->'linked' ELSE '[]'::jsonb END)),"
    " created_by, to_char(created_at AT TIME ZONE 'UTC', $1) FROM rooms";

AdminRoomRecord room_row(const pqxx::row& r) {
  AdminRoomRecord out;
  out.jid = r[0].as<std::string>();
  out.name = r[1].as<std::string>();
  out.subject = r[2].as<std::string>();
  out.public_room = r[3].as<bool>();
  out.members_only = r[4].as<bool>();
  out.password_protected = r[5].as<bool>();
  out.linked = array_values(r[6]);
  out.created_by = r[7].as<std::string>();
  out.created_at = r[8].as<std::string>();
  return out;
}

constexpr const char* kPersonColumns =
    "SELECT uid, jid, display_name, mail, title, affiliation, institutions,"
    " to_char(synced_at AT TIME ZONE 'UTC', $1) FROM directory_people";

AdminPersonRecord person_row(const pqxx::row& r) {
  return {r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
          r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>(),
          array_values(r[6]),     r[7].as<std::string>()};
}

}  // namespace

bool grant_admin_role(pqxx::connection_base& c, const std::string& principal,
                      const std::string& role, const std::string& scope, const std::string& by) {
  pqxx::work tx(c, "grant admin role");
  auto rows = tx.exec_params(
      "INSERT INTO admin_roles (principal, role, scope, granted_by) VALUES ($1, $2, $3, $4)"
      " ON CONFLICT DO NOTHING RETURNING 1",
      principal, role, scope, by);
  if (rows.empty()) return false;
  audit(tx, by, "admin.grant", principal,
        tx.exec_params("SELECT jsonb_build_object('role', $1::text, 'scope', $2::text)::text", role,
                       scope)[0][0]
            .as<std::string>());
  tx.commit();
  return true;
}

bool revoke_admin_role(pqxx::connection_base& c, const std::string& principal,
                       const std::string& role, const std::string& scope, const std::string& by) {
  pqxx::work tx(c, "revoke admin role");
  auto rows = tx.exec_params(
      "DELETE FROM admin_roles WHERE principal = $1 AND role = $2 AND scope = $3 RETURNING 1",
      principal, role, scope);
  if (rows.empty()) return false;
  tx.exec_params(
      "UPDATE admin_sessions SET ended_at = now() WHERE principal = $1 AND ended_at IS NULL",
      principal);
  audit(tx, by, "admin.revoke", principal,
        tx.exec_params("SELECT jsonb_build_object('role', $1::text, 'scope', $2::text)::text", role,
                       scope)[0][0]
            .as<std::string>());
  tx.commit();
  return true;
}

std::vector<AdminRoleRecord> list_admin_roles(pqxx::connection_base& c) {
  pqxx::read_transaction tx(c);
  std::vector<AdminRoleRecord> out;
  for (const auto& r :
       tx.exec_params(std::string(kRoleColumns) + " ORDER BY principal, role, scope", kTimeFormat))
    out.push_back(role_row(r));
  return out;
}

std::vector<AdminRoleRecord> admin_roles_of(pqxx::connection_base& c,
                                            const std::string& principal) {
  pqxx::read_transaction tx(c);
  std::vector<AdminRoleRecord> out;
  for (const auto& r :
       tx.exec_params(std::string(kRoleColumns) + " WHERE principal = $2 ORDER BY role, scope",
                      kTimeFormat, principal))
    out.push_back(role_row(r));
  return out;
}

void create_admin_login_link(pqxx::connection_base& c, const std::string& token_sha256,
                             const std::string& principal, int valid_seconds,
                             const std::string& by) {
  pqxx::work tx(c, "create login link");
  tx.exec_params(
      "INSERT INTO admin_login_links (token_sha256, principal, expires_at)"
      " VALUES ($1, $2, now() + make_interval(secs => $3::int))",
      token_sha256, principal, valid_seconds);
  // Used links are kept a day for the audit trail's sake, then go.
  tx.exec0("DELETE FROM admin_login_links WHERE expires_at < now() - interval '1 day'");
  audit(tx, by, "admin.login_link", principal,
        "{\"valid_seconds\": " + std::to_string(valid_seconds) + "}");
  tx.commit();
}

std::optional<std::string> consume_admin_login_link(pqxx::connection_base& c,
                                                    const std::string& token_sha256) {
  pqxx::work tx(c, "consume login link");
  auto rows = tx.exec_params(
      "UPDATE admin_login_links SET used_at = now()"
      " WHERE token_sha256 = $1 AND used_at IS NULL AND expires_at > now() RETURNING principal",
      token_sha256);
  tx.commit();
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

void create_admin_session(pqxx::connection_base& c, const std::string& id_sha256,
                          const std::string& principal, const std::string& csrf_token,
                          const std::string& method) {
  pqxx::work tx(c, "create admin session");
  tx.exec_params(
      "INSERT INTO admin_sessions (id_sha256, principal, csrf_token, method)"
      " VALUES ($1, $2, $3, $4)",
      id_sha256, principal, csrf_token, method);
  // Ended and long-expired sessions are of no further use.
  tx.exec0(
      "DELETE FROM admin_sessions WHERE coalesce(ended_at, last_seen_at) < now() - interval "
      "'7 days'");
  audit(tx, principal, "admin.sign_in", "", "{\"method\": \"" + method + "\"}");
  tx.commit();
}

std::optional<AdminSessionRecord> touch_admin_session(pqxx::connection_base& c,
                                                      const std::string& id_sha256,
                                                      int idle_seconds, int max_seconds) {
  pqxx::work tx(c, "touch admin session");
  // last_seen_at moves at most once a minute: most page views then write nothing, and a
  // read-only commit does not wait for the WAL to reach the disk.
  auto rows = tx.exec_params(
      "WITH open AS (SELECT id_sha256, principal, csrf_token, last_seen_at FROM admin_sessions"
      "   WHERE id_sha256 = $1 AND ended_at IS NULL"
      "     AND last_seen_at > now() - make_interval(secs => $2::int)"
      "     AND created_at > now() - make_interval(secs => $3::int)),"
      " seen AS (UPDATE admin_sessions SET last_seen_at = now()"
      "   WHERE id_sha256 IN (SELECT id_sha256 FROM open"
      "                       WHERE last_seen_at < now() - interval '1 minute'))"
      " SELECT principal, csrf_token FROM open",
      id_sha256, idle_seconds, max_seconds);
  tx.commit();
  if (rows.empty()) return std::nullopt;
  return AdminSessionRecord{rows[0][0].as<std::string>(), rows[0][1].as<std::string>()};
}

bool end_admin_session(pqxx::connection_base& c, const std::string& id_sha256) {
  pqxx::work tx(c, "end admin session");
  auto rows = tx.exec_params(
      "UPDATE admin_sessions SET ended_at = now() WHERE id_sha256 = $1 AND ended_at IS NULL"
      " RETURNING principal",
      id_sha256);
  if (rows.empty()) return false;
  audit(tx, rows[0][0].as<std::string>(), "admin.sign_out", "", "{}");
  tx.commit();
  return true;
}

bool record_raven_response(pqxx::connection_base& c, const std::string& response_key,
                           int keep_seconds) {
  pqxx::work tx(c, "record raven response");
  tx.exec_params(
      "DELETE FROM admin_raven_responses WHERE seen_at < now() - make_interval(secs => $1::int)",
      keep_seconds);
  auto rows = tx.exec_params(
      "INSERT INTO admin_raven_responses (response_key) VALUES ($1) ON CONFLICT DO NOTHING"
      " RETURNING 1",
      response_key);
  tx.commit();
  return !rows.empty();
}

void write_audit(pqxx::connection_base& c, const std::string& actor, const std::string& action,
                 const std::string& object, const std::string& detail_json) {
  pqxx::work tx(c, "audit");
  audit(tx, actor, action, object, detail_json);
  tx.commit();
}

std::vector<AuditRecord> recent_audit(pqxx::connection_base& c, long long before_id, int limit) {
  pqxx::read_transaction tx(c);
  std::vector<AuditRecord> out;
  for (const auto& r : tx.exec_params(
           "SELECT id, to_char(occurred_at AT TIME ZONE 'UTC', $1), actor, action, object,"
           " detail::text FROM audit WHERE ($2::bigint = 0 OR id < $2::bigint)"
           " ORDER BY id DESC LIMIT $3::int",
           kTimeFormat, before_id, limit))
    out.push_back({r[0].as<long long>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>()});
  return out;
}

std::vector<AdminRoomRecord> find_admin_rooms(pqxx::connection_base& c, const AdminRoomQuery& q) {
  std::vector<std::string> rooms, links;
  if (q.scopes)
    for (const auto& s : *q.scopes) {
      if (s.starts_with("room:"))
        rooms.push_back(s.substr(5));
      else
        links.push_back(s);
    }
  // $2..$6: the search text and the viewer's scope, the same for every order.
  constexpr const char* kFilter =
      " AND ($2 = '' OR (r.jid || ' ' || lower(coalesce(r.config->>'name', ''))) LIKE lower($3))"
      " AND (NOT $4::boolean OR r.jid = ANY($5::text[]) OR r.config->'linked' ?| $6::text[])";
  constexpr const char* kExtra =
      ", coalesce(to_char(a.last_message_at AT TIME ZONE 'UTC', "
      "'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"'),"
      " ''), lower(coalesce(r.config->>'name', ''))";
  std::string columns = kRoomColumns;
  columns.insert(columns.rfind(" FROM rooms"), kExtra);
  columns += " r";
  pqxx::read_transaction tx(c);
  std::vector<AdminRoomRecord> out;
  auto take = [&](const pqxx::result& rows) {
    for (const auto& r : rows) {
      out.push_back(room_row(r));
      out.back().last_message_at = r[9].as<std::string>();
      out.back().name_key = r[10].as<std::string>();
    }
  };
  const auto pattern = contains_pattern(q.text);
  const bool scoped = q.scopes.has_value();
  // Every order pages by keyset on an index: each page costs the same at 100,000 rooms.
  switch (q.order) {
    case AdminRoomOrder::address:
      take(tx.exec_params(columns +
                              " LEFT JOIN room_activity a ON a.room = r.jid WHERE r.jid > $7" +
                              kFilter + " ORDER BY r.jid LIMIT $8::int",
                          kTimeFormat, q.text, pattern, scoped, array_text(rooms),
                          array_text(links), q.after, q.limit));
      break;
    case AdminRoomOrder::name:
      take(tx.exec_params(
          columns +
              " LEFT JOIN room_activity a ON a.room = r.jid"
              " WHERE (lower(coalesce(r.config->>'name', '')), r.jid) > ($7, $8)" +
              kFilter + " ORDER BY lower(coalesce(r.config->>'name', '')), r.jid LIMIT $9::int",
          kTimeFormat, q.text, pattern, scoped, array_text(rooms), array_text(links), q.after_key,
          q.after, q.limit));
      break;
    case AdminRoomOrder::activity:
      // Newest message first, from room_activity's index; then the rooms without any
      // recorded message, by JID.
      if (!q.after_quiet)
        take(tx.exec_params(
            columns +
                " JOIN room_activity a ON a.room = r.jid"
                " WHERE ($7 = '' OR (a.last_message_at, a.room) < ($7::timestamptz, $8))" +
                kFilter + " ORDER BY a.last_message_at DESC, a.room DESC LIMIT $9::int",
            kTimeFormat, q.text, pattern, scoped, array_text(rooms), array_text(links), q.after_key,
            q.after, q.limit));
      if (static_cast<int>(out.size()) < q.limit)
        take(tx.exec_params(columns +
                                " LEFT JOIN room_activity a ON a.room = r.jid"
                                " WHERE a.room IS NULL AND r.jid > $7" +
                                kFilter + " ORDER BY r.jid LIMIT $8::int",
                            kTimeFormat, q.text, pattern, scoped, array_text(rooms),
                            array_text(links), q.after_quiet ? q.after : std::string(),
                            q.limit - static_cast<int>(out.size())));
      break;
  }
  return out;
}

std::vector<std::pair<std::string, std::int64_t>> messages_per_hour(pqxx::connection_base& c,
                                                                    int hours) {
  pqxx::read_transaction tx(c);
  std::vector<std::pair<std::string, std::int64_t>> out;
  for (const auto& r : tx.exec_params(
           "SELECT to_char(h AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:00'), coalesce(m.messages, 0)"
           " FROM generate_series(date_trunc('hour', now()) - ($1::int - 1) * interval '1 hour',"
           "                      date_trunc('hour', now()), interval '1 hour') h"
           " LEFT JOIN room_message_hours m ON m.hour = h ORDER BY h",
           hours))
    out.emplace_back(r[0].as<std::string>(), r[1].as<std::int64_t>());
  return out;
}

std::int64_t count_rooms(pqxx::connection_base& c) {
  pqxx::read_transaction tx(c);
  return tx.exec1("SELECT count(*) FROM rooms")[0].as<std::int64_t>();
}

std::optional<AdminRoomDetail> find_admin_room(pqxx::connection_base& c, const std::string& jid) {
  pqxx::read_transaction tx(c);
  auto rows = tx.exec_params(std::string(kRoomColumns) + " WHERE jid = $2", kTimeFormat, jid);
  if (rows.empty()) return std::nullopt;
  AdminRoomDetail out;
  out.room = room_row(rows[0]);
  for (const auto& r :
       tx.exec_params("SELECT key, value::text FROM rooms, jsonb_each(config) WHERE jid = $1"
                      " AND key <> 'password' ORDER BY key",
                      jid))
    out.config.emplace_back(r[0].as<std::string>(), r[1].as<std::string>());
  for (const auto& r :
       tx.exec_params("SELECT jid, affiliation, nick, reason FROM room_affiliations WHERE room = $1"
                      " ORDER BY CASE affiliation WHEN 'owner' THEN 0 WHEN 'admin' THEN 1"
                      " WHEN 'member' THEN 2 WHEN 'outcast' THEN 3 ELSE 4 END, jid",
                      jid))
    out.affiliations.push_back({r[0].as<std::string>(), r[1].as<std::string>(),
                                r[2].as<std::string>(), r[3].as<std::string>()});
  for (const auto& r :
       tx.exec_params("SELECT jid, nick, to_char(requested_at AT TIME ZONE 'UTC', $2)"
                      " FROM room_registration_requests WHERE room = $1 ORDER BY requested_at, jid",
                      jid, kTimeFormat))
    out.registration_requests.push_back(
        {r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>()});
  return out;
}

std::vector<AdminPersonRecord> search_admin_people(pqxx::connection_base& c,
                                                   const std::string& text, int limit) {
  const std::string folded = directory::fold_for_search(text);
  pqxx::read_transaction tx(c);
  std::vector<AdminPersonRecord> out;
  if (folded.empty()) return out;
  for (const auto& r :
       tx.exec_params(std::string(kPersonColumns) +
                          " WHERE uid = lower($2) OR name_folded LIKE $3 OR mail_folded LIKE $3"
                          " ORDER BY display_name, uid LIMIT $4::int",
                      kTimeFormat, text, contains_pattern(folded), limit))
    out.push_back(person_row(r));
  return out;
}

std::optional<AdminPersonRecord> find_admin_person(pqxx::connection_base& c,
                                                   const std::string& uid) {
  pqxx::read_transaction tx(c);
  auto rows = tx.exec_params(std::string(kPersonColumns) + " WHERE uid = $2", kTimeFormat, uid);
  if (rows.empty()) return std::nullopt;
  return person_row(rows[0]);
}

std::vector<AdminSyncRunRecord> recent_sync_runs(pqxx::connection_base& c, int limit) {
  pqxx::read_transaction tx(c);
  std::vector<AdminSyncRunRecord> out;
  for (const auto& r : tx.exec_params(
           "SELECT kind, to_char(started_at AT TIME ZONE 'UTC', $1),"
           " coalesce(to_char(finished_at AT TIME ZONE 'UTC', $1), ''), status, people_seen,"
           " added, updated, removed, rejected, error FROM directory_sync_runs"
           " ORDER BY started_at DESC, id DESC LIMIT $2::int",
           kTimeFormat, limit))
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<std::string>(), r[4].as<long long>(), r[5].as<long long>(),
                   r[6].as<long long>(), r[7].as<long long>(), r[8].as<long long>(),
                   r[9].as<std::string>()});
  return out;
}

std::vector<AdminOptOutRecord> directory_opt_outs(pqxx::connection_base& c) {
  pqxx::read_transaction tx(c);
  std::vector<AdminOptOutRecord> out;
  for (const auto& r :
       tx.exec_params("SELECT uid, to_char(opted_out_at AT TIME ZONE 'UTC', $1), note"
                      " FROM directory_opt_outs ORDER BY uid",
                      kTimeFormat))
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>()});
  return out;
}

}  // namespace commonroom::store
