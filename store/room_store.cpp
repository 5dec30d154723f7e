#include "store/room_store.hpp"

#include <pqxx/pqxx>

#include <map>

#include "muc/room_secret.hpp"
#include "store/pg_array.hpp"

namespace commonroom::store {

namespace {

using TimePoint = std::chrono::system_clock::time_point;

long long to_micros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

TimePoint from_micros(long long us) {
  return TimePoint{std::chrono::microseconds{us}};
}

std::string role_list(const muc::RoleSet& roles) {
  std::string out;
  for (auto r : {muc::Role::visitor, muc::Role::participant, muc::Role::moderator}) {
    if (!roles.contains(r)) continue;
    if (!out.empty()) out += ',';
    out += muc::to_string(r);
  }
  return out;
}

muc::RoleSet parse_roles(const std::string& text) {
  muc::RoleSet out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (auto r = muc::role_from_string(std::string_view(text).substr(start, comma - start)))
      out.add(*r);
    start = comma + 1;
  }
  return out;
}

// Text of a config key, or nullopt when the stored object lacks it (written by an older
// binary): the field then keeps its RoomConfig default.
std::optional<std::string> text(const pqxx::field& f) {
  if (f.is_null()) return std::nullopt;
  return f.as<std::string>();
}

void set_bool(const pqxx::field& f, bool& out) {
  if (auto t = text(f)) out = (*t == "true");
}

void set_u32(const pqxx::field& f, std::uint32_t& out) {
  if (auto t = text(f)) {
    try {
      out = static_cast<std::uint32_t>(std::stoul(*t));
    } catch (const std::exception&) {
    }
  }
}

// The config keys, in the order the SELECT below reads them.
constexpr const char* kConfigKeys[] = {
    "name",          "description", "lang",        "enable_logging",     "change_subject",
    "allow_invites", "allow_pm",    "max_users",   "presence_broadcast", "get_member_list",
    "public_room",   "persistent",  "moderated",   "members_only",       "password_protected",
    "password",      "whois",       "max_history", "registration"};

std::string select_sql() {
  std::string sql =
      "SELECT jid, subject, subject_nick, "
      "(extract(epoch FROM subject_at) * 1000000)::bigint, occupant_id_secret, "
      "(extract(epoch FROM created_at) * 1000000)::bigint, created_by";
  for (const char* k : kConfigKeys) {
    sql += ", config->>'";
    sql += k;
    sql += "'";
  }
  // A JSON array of link strings; rows written before linked rooms existed have no key.
  sql +=
      ", ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(config->'linked') ="
      " 'array' THEN config->'linked' ELSE '[]'::jsonb END))";
  return sql + " FROM rooms ORDER BY jid";
}

}  // namespace

RoomStore::RoomStore(Database& db) : db_(db) {}

int RoomStore::hash_clear_passwords() {
  pqxx::work tx(db_.connection(), "hash room passwords");
  int hashed = 0;
  for (const auto& row : tx.exec("SELECT jid, config->>'password' FROM rooms"
                                 " WHERE coalesce(config->>'password', '') <> '' FOR UPDATE")) {
    const std::string stored = row[1].as<std::string>();
    if (muc::is_hashed_room_secret(stored)) continue;
    tx.exec_params(
        "UPDATE rooms SET config = jsonb_set(config, '{password}', to_jsonb($2::text))"
        " WHERE jid = $1",
        row[0].as<std::string>(), muc::hash_room_secret(stored));
    ++hashed;
  }
  tx.commit();
  return hashed;
}

