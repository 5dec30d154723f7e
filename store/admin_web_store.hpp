// The admin web's tables (schema/0009_admin_web.sql: roles, sessions, one-time sign-in links,
// accepted Raven responses) and the reads its pages make (rooms, people, audit). Every
// change that a person makes writes an audit row in the same transaction.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace pqxx {
class connection_base;
}

namespace commonroom::store {

struct AdminRoleRecord {
  std::string principal;
  std::string role;   // admin, room-manager, abuse, auditor
  std::string scope;  // room-manager: inst:<id>, group:<id> or room:<jid>; else ""
  std::string granted_by;
  std::string granted_at;  // ISO 8601, UTC
};

// Returns false when the principal already had the role (nothing changes, nothing audited).
bool grant_admin_role(pqxx::connection_base& c, const std::string& principal,
                      const std::string& role, const std::string& scope, const std::string& by);
// Returns false when the principal did not have the role. Revoking also ends the
// principal's sessions, so the change takes effect at once.
bool revoke_admin_role(pqxx::connection_base& c, const std::string& principal,
                       const std::string& role, const std::string& scope, const std::string& by);
std::vector<AdminRoleRecord> list_admin_roles(pqxx::connection_base& c);
std::vector<AdminRoleRecord> admin_roles_of(pqxx::connection_base& c, const std::string& principal);

// A one-time sign-in link: only the token's SHA-256 (hex) is stored.
void create_admin_login_link(pqxx::connection_base& c, const std::string& token_sha256,
                             const std::string& principal, int valid_seconds,
                             const std::string& by);
// Marks the link used and returns its principal; nullopt when unknown, used or expired.
std::optional<std::string> consume_admin_login_link(pqxx::connection_base& c,
                                                    const std::string& token_sha256);

struct AdminSessionRecord {
  std::string principal;
  std::string csrf_token;
};
// method: link, raven or proxy. Audited as admin.sign_in.
void create_admin_session(pqxx::connection_base& c, const std::string& id_sha256,
                          const std::string& principal, const std::string& csrf_token,
                          const std::string& method);
// The session if it is open, not idle longer than idle_seconds and not older than
// max_seconds; it is marked as seen now.
std::optional<AdminSessionRecord> touch_admin_session(pqxx::connection_base& c,
                                                      const std::string& id_sha256,
                                                      int idle_seconds, int max_seconds);
// Ends the session (audited as admin.sign_out); false when it was not open.
bool end_admin_session(pqxx::connection_base& c, const std::string& id_sha256);

// Records a Raven response as accepted; false when it was accepted before (a replay).
// Forgets responses older than keep_seconds (they are refused as stale anyway).
bool record_raven_response(pqxx::connection_base& c, const std::string& response_key,
                           int keep_seconds);

// An audit row; detail is a JSON object text.
void write_audit(pqxx::connection_base& c, const std::string& actor, const std::string& action,
                 const std::string& object, const std::string& detail_json);

struct AuditRecord {
  long long id = 0;
  std::string occurred_at;  // ISO 8601, UTC
  std::string actor, action, object, detail;
};
// Newest first; before_id 0 = from the newest.
std::vector<AuditRecord> recent_audit(pqxx::connection_base& c, long long before_id, int limit);

struct AdminRoomRecord {
  std::string jid;
  std::string name;
  std::string subject;
  bool public_room = false;
  bool members_only = false;
  bool password_protected = false;
  std::vector<std::string> linked;  // inst:<id>, group:<id>
  std::string created_by;
  std::string created_at;  // ISO 8601, UTC
  // The newest groupchat message (room_activity), ISO 8601 UTC to the microsecond; "" = none
  // recorded. Filled by the name and activity orders.
  std::string last_message_at;
  std::string name_key;  // lower-cased name, the name order's key
};
// The orders the rooms list offers; each pages by keyset on an index.
enum class AdminRoomOrder { address, name, activity };
struct AdminRoomQuery {
  std::string text;   // substring of the JID or the name; "" = all
  std::string after;  // keyset: rooms whose JID sorts after this
  int limit = 50;
  // nullopt: every room; else only rooms named (room:<jid>) or linked (inst:, group:) here.
  std::optional<std::vector<std::string>> scopes;
  AdminRoomOrder order = AdminRoomOrder::address;
  // The keyset cursor's first part besides `after` (the JID): the name order's lower-cased
  // name; the activity order's last_message_at, or "" for the rooms without any message,
  // which follow the others by JID.
  std::string after_key;
  bool after_quiet = false;  // activity order: the cursor is among the rooms without messages
};
// The stored (persistent) rooms, by JID.
std::vector<AdminRoomRecord> find_admin_rooms(pqxx::connection_base& c, const AdminRoomQuery& q);
std::int64_t count_rooms(pqxx::connection_base& c);

// Groupchat messages in each of the last `hours` hours (room_message_hours, kept from the
// abuse log), oldest first, with the hour as "YYYY-MM-DD HH:00" UTC; hours without any are 0.
std::vector<std::pair<std::string, std::int64_t>> messages_per_hour(pqxx::connection_base& c,
                                                                    int hours);

struct AdminRoomDetail {
  AdminRoomRecord room;
  std::vector<std::pair<std::string, std::string>> config;  // key, JSON value text
  struct Affiliation {
    std::string jid, affiliation, nick, reason;
  };
  std::vector<Affiliation> affiliations;
  struct Request {
    std::string jid, nick, requested_at;  // waiting for a room admin's approval
  };
  std::vector<Request> registration_requests;
};
std::optional<AdminRoomDetail> find_admin_room(pqxx::connection_base& c, const std::string& jid);

struct AdminPersonRecord {
  std::string uid, jid, display_name, mail, title, affiliation;
  std::vector<std::string> institutions;
  std::string synced_at;  // ISO 8601, UTC
};
// Substring search over the folded names and mail (as the XMPP search does) and exact uid.
std::vector<AdminPersonRecord> search_admin_people(pqxx::connection_base& c,
                                                   const std::string& text, int limit);
std::optional<AdminPersonRecord> find_admin_person(pqxx::connection_base& c,
                                                   const std::string& uid);

struct AdminSyncRunRecord {
  std::string kind, started_at, finished_at, status;
  long long people_seen = 0, added = 0, updated = 0, removed = 0, rejected = 0;
  std::string error;
};
// The directory sync runs, newest first.
std::vector<AdminSyncRunRecord> recent_sync_runs(pqxx::connection_base& c, int limit);

struct AdminOptOutRecord {
  std::string uid, opted_out_at, note;
};
std::vector<AdminOptOutRecord> directory_opt_outs(pqxx::connection_base& c);

}  // namespace commonroom::store
