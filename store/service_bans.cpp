#include "store/service_bans.hpp"

#include <pqxx/pqxx>

namespace commonroom::store {

namespace {

constexpr const char* kTimeFormat = "YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"";
// A ban longer than this is a typo, not a decision (use no expiry instead).
constexpr int kMaxDays = 3650;

// The audit detail's "case" member when the case reference (parameter $n) is given, else
// nothing: jsonb to append with ||.
std::string case_member(int n) {
  const std::string p = "$" + std::to_string(n) + "::text";
  return "CASE WHEN " + p + " = '' THEN '{}'::jsonb ELSE jsonb_build_object('case', " + p + ") END";
}

void check_case_ref(const std::string& case_ref) {
  if (case_ref.size() > 200) throw ServiceBanError("a case reference has at most 200 bytes");
  for (unsigned char c : case_ref)
    if (c < 0x20 || c == 0x7f)
      throw ServiceBanError("a case reference cannot hold control characters");
}

void notify(pqxx::work& tx) {
  tx.exec_params("SELECT pg_notify($1, '')", std::string(kServiceBansChannel));
}

}  // namespace

ServiceBanRecord place_service_ban(pqxx::connection_base& connection, const std::string& subject,
                                   const std::string& reason, const std::string& by,
                                   std::optional<int> days, const std::string& case_ref) {
  if (subject.empty() || subject.find('/') != std::string::npos)
    throw ServiceBanError("a ban is on a bare JID or a domain, got \"" + subject + "\"");
  if (reason.empty()) throw ServiceBanError("a ban needs a reason (the banned user sees it)");
  if (by.empty()) throw ServiceBanError("a ban needs the name of who places it");
  check_case_ref(case_ref);
  if (days && (*days <= 0 || *days > kMaxDays))
    throw ServiceBanError("--days must be between 1 and " + std::to_string(kMaxDays));
  pqxx::work tx(connection, "place service ban");
  // An expired ban still holds the subject's open slot: close it as expired first.
  tx.exec_params(
      "UPDATE service_bans SET lifted_at = expires_at, lifted_by = 'expired'"
      " WHERE subject = $1 AND lifted_at IS NULL AND expires_at <= now()",
      subject);
  auto rows = tx.exec_params(
      "INSERT INTO service_bans (subject, reason, set_by, expires_at)"
      " VALUES ($1, $2, $3, CASE WHEN $4::int = 0 THEN NULL"
      "                          ELSE now() + make_interval(days => $4::int) END)"
      " ON CONFLICT (subject) WHERE lifted_at IS NULL DO NOTHING"
      " RETURNING id, to_char(set_at AT TIME ZONE 'UTC', $5),"
      "           coalesce(to_char(expires_at AT TIME ZONE 'UTC', $5), '')",
      subject, reason, by, days.value_or(0), kTimeFormat);
  if (rows.empty()) {
    auto open = tx.exec_params(
        "SELECT set_by, to_char(set_at AT TIME ZONE 'UTC', $2) FROM service_bans"
        " WHERE subject = $1 AND lifted_at IS NULL",
        subject, kTimeFormat);
    std::string since = open.empty() ? std::string()
                                     : " (since " + open[0][1].as<std::string>() + ", by " +
                                           open[0][0].as<std::string>() + ")";
    throw ServiceBanError(subject + " is already banned" + since + "; lift it first to change it");
  }
  ServiceBanRecord r{
      rows[0][0].as<long long>(),   subject, reason, by,  rows[0][1].as<std::string>(),
      rows[0][2].as<std::string>(), "",      "",     true};
  tx.exec_params(
      "INSERT INTO audit (actor, action, object, detail) VALUES ($1, 'ban.place', $2,"
      " jsonb_build_object('reason', $3::text, 'ban_id', $4::bigint, 'expires_at',"
      " nullif($5::text, '')) || " +
          case_member(6) + ")",
      by, subject, reason, r.id, r.expires_at, case_ref);
  notify(tx);
  tx.commit();
  return r;
}

void lift_service_ban(pqxx::connection_base& connection, const std::string& subject,
                      const std::string& by, const std::string& case_ref) {
  if (by.empty()) throw ServiceBanError("lifting a ban needs the name of who lifts it");
  check_case_ref(case_ref);
  pqxx::work tx(connection, "lift service ban");
  auto rows = tx.exec_params(
      "UPDATE service_bans SET lifted_at = now(), lifted_by = $2"
      " WHERE subject = $1 AND lifted_at IS NULL AND (expires_at IS NULL OR expires_at > now())"
      " RETURNING id",
      subject, by);
  if (rows.empty()) throw ServiceBanError(subject + " is not banned");
  tx.exec_params(
      "INSERT INTO audit (actor, action, object, detail) VALUES ($1, 'ban.lift', $2,"
      " jsonb_build_object('ban_id', $3::bigint) || " +
          case_member(4) + ")",
      by, subject, rows[0][0].as<long long>(), case_ref);
  notify(tx);
  tx.commit();
}

ActiveServiceBans active_service_bans(pqxx::connection_base& connection) {
  pqxx::read_transaction tx(connection, "active service bans");
  ActiveServiceBans out;
  for (const auto& row :
       tx.exec_params("SELECT id, subject, reason, set_by, to_char(set_at AT TIME ZONE 'UTC', $1),"
                      "       coalesce(to_char(expires_at AT TIME ZONE 'UTC', $1), ''),"
                      "       extract(epoch FROM expires_at - now())"
                      " FROM service_bans"
                      " WHERE lifted_at IS NULL AND (expires_at IS NULL OR expires_at > now())"
                      " ORDER BY subject",
                      kTimeFormat)) {
    out.bans.push_back({row[0].as<long long>(), row[1].as<std::string>(), row[2].as<std::string>(),
                        row[3].as<std::string>(), row[4].as<std::string>(),
                        row[5].as<std::string>(), "", "", true});
    if (!row[6].is_null()) {
      double left = row[6].as<double>();
      if (!out.next_expiry_seconds || left < *out.next_expiry_seconds)
        out.next_expiry_seconds = left;
    }
  }
  return out;
}

std::vector<ServiceBanRecord> service_ban_history(pqxx::connection_base& connection, int limit) {
  pqxx::read_transaction tx(connection, "service ban history");
  std::vector<ServiceBanRecord> out;
  for (const auto& row : tx.exec_params(
           "SELECT id, subject, reason, set_by, to_char(set_at AT TIME ZONE 'UTC', $1),"
           "       coalesce(to_char(expires_at AT TIME ZONE 'UTC', $1), ''),"
           "       coalesce(to_char(coalesce(lifted_at, CASE WHEN expires_at <= now()"
           "                THEN expires_at END) AT TIME ZONE 'UTC', $1), ''),"
           "       coalesce(lifted_by, CASE WHEN expires_at <= now() THEN 'expired' END, ''),"
           "       lifted_at IS NULL AND (expires_at IS NULL OR expires_at > now())"
           " FROM service_bans ORDER BY set_at DESC, id DESC LIMIT $2::int",
           kTimeFormat, limit)) {
    ServiceBanRecord r{row[0].as<long long>(),
                       row[1].as<std::string>(),
                       row[2].as<std::string>(),
                       row[3].as<std::string>(),
                       row[4].as<std::string>(),
                       row[5].as<std::string>(),
                       "",
                       "",
                       false};
    r.lifted_at = row[6].as<std::string>();
    r.lifted_by = row[7].as<std::string>();
    r.in_force = row[8].as<bool>();
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace commonroom::store
