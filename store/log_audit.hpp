// Every look at the abuse log names a case and leaves a row in the append-only audit
// table (schema/0010): who, which case, what was asked, how many events it showed, when.
// The search, context and export entry points here read and audit in one transaction, so
// nothing is shown that is not recorded.
#pragma once
#include <stdexcept>
#include <string>

#include "store/admin_web_store.hpp"
#include "store/log_context.hpp"
#include "store/log_search.hpp"

namespace pqxx {
class connection_base;
class transaction_base;
}  // namespace pqxx

namespace commonroom::store {

// Who is looking, and for which case. Both are required.
struct CaseAccess {
  std::string actor;     // a staff member's JID or principal
  std::string case_ref;  // the complaint's reference, e.g. "ABUSE-2026-0117"
};

// Throws LogQueryError for a missing actor or case, or a case reference with control
// characters or over 200 bytes.
void check_case_access(const CaseAccess& who);

// Writes audit (actor, action, object = the case reference, detail = {"case", "query",
// "results", ...extra members}). extra_json: "" or a JSON object whose members are added.
void record_log_access(pqxx::transaction_base& tx, const CaseAccess& who, const std::string& action,
                       const std::string& query_json, long long results,
                       const std::string& extra_json = "");

// A case's trail: every audit row whose detail names the case (looks at the log, and the
// bans and holds placed for it), newest first; before_id 0 = from the newest.
std::vector<AuditRecord> case_audit(pqxx::connection_base& connection, const std::string& case_ref,
                                    long long before_id, int limit);

// log.search: one page (q is prepared here).
LogPage audited_search(pqxx::connection_base& connection, const CaseAccess& who, const LogQuery& q,
                       const std::string& after, int limit);

// log.context.
LogContext audited_context(pqxx::connection_base& connection, const CaseAccess& who,
                           const ContextRef& ref, int before, int after);

}  // namespace commonroom::store
