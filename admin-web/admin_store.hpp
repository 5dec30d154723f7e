// What the admin web reads and writes in the service's database, as an interface: app/
// implements it over store/ (PostgreSQL); tests implement it in memory. Called on HTTP worker
// threads, so implementations are thread-safe. Failures throw (the page answers 500).
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace commonroom::admin_web {

// One role of a principal; scope is set for room-manager only (inst:<id>, group:<id>,
// room:<jid>).
struct Grant {
  std::string role;
  std::string scope;
};

struct StoredSession {
  std::string principal;
  std::string csrf_token;
};

struct RoomRow {
  std::string jid, name, subject;
  bool public_room = false;
  bool members_only = false;
  bool password_protected = false;
  std::vector<std::string> linked;
  std::string created_by, created_at;
  std::string last_message_at;  // ISO 8601 UTC, "" = no message recorded (name, activity orders)
  std::string name_key;         // the name order's cursor part
};

// The orders of the rooms list.
enum class RoomOrder { address, name, activity };

struct RoomQuery {
  std::string text;   // substring of the JID or name; "" = every room
  std::string after;  // keyset paging: rooms whose JID sorts after this
  int limit = 50;
  std::optional<std::vector<std::string>> scopes;  // nullopt = every room
  RoomOrder order = RoomOrder::address;
  std::string after_key;     // name order: the name; activity order: last_message_at
  bool after_quiet = false;  // activity order: past the rooms with messages
};

struct RoomDetail {
  RoomRow room;
  std::vector<std::pair<std::string, std::string>> config;  // key, JSON value text
  struct Affiliation {
    std::string jid, affiliation, nick, reason;
  };
  std::vector<Affiliation> affiliations;
  struct Request {
    std::string jid, nick, requested_at;
  };
  std::vector<Request> registration_requests;  // waiting for approval
};

struct PersonRow {
  std::string uid, jid, display_name, mail, title, affiliation;
  std::vector<std::string> institutions;
  std::string synced_at;
};

struct AuditRow {
  long long id = 0;
  std::string occurred_at, actor, action, object, detail;
};

struct SyncRunRow {
  std::string kind, started_at, finished_at, status;
  long long people_seen = 0, added = 0, updated = 0, removed = 0, rejected = 0;
  std::string error;
};

struct OptOutRow {
  std::string uid, opted_out_at, note;
};

class AdminStore {
 public:
  virtual ~AdminStore() = default;

  // Sessions: ids and tokens arrive as SHA-256 hex; the store never sees a cookie.
  virtual void create_session(const std::string& id_sha256, const std::string& principal,
                              const std::string& csrf_token, const std::string& method) = 0;
  virtual std::optional<StoredSession> touch_session(const std::string& id_sha256, int idle_seconds,
                                                     int max_seconds) = 0;
  virtual void end_session(const std::string& id_sha256) = 0;
  // The principal of an unused, unexpired one-time link, which is used up by this call.
  virtual std::optional<std::string> consume_login_link(const std::string& token_sha256) = 0;
  // False when this Raven response was accepted before (a replay).
  virtual bool accept_raven_response(const std::string& key, int keep_seconds) = 0;
  virtual std::vector<Grant> grants(const std::string& principal) = 0;
  virtual void audit(const std::string& actor, const std::string& action, const std::string& object,
                     const std::string& detail_json) = 0;
  virtual std::vector<AuditRow> audit_entries(long long before_id, int limit) = 0;

  virtual std::vector<RoomRow> rooms(const RoomQuery& query) = 0;
  virtual std::int64_t room_count() = 0;
  // Groupchat messages in each of the last `hours` hours, oldest first: ("YYYY-MM-DD HH:00"
  // UTC, count).
  virtual std::vector<std::pair<std::string, std::int64_t>> messages_per_hour(int hours) = 0;
  virtual std::optional<RoomDetail> room(const std::string& jid) = 0;

  virtual std::vector<PersonRow> people(const std::string& text, int limit) = 0;
  virtual std::optional<PersonRow> person(const std::string& uid) = 0;
  virtual std::vector<SyncRunRow> sync_runs(int limit) = 0;  // newest first
  virtual std::vector<OptOutRow> opt_outs() = 0;
};

}  // namespace commonroom::admin_web