std::vector<muc::RoomSnapshot> RoomStore::load_all() {
  pqxx::read_transaction tx(db_.connection(), "load rooms");
  std::vector<muc::RoomSnapshot> rooms;
  std::map<std::string, size_t> index;
  for (const auto& row : tx.exec(select_sql())) {
    muc::RoomSnapshot s;
    s.jid = row[0].as<std::string>();
    s.subject = row[1].as<std::string>();
    s.subject_nick = row[2].as<std::string>();
    if (!row[3].is_null()) s.subject_at = from_micros(row[3].as<long long>());
    s.occupant_id_secret = row[4].as<std::string>();
    s.created_at = from_micros(row[5].as<long long>());
    s.created_by = row[6].as<std::string>();
    muc::RoomConfig& c = s.config;
    int i = 7;
    if (auto t = text(row[i++])) c.name = *t;
    if (auto t = text(row[i++])) c.description = *t;
    if (auto t = text(row[i++])) c.lang = *t;
    set_bool(row[i++], c.enable_logging);
    set_bool(row[i++], c.change_subject);
    set_bool(row[i++], c.allow_invites);
    if (auto t = text(row[i++])) {
      if (auto p = muc::pm_policy_from_string(*t)) c.allow_pm = *p;
    }
    {
      const pqxx::field f = row[i++];
      // JSON null means "no limit" (apply() always writes the key).
      if (f.is_null()) {
        c.max_users = std::nullopt;
      } else {
        std::uint32_t n = 0;
        set_u32(f, n);
        c.max_users = n;
      }
    }
    if (auto t = text(row[i++])) c.presence_broadcast = parse_roles(*t);
    if (auto t = text(row[i++])) c.get_member_list = parse_roles(*t);
    set_bool(row[i++], c.public_room);
    set_bool(row[i++], c.persistent);
    set_bool(row[i++], c.moderated);
    set_bool(row[i++], c.members_only);
    set_bool(row[i++], c.password_protected);
    if (auto t = text(row[i++])) c.password = *t;
    if (auto t = text(row[i++])) {
      if (auto w = muc::whois_from_string(*t)) c.whois = *w;
    }
    set_u32(row[i++], c.max_history);
    if (auto t = text(row[i++])) {
      if (auto r = muc::registration_from_string(*t)) c.registration = *r;
    }
    c.linked = array_values(row[i++]);
    index[s.jid] = rooms.size();
    rooms.push_back(std::move(s));
  }
  for (const auto& row : tx.exec("SELECT room, jid, affiliation, nick, reason FROM "
                                 "room_affiliations ORDER BY room, jid")) {
    auto it = index.find(row[0].as<std::string>());
    if (it == index.end()) continue;
    auto a = muc::affiliation_from_string(row[2].as<std::string>());
    if (!a) continue;
    rooms[it->second].affiliations.push_back(
        {row[1].as<std::string>(), *a, row[3].as<std::string>(), row[4].as<std::string>()});
  }
  // details: [[var, value], ...] read as two parallel arrays.
  for (const auto& row : tx.exec("SELECT room, jid, nick,"
                                 " ARRAY(SELECT d->>0 FROM jsonb_array_elements(details) d),"
                                 " ARRAY(SELECT d->>1 FROM jsonb_array_elements(details) d),"
                                 " (extract(epoch FROM requested_at) * 1000000)::bigint,"
                                 " (extract(epoch FROM notified_at) * 1000000)::bigint"
                                 " FROM room_registration_requests ORDER BY room, jid")) {
    auto it = index.find(row[0].as<std::string>());
    if (it == index.end()) continue;
    muc::RegistrationRequest r;
    r.jid = row[1].as<std::string>();
    r.nick = row[2].as<std::string>();
    std::vector<std::string> vars = array_values(row[3]);
    std::vector<std::string> values = array_values(row[4]);
    for (std::size_t k = 0; k < vars.size() && k < values.size(); ++k) {
      r.details.emplace_back(std::move(vars[k]), std::move(values[k]));
    }
    r.requested_at = from_micros(row[5].as<long long>());
    r.notified_at = from_micros(row[6].as<long long>());
    rooms[it->second].registration_requests.push_back(std::move(r));
  }
  tx.commit();
  return rooms;
}

