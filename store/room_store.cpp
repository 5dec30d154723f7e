#include "store/room_store.hpp"

#include <pqxx/pqxx>

#include <algorithm>
#include <iterator>
#include <string_view>
#include <unordered_map>

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

std::optional<std::string> bool_text(bool b) {
  return std::string(b ? "true" : "false");
}

using muc::RoomConfig;

// One key of the stored configuration object (rooms.config): its JSON name, the SQL type
// its parameter is cast to (so JSON keeps booleans and numbers as such), how it is written
// (nullopt: JSON null) and how it is read back from `config->>'key'`. Saving and loading
// both walk this table, so a new setting is one line here.
struct ConfigField {
  const char* key;
  const char* sql_type;
  std::optional<std::string> (*write)(const RoomConfig&);
  void (*read)(const pqxx::field&, RoomConfig&);
  // What the SELECT reads instead of config->>'key' (nullptr: that).
  const char* read_sql = nullptr;
};

const ConfigField kConfigFields[] = {
    {"name", "text", [](const RoomConfig& c) -> std::optional<std::string> { return c.name; },
     [](const pqxx::field& f, RoomConfig& c) {
       if (auto t = text(f)) c.name = *t;
     }},
    {"description", "text",
     [](const RoomConfig& c) -> std::optional<std::string> { return c.description; },
     [](const pqxx::field& f, RoomConfig& c) {
       if (auto t = text(f)) c.description = *t;
     }},
    {"lang", "text", [](const RoomConfig& c) -> std::optional<std::string> { return c.lang; },
     [](const pqxx::field& f, RoomConfig& c) {
       if (auto t = text(f)) c.lang = *t;
     }},
    {"enable_logging", "boolean", [](const RoomConfig& c) { return bool_text(c.enable_logging); },
     [](const pqxx::field& f, RoomConfig& c) { set_bool(f, c.enable_logging); }},
    {"change_subject", "boolean", [](const RoomConfig& c) { return bool_text(c.change_subject); },
     [](const pqxx::field& f, RoomConfig& c) { set_bool(f, c.change_subject); }},
    {"allow_invites", "boolean", [](const RoomConfig& c) { return bool_text(c.allow_invites); },
     [](const pqxx::field& f, RoomConfig& c) { set_bool(f, c.allow_invites); }},
    {"allow_pm", "text",
     [](const RoomConfig& c) -> std::optional<std::string> {
       return std::string(muc::to_string(c.allow_pm));
     },
     [](const pqxx::field& f, RoomConfig& c) {
       if (auto t = text(f)) {
         if (auto p = muc::pm_policy_from_string(*t)) c.allow_pm = *p;
       }
     }},
    {"max_users", "bigint",
     [](const RoomConfig& c) -> std::optional<std::string> {
       if (!c.max_users) return std::nullopt;
       return std::to_string(*c.max_users);
     },
     [](const pqxx::field& f, RoomConfig& c) {
       // JSON null means "no limit" (saving always writes the key).
       if (f.is_null()) {
         c.max_users = std::nullopt;
       } else {
         std::uint32_t n = 0;
         set_u32(f, n);
         c.max_users = n;
       }
     }},
    {"presence_broadcast", "text",
     [](const RoomConfig& c) -> std::optional<std::string> {
       return role_list(c.presence_broadcast);
     },
     [](const pqxx::field& f, RoomConfig& c) {
       if (auto t = text(f)) c.presence_broadcast = parse_roles(*t);
     }},
    {"get_member_list", "text",
     [](const RoomConfig& c) -> std::optional<std::string> { return role_list(c.get_member_list); },
     [](const pqxx::field& f, RoomConfig& c) {
       if (auto t = text(f)) c.get_member_list = parse_roles(*t);
     }},
    {"public_room", "boolean", [](const RoomConfig& c) { return bool_text(c.public_room); },
     [](const pqxx::field& f, RoomConfig& c) { set_bool(f, c.public_room); }},
    {"persistent", "boolean", [](const RoomConfig& c) { return bool_text(c.persistent); },
     [](const pqxx::field& f, RoomConfig& c) { set_bool(f, c.persistent); }},
    {"moderated", "boolean", [](const RoomConfig& c) { return bool_text(c.moderated); },
     [](const pqxx::field& f, RoomConfig& c) { set_bool(f, c.moderated); }},
    {"members_only", "boolean", [](const RoomConfig& c) { return bool_text(c.members_only); },
     [](const pqxx::field& f, RoomConfig& c) { set_bool(f, c.members_only); }},
    {"password_protected", "boolean",
     [](const RoomConfig& c) { return bool_text(c.password_protected); },
     [](const pqxx::field& f, RoomConfig& c) { set_bool(f, c.password_protected); }},
    {"password", "text",
     [](const RoomConfig& c) -> std::optional<std::string> { return c.password; },
     [](const pqxx::field& f, RoomConfig& c) {
       if (auto t = text(f)) c.password = *t;
     }},
    {"whois", "text",
     [](const RoomConfig& c) -> std::optional<std::string> {
       return std::string(muc::to_string(c.whois));
     },
     [](const pqxx::field& f, RoomConfig& c) {
       if (auto t = text(f)) {
         if (auto w = muc::whois_from_string(*t)) c.whois = *w;
       }
     }},
    {"max_history", "bigint",
     [](const RoomConfig& c) -> std::optional<std::string> {
       return std::to_string(c.max_history);
     },
     [](const pqxx::field& f, RoomConfig& c) { set_u32(f, c.max_history); }},
    {"registration", "text",
     [](const RoomConfig& c) -> std::optional<std::string> {
       return std::string(muc::to_string(c.registration));
     },
     [](const pqxx::field& f, RoomConfig& c) {
       if (auto t = text(f)) {
         if (auto r = muc::registration_from_string(*t)) c.registration = *r;
       }
     }},
    // A JSON array of link strings; rows written before linked rooms existed have no key.
    {"linked", "text[]",
     [](const RoomConfig& c) -> std::optional<std::string> { return array_text(c.linked); },
     [](const pqxx::field& f, RoomConfig& c) { c.linked = array_values(f); },
     "ARRAY(SELECT jsonb_array_elements_text(CASE WHEN jsonb_typeof(config->'linked') ="
     " 'array' THEN config->'linked' ELSE '[]'::jsonb END))"},
};

