// The admin web's AdminStore over PostgreSQL (store/admin_web_store.hpp), with a small pool
// of connections shared by the HTTP worker threads.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "admin-web/admin_store.hpp"
#include "store/connection_pool.hpp"

namespace commonroom::store {
class Database;
}
namespace commonroom::directory {
class PeopleIndexSource;
}

namespace commonroom::app {

class PgAdminStore : public admin_web::AdminStore {
 public:
  // `people`: the directory search's in-memory index, which the directory page searches
  // like the XMPP search does (null: search PostgreSQL instead); must outlive this.
  explicit PgAdminStore(std::string uri, const directory::PeopleIndexSource* people = nullptr);
  ~PgAdminStore() override;

  void create_session(const std::string& id_sha256, const std::string& principal,
                      const std::string& csrf_token, const std::string& method) override;
  std::optional<admin_web::StoredSession> touch_session(const std::string& id_sha256,
                                                        int idle_seconds, int max_seconds) override;
  void end_session(const std::string& id_sha256) override;
  std::optional<std::string> consume_login_link(const std::string& token_sha256) override;
  bool accept_raven_response(const std::string& key, int keep_seconds) override;
  std::vector<admin_web::Grant> grants(const std::string& principal) override;
  void audit(const std::string& actor, const std::string& action, const std::string& object,
             const std::string& detail_json) override;
  std::vector<admin_web::AuditRow> audit_entries(long long before_id, int limit) override;
  std::vector<admin_web::RoomRow> rooms(const admin_web::RoomQuery& query) override;
  std::int64_t room_count() override;
  std::vector<std::pair<std::string, std::int64_t>> messages_per_hour(int hours) override;
  std::optional<admin_web::RoomDetail> room(const std::string& jid) override;
  std::vector<admin_web::PersonRow> people(const std::string& text, int limit) override;
  std::optional<admin_web::PersonRow> person(const std::string& uid) override;
  std::vector<admin_web::SyncRunRow> sync_runs(int limit) override;
  std::vector<admin_web::OptOutRow> opt_outs() override;

 private:
  using Lease = store::ConnectionPool::Lease;
  store::ConnectionPool pool_;
  const directory::PeopleIndexSource* people_;
};

}  // namespace commonroom::app
