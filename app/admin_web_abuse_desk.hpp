// The admin web's abuse workspace over PostgreSQL: the store functions `commonroom logs`,
// `commonroom ban` and `commonroom hold` use, so the web audits, bans (NOTIFY to the running
// rooms engine) and holds exactly as the command line does. A small pool of connections is
// shared by the HTTP worker threads.
#pragma once
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "admin-web/abuse_desk.hpp"
#include "app/live_policy.hpp"
#include "store/connection_pool.hpp"

namespace commonroom::store {
class Database;
}

namespace commonroom::app {

class PgAbuseDesk : public admin_web::AbuseDesk {
 public:
  // local_domains: [policy] local_domains, which the web refuses to ban (the command line
  // can, with --force).
  // `policy`: the [policy] in effect (its local_domains may not be banned); must outlive
  // the desk.
  // `catch_up`: waits until every event the abuse log has made durable is in PostgreSQL
  // (journal-first copies its journal once a second), so a search shows all of them.
  PgAbuseDesk(std::string uri, const LivePolicy& policy, std::function<void()> catch_up = {});
  ~PgAbuseDesk() override;

  admin_web::LogResults search(const admin_web::CaseLook& who, const admin_web::LogFilter& filter,
                               const std::string& after, int limit) override;
  admin_web::LogTimeline context(const admin_web::CaseLook& who, const admin_web::ContextLink& link,
                                 int before, int after) override;
  admin_web::EvidenceArchive export_evidence(const admin_web::CaseLook& who,
                                             const admin_web::LogFilter& filter,
                                             int max_events) override;
  std::vector<admin_web::BanEntry> bans(int limit) override;
  admin_web::BanEntry place_ban(const admin_web::CaseLook& who, const std::string& subject,
                                const std::string& reason, std::optional<int> days) override;
  void lift_ban(const admin_web::CaseLook& who, const std::string& subject) override;
  std::vector<admin_web::HoldEntry> active_holds() override;
  std::vector<admin_web::HoldEntry> hold_history(int limit) override;
  admin_web::HoldEntry preview_hold(const admin_web::CaseLook& who,
                                    const admin_web::HoldRequest& hold) override;
  admin_web::HoldEntry place_hold(const admin_web::CaseLook& who,
                                  const admin_web::HoldRequest& hold) override;
  std::string release_hold(const admin_web::CaseLook& who, const std::string& kind,
                           const std::string& subject) override;
  std::vector<admin_web::AuditRow> case_audit(const std::string& case_ref, long long before_id,
                                              int limit) override;

 private:
  using Lease = store::ConnectionPool::Lease;
  void catch_up() const {
    if (catch_up_) catch_up_();
  }
  store::ConnectionPool pool_;
  const LivePolicy& policy_;
  std::function<void()> catch_up_;
};

}  // namespace commonroom::app
