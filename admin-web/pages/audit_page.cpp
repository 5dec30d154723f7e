#include <Poco/Net/HTMLForm.h>

#include "admin-web/admin_store.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

namespace {
constexpr int kPageSize = 100;
}

void audit_page(PageRequest& request) {
  long long before = 0;
  try {
    before = std::stoll(request.form.get("before", "0"));
  } catch (const std::exception&) {
    before = 0;
  }
  auto rows = request.site.store->audit_entries(before, kPageSize);
  mstch::array entries;
  for (const auto& e : rows)
    entries.push_back(mstch::map{{"occurred_at", e.occurred_at},
                                 {"actor", e.actor},
                                 {"action", e.action},
                                 {"object", e.object},
                                 {"detail", e.detail}});
  mstch::map context{{"entries", entries}, {"next", std::string()}};
  if (static_cast<int>(rows.size()) == kPageSize) context["next"] = std::to_string(rows.back().id);
  send_page(request, "audit", "Audit trail", context);
}

}  // namespace commonroom::admin_web