void RoomStore::apply(const std::vector<RoomChange>& changes) {
  if (changes.empty()) return;
  pqxx::work tx(db_.connection(), "save rooms");
  for (const auto& change : changes) {
    if (!change.snapshot) {
      tx.exec_params("DELETE FROM rooms WHERE jid = $1", change.jid);
      continue;
    }
    const muc::RoomSnapshot& s = *change.snapshot;
    const muc::RoomConfig& c = s.config;
    std::optional<long long> subject_at;
    if (s.subject_at) subject_at = to_micros(*s.subject_at);
    std::optional<std::string> max_users;
    if (c.max_users) max_users = std::to_string(*c.max_users);
    tx.exec_params(
        "INSERT INTO rooms (jid, config, subject, subject_nick, subject_at, occupant_id_secret,"
        " created_at, created_by, updated_at)"
        " VALUES ($1, jsonb_build_object("
        "   'name', $2::text, 'description', $3::text, 'lang', $4::text,"
        "   'enable_logging', $5::boolean, 'change_subject', $6::boolean,"
        "   'allow_invites', $7::boolean, 'allow_pm', $8::text, 'max_users', $9::bigint,"
        "   'presence_broadcast', $10::text, 'get_member_list', $11::text,"
        "   'public_room', $12::boolean, 'persistent', $13::boolean, 'moderated', $14::boolean,"
        "   'members_only', $15::boolean, 'password_protected', $16::boolean,"
        "   'password', $17::text, 'whois', $18::text, 'max_history', $19::bigint,"
        "   'linked', to_jsonb($26::text[]), 'registration', $27::text),"
        "  $20, $21, 'epoch'::timestamptz + $22::bigint * interval '1 microsecond', $23,"
        "  'epoch'::timestamptz + $24::bigint * interval '1 microsecond', $25, now())"
        " ON CONFLICT (jid) DO UPDATE SET config = EXCLUDED.config, subject = EXCLUDED.subject,"
        "  subject_nick = EXCLUDED.subject_nick, subject_at = EXCLUDED.subject_at,"
        "  occupant_id_secret = EXCLUDED.occupant_id_secret, created_at = EXCLUDED.created_at,"
        "  created_by = EXCLUDED.created_by, updated_at = now()",
        s.jid, c.name, c.description, c.lang, c.enable_logging, c.change_subject, c.allow_invites,
        std::string(muc::to_string(c.allow_pm)), max_users, role_list(c.presence_broadcast),
        role_list(c.get_member_list), c.public_room, c.persistent, c.moderated, c.members_only,
        c.password_protected, c.password, std::string(muc::to_string(c.whois)),
        static_cast<long long>(c.max_history), s.subject, s.subject_nick, subject_at,
        s.occupant_id_secret, to_micros(s.created_at), s.created_by, array_text(c.linked),
        std::string(muc::to_string(c.registration)));
    tx.exec_params("DELETE FROM room_affiliations WHERE room = $1", s.jid);
    for (const auto& a : s.affiliations) {
      tx.exec_params(
          "INSERT INTO room_affiliations (room, jid, affiliation, nick, reason)"
          " VALUES ($1, $2, $3, $4, $5)",
          s.jid, a.jid, std::string(muc::to_string(a.affiliation)), a.nick, a.reason);
    }
    tx.exec_params("DELETE FROM room_registration_requests WHERE room = $1", s.jid);
    for (const auto& r : s.registration_requests) {
      std::vector<std::string> vars, values;
      for (const auto& [var, value] : r.details) {
        vars.push_back(var);
        values.push_back(value);
      }
      tx.exec_params(
          "INSERT INTO room_registration_requests"
          " (room, jid, nick, details, requested_at, notified_at)"
          " VALUES ($1, $2, $3,"
          "  COALESCE((SELECT jsonb_agg(jsonb_build_array(v, w) ORDER BY n)"
          "            FROM unnest($4::text[], $5::text[]) WITH ORDINALITY AS t(v, w, n)),"
          "           '[]'::jsonb),"
          "  'epoch'::timestamptz + $6::bigint * interval '1 microsecond',"
          "  'epoch'::timestamptz + $7::bigint * interval '1 microsecond')",
          s.jid, r.jid, r.nick, array_text(vars), array_text(values), to_micros(r.requested_at),
          to_micros(r.notified_at));
    }
  }
  tx.commit();
}

}  // namespace commonroom::store
