#include "store/log_audit.hpp"

#include <pqxx/pqxx>

#include "store/json_text.hpp"

namespace commonroom::store {

void check_case_access(const CaseAccess& who) {
  if (who.actor.empty()) throw LogQueryError("say who is looking (--by)");
  if (who.case_ref.empty())
    throw LogQueryError("every look at the abuse log needs a case reference (--case)");
  if (who.case_ref.size() > 200) throw LogQueryError("a case reference has at most 200 bytes");
  for (unsigned char c : who.case_ref + who.actor)
    if (c < 0x20 || c == 0x7f)
      throw LogQueryError("case references and names cannot hold control characters");
}

void record_log_access(pqxx::transaction_base& tx, const CaseAccess& who, const std::string& action,
                       const std::string& query_json, long long results,
                       const std::string& extra_json) {
  JsonObject detail;
  detail.string("case", who.case_ref).raw("query", query_json).number("results", results);
  std::string json = detail.str();
  // Splice the extra members in: "{...}" + "{a,b}" -> "{...,a,b}".
  if (extra_json.size() > 2) json = json.substr(0, json.size() - 1) + "," + extra_json.substr(1);
  tx.exec_params("INSERT INTO audit (actor, action, object, detail) VALUES ($1, $2, $3, $4::jsonb)",
                 who.actor, action, who.case_ref, json);
}

std::vector<AuditRecord> case_audit(pqxx::connection_base& connection, const std::string& case_ref,
                                    long long before_id, int limit) {
  pqxx::read_transaction tx(connection, "case audit");
  std::vector<AuditRecord> out;
  // detail ? 'case' lets audit_case_idx (schema/0010) serve the lookup.
  for (const auto& r : tx.exec_params(
           "SELECT id, to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),"
           " actor, action, object, detail::text FROM audit"
           " WHERE detail ? 'case' AND detail ->> 'case' = $1"
           " AND ($2::bigint = 0 OR id < $2::bigint) ORDER BY id DESC LIMIT $3::int",
           case_ref, before_id, limit))
    out.push_back({r[0].as<long long>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<std::string>(), r[4].as<std::string>(), r[5].as<std::string>()});
  return out;
}

LogPage audited_search(pqxx::connection_base& connection, const CaseAccess& who, const LogQuery& q,
                       const std::string& after, int limit) {
  check_case_access(who);
  const LogQuery query = prepared(q);
  pqxx::work tx(connection, "log search");
  LogPage page = search_log(tx, query, after, limit);
  JsonObject extra;
  if (!after.empty()) extra.string("after", after);
  record_log_access(tx, who, "log.search", query_json(query),
                    static_cast<long long>(page.events.size()), extra.str());
  tx.commit();
  return page;
}

LogContext audited_context(pqxx::connection_base& connection, const CaseAccess& who,
                           const ContextRef& ref, int before, int after) {
  check_case_access(who);
  pqxx::work tx(connection, "log context");
  LogContext ctx = read_context(tx, ref, before, after);
  JsonObject extra;
  extra.number("before", before).number("after", after).string("room", ctx.room);
  record_log_access(tx, who, "log.context", context_ref_json(ref),
                    static_cast<long long>(ctx.events.size()), extra.str());
  tx.commit();
  return ctx;
}

}  // namespace commonroom::store