// The room's own columns come first in both statements, then one per config field.
constexpr int kRoomColumns = 7;

std::string select_sql() {
  std::string sql =
      "SELECT jid, subject, subject_nick, "
      "(extract(epoch FROM subject_at) * 1000000)::bigint, occupant_id_secret, "
      "(extract(epoch FROM created_at) * 1000000)::bigint, created_by";
  for (const auto& f : kConfigFields) {
    sql += ", ";
    sql += f.read_sql ? std::string(f.read_sql) : std::string("config->>'") + f.key + "'";
  }
  return sql + " FROM rooms";
}

// Parameters $1..$7 are the room's columns; the config fields follow from $8 in table order.
std::string upsert_sql() {
  std::string config = "jsonb_build_object(";
  int n = kRoomColumns + 1;
  for (const auto& f : kConfigFields) {
    if (n > kRoomColumns + 1) config += ", ";
    config += std::string("'") + f.key + "', $" + std::to_string(n++) + "::" + f.sql_type;
  }
  config += ")";
  return "INSERT INTO rooms (jid, subject, subject_nick, subject_at, occupant_id_secret,"
         " created_at, created_by, config, updated_at)"
         " VALUES ($1, $2, $3, 'epoch'::timestamptz + $4::bigint * interval '1 microsecond', $5,"
         "  'epoch'::timestamptz + $6::bigint * interval '1 microsecond', $7, " +
         config +
         ", now())"
         " ON CONFLICT (jid) DO UPDATE SET config = EXCLUDED.config, subject = EXCLUDED.subject,"
         "  subject_nick = EXCLUDED.subject_nick, subject_at = EXCLUDED.subject_at,"
         "  occupant_id_secret = EXCLUDED.occupant_id_secret, created_at = EXCLUDED.created_at,"
         "  created_by = EXCLUDED.created_by, updated_at = now()";
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
  // No ORDER BY in these queries: at campus scale (100,000 rooms, several affiliations
  // each) PostgreSQL's ordered index scans cost seconds of random heap reads, while
  // sorting each room's few affiliations here is cheap.
  std::vector<muc::RoomSnapshot> rooms;
  std::unordered_map<std::string_view, size_t> index;  // views of the jids in `rooms`
  {
    const pqxx::result stored = tx.exec(select_sql());
    rooms.reserve(stored.size());  // no reallocation: the index views the jids in place
    index.reserve(stored.size());
    for (const auto& row : stored) {
      muc::RoomSnapshot& s = rooms.emplace_back();
      s.jid = row[0].as<std::string>();
      s.subject = row[1].as<std::string>();
      s.subject_nick = row[2].as<std::string>();
      if (!row[3].is_null()) s.subject_at = from_micros(row[3].as<long long>());
      s.occupant_id_secret = row[4].as<std::string>();
      s.created_at = from_micros(row[5].as<long long>());
      s.created_by = row[6].as<std::string>();
      int i = kRoomColumns;
      for (const auto& f : kConfigFields) f.read(row[i++], s.config);
      index.emplace(s.jid, rooms.size() - 1);
    }
  }
  auto room_of = [&](const pqxx::field& f) -> muc::RoomSnapshot* {
    auto it = index.find(std::string_view(f.c_str(), f.size()));
    return it == index.end() ? nullptr : &rooms[it->second];
  };
  for (const auto& row :
       tx.exec("SELECT room, jid, affiliation, nick, reason FROM room_affiliations")) {
    muc::RoomSnapshot* room = room_of(row[0]);
    if (!room) continue;
    auto a = muc::affiliation_from_string(std::string_view(row[2].c_str(), row[2].size()));
    if (!a) continue;
    room->affiliations.push_back(
        {row[1].as<std::string>(), *a, row[3].as<std::string>(), row[4].as<std::string>()});
  }
  // details: [[var, value], ...] read as two parallel arrays.
  for (const auto& row : tx.exec("SELECT room, jid, nick,"
                                 " ARRAY(SELECT d->>0 FROM jsonb_array_elements(details) d),"
                                 " ARRAY(SELECT d->>1 FROM jsonb_array_elements(details) d),"
                                 " (extract(epoch FROM requested_at) * 1000000)::bigint,"
                                 " (extract(epoch FROM notified_at) * 1000000)::bigint"
                                 " FROM room_registration_requests")) {
    muc::RoomSnapshot* room = room_of(row[0]);
    if (!room) continue;
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
    room->registration_requests.push_back(std::move(r));
  }
  tx.commit();
  index.clear();
  // Each room's lists by jid (byte order, as the columns' "C" collation).
  auto by_jid = [](const auto& a, const auto& b) { return a.jid < b.jid; };
  for (auto& room : rooms) {
    std::sort(room.affiliations.begin(), room.affiliations.end(), by_jid);
    std::sort(room.registration_requests.begin(), room.registration_requests.end(), by_jid);
  }
  return rooms;
}

void RoomStore::apply(const std::vector<RoomChange>& changes) {
  if (changes.empty()) return;
  pqxx::work tx(db_.connection(), "save rooms");
  static const std::string upsert = upsert_sql();
  for (const auto& change : changes) {
    if (!change.snapshot) {
      tx.exec_params("DELETE FROM rooms WHERE jid = $1", change.jid);
      continue;
    }
    const muc::RoomSnapshot& s = *change.snapshot;
    std::optional<long long> subject_at;
    if (s.subject_at) subject_at = to_micros(*s.subject_at);
    std::vector<std::optional<std::string>> config;
    config.reserve(std::size(kConfigFields));
    for (const auto& f : kConfigFields) config.push_back(f.write(s.config));
    tx.exec_params(upsert, s.jid, s.subject, s.subject_nick, subject_at, s.occupant_id_secret,
                   to_micros(s.created_at), s.created_by,
                   pqxx::prepare::make_dynamic_params(config));
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
