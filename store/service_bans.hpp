// Service-wide bans in PostgreSQL (schema/0006_service_bans.sql): placed and lifted by the
// command line, read by the running service, which LISTENs on kServiceBansChannel. Every
// change writes an audit row and notifies the channel in the same transaction.
#pragma once
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace pqxx {
class connection_base;
}

namespace commonroom::store {

inline constexpr const char* kServiceBansChannel = "commonroom_service_bans";

struct ServiceBanRecord {
  long long id = 0;
  std::string subject;  // bare JID or domain, already prepared by the caller
  std::string reason;
  std::string set_by;
  std::string set_at;      // ISO 8601, UTC
  std::string expires_at;  // ISO 8601, UTC; "" = until lifted
  // Filled by service_ban_history only:
  std::string lifted_at;  // ISO 8601, UTC; "" while not lifted
  std::string lifted_by;  // who lifted it, or "expired"
  bool in_force = false;
};

// A ban that cannot be placed or lifted (already banned, not banned, bad arguments).
class ServiceBanError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Places a ban (audit 'ban.place'); for `days` days when given (> 0), else until lifted.
// Throws ServiceBanError when the subject is already banned. case_ref, when given, is the
// complaint the ban answers; it goes into the audit row's detail as "case".
ServiceBanRecord place_service_ban(pqxx::connection_base& connection, const std::string& subject,
                                   const std::string& reason, const std::string& by,
                                   std::optional<int> days = std::nullopt,
                                   const std::string& case_ref = "");
// Lifts the subject's ban (audit 'ban.lift'); throws ServiceBanError when none is in force.
void lift_service_ban(pqxx::connection_base& connection, const std::string& subject,
                      const std::string& by, const std::string& case_ref = "");

// Every ban, in force or not (lifted, expired), newest first, at most `limit`.
std::vector<ServiceBanRecord> service_ban_history(pqxx::connection_base& connection, int limit);

struct ActiveServiceBans {
  std::vector<ServiceBanRecord> bans;  // in force now, by subject
  // Seconds until the soonest of them expires (the service reloads then); nullopt if none
  // expires.
  std::optional<double> next_expiry_seconds;
};
ActiveServiceBans active_service_bans(pqxx::connection_base& connection);

}  // namespace commonroom::store
