#include "app/admin_web_store.hpp"

#include <pqxx/pqxx>

#include "directory/directory_search.hpp"
#include "directory/people_index.hpp"
#include "store/admin_web_store.hpp"
#include "store/database.hpp"

namespace commonroom::app {

namespace {

admin_web::RoomRow room_row(store::AdminRoomRecord r) {
  return {std::move(r.jid),        std::move(r.name),
          std::move(r.subject),    r.public_room,
          r.members_only,          r.password_protected,
          std::move(r.linked),     std::move(r.created_by),
          std::move(r.created_at), std::move(r.last_message_at),
          std::move(r.name_key)};
}

admin_web::PersonRow person_row(store::AdminPersonRecord p) {
  return {std::move(p.uid),          std::move(p.jid),      std::move(p.display_name),
          std::move(p.mail),         std::move(p.title),    std::move(p.affiliation),
          std::move(p.institutions), std::move(p.synced_at)};
}

}  // namespace

PgAdminStore::PgAdminStore(std::string uri, const directory::PeopleIndexSource* people)
    : pool_(std::move(uri)), people_(people) {}
PgAdminStore::~PgAdminStore() = default;

void PgAdminStore::create_session(const std::string& id_sha256, const std::string& principal,
                                  const std::string& csrf_token, const std::string& method) {
  Lease l(pool_);
  store::create_admin_session(l.c(), id_sha256, principal, csrf_token, method);
}

std::optional<admin_web::StoredSession> PgAdminStore::touch_session(const std::string& id_sha256,
                                                                    int idle_seconds,
                                                                    int max_seconds) {
  Lease l(pool_);
  auto s = store::touch_admin_session(l.c(), id_sha256, idle_seconds, max_seconds);
  if (!s) return std::nullopt;
  return admin_web::StoredSession{s->principal, s->csrf_token};
}

void PgAdminStore::end_session(const std::string& id_sha256) {
  Lease l(pool_);
  store::end_admin_session(l.c(), id_sha256);
}

std::optional<std::string> PgAdminStore::consume_login_link(const std::string& token_sha256) {
  Lease l(pool_);
  return store::consume_admin_login_link(l.c(), token_sha256);
}

bool PgAdminStore::accept_raven_response(const std::string& key, int keep_seconds) {
  Lease l(pool_);
  return store::record_raven_response(l.c(), key, keep_seconds);
}

std::vector<admin_web::Grant> PgAdminStore::grants(const std::string& principal) {
  Lease l(pool_);
  std::vector<admin_web::Grant> out;
  for (auto& r : store::admin_roles_of(l.c(), principal))
    out.push_back({std::move(r.role), std::move(r.scope)});
  return out;
}

void PgAdminStore::audit(const std::string& actor, const std::string& action,
                         const std::string& object, const std::string& detail_json) {
  Lease l(pool_);
  store::write_audit(l.c(), actor, action, object, detail_json);
}

std::vector<admin_web::AuditRow> PgAdminStore::audit_entries(long long before_id, int limit) {
  Lease l(pool_);
  std::vector<admin_web::AuditRow> out;
  for (auto& r : store::recent_audit(l.c(), before_id, limit))
    out.push_back({r.id, std::move(r.occurred_at), std::move(r.actor), std::move(r.action),
                   std::move(r.object), std::move(r.detail)});
  return out;
}

std::vector<admin_web::RoomRow> PgAdminStore::rooms(const admin_web::RoomQuery& query) {
  Lease l(pool_);
  store::AdminRoomQuery q;
  q.text = query.text;
  q.after = query.after;
  q.limit = query.limit;
  q.scopes = query.scopes;
  q.order = query.order == admin_web::RoomOrder::name       ? store::AdminRoomOrder::name
            : query.order == admin_web::RoomOrder::activity ? store::AdminRoomOrder::activity
                                                            : store::AdminRoomOrder::address;
  q.after_key = query.after_key;
  q.after_quiet = query.after_quiet;
  std::vector<admin_web::RoomRow> out;
  for (auto& r : store::find_admin_rooms(l.c(), q)) out.push_back(room_row(std::move(r)));
  return out;
}

std::vector<std::pair<std::string, std::int64_t>> PgAdminStore::messages_per_hour(int hours) {
  Lease l(pool_);
  return store::messages_per_hour(l.c(), hours);
}

std::int64_t PgAdminStore::room_count() {
  Lease l(pool_);
  return store::count_rooms(l.c());
}

std::optional<admin_web::RoomDetail> PgAdminStore::room(const std::string& jid) {
  Lease l(pool_);
  auto d = store::find_admin_room(l.c(), jid);
  if (!d) return std::nullopt;
  admin_web::RoomDetail out;
  out.room = room_row(std::move(d->room));
  out.config = std::move(d->config);
  for (auto& a : d->affiliations)
    out.affiliations.push_back(
        {std::move(a.jid), std::move(a.affiliation), std::move(a.nick), std::move(a.reason)});
  for (auto& r : d->registration_requests)
    out.registration_requests.push_back(
        {std::move(r.jid), std::move(r.nick), std::move(r.requested_at)});
  return out;
}

std::vector<admin_web::PersonRow> PgAdminStore::people(const std::string& text, int limit) {
  // The service's own index answers in microseconds at 100,000 people and matches names
  // exactly as the XMPP search does; PostgreSQL is the fallback when there is none.
  if (auto index = people_ ? people_->current() : nullptr) {
    std::vector<admin_web::PersonRow> out;
    auto add = [&](uint32_t id) {
      const directory::PersonView v = index->person(id);
      admin_web::PersonRow row{std::string(v.uid),
                               std::string(v.jid),
                               std::string(v.display_name),
                               std::string(v.mail),
                               "",
                               std::string(directory::to_string(v.affiliation)),
                               {},
                               ""};
      for (uint32_t i : v.institutions)
        row.institutions.push_back(index->institutions()[i].inst_id);
      out.push_back(std::move(row));
    };
    auto exact = index->find_uid(text);
    if (exact) add(*exact);
    directory::PeopleQuery query;
    query.terms.push_back({text.find('@') != std::string::npos ? directory::SearchField::email
                                                               : directory::SearchField::name,
                           text});
    auto compiled = directory::compile_query(query, directory::QueryLimits{});
    if (compiled.query) {
      directory::PageRequest page;
      page.max = static_cast<std::size_t>(limit);
      for (uint32_t id : index->search(*compiled.query, page).ids)
        if (!exact || id != *exact) add(id);
    }
    if (static_cast<int>(out.size()) > limit) out.resize(static_cast<std::size_t>(limit));
    return out;
  }
  Lease l(pool_);
  std::vector<admin_web::PersonRow> out;
  for (auto& p : store::search_admin_people(l.c(), text, limit))
    out.push_back(person_row(std::move(p)));
  return out;
}

std::optional<admin_web::PersonRow> PgAdminStore::person(const std::string& uid) {
  Lease l(pool_);
  auto p = store::find_admin_person(l.c(), uid);
  if (!p) return std::nullopt;
  return person_row(std::move(*p));
}

std::vector<admin_web::SyncRunRow> PgAdminStore::sync_runs(int limit) {
  Lease l(pool_);
  std::vector<admin_web::SyncRunRow> out;
  for (auto& r : store::recent_sync_runs(l.c(), limit))
    out.push_back({std::move(r.kind), std::move(r.started_at), std::move(r.finished_at),
                   std::move(r.status), r.people_seen, r.added, r.updated, r.removed, r.rejected,
                   std::move(r.error)});
  return out;
}

std::vector<admin_web::OptOutRow> PgAdminStore::opt_outs() {
  Lease l(pool_);
  std::vector<admin_web::OptOutRow> out;
  for (auto& o : store::directory_opt_outs(l.c()))
    out.push_back({std::move(o.uid), std::move(o.opted_out_at), std::move(o.note)});
  return out;
}

}  // namespace commonroom::app
