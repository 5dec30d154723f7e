#include <Poco/Net/HTMLForm.h>

#include "admin-web/admin_store.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

namespace {
constexpr int kLimit = 100;
}

void directory_page(PageRequest& request) {
  const std::string q = request.form.get("q", "");
  mstch::map context{{"q", q}, {"searched", !q.empty()}, {"limit", std::to_string(kLimit)}};
  if (!q.empty()) {
    auto rows = request.site.store->people(q, kLimit + 1);
    const bool more = static_cast<int>(rows.size()) > kLimit;
    if (more) rows.pop_back();
    mstch::array people;
    for (const auto& p : rows)
      people.push_back(mstch::map{{"uid", p.uid},
                                  {"uid_url", url_part(p.uid)},
                                  {"jid", p.jid},
                                  {"display_name", p.display_name.empty() ? p.uid : p.display_name},
                                  {"mail", p.mail},
                                  {"institutions", string_list(p.institutions)}});
    context["people"] = people;
    context["empty"] = rows.empty();
    context["more"] = more;
  }
  send_page(request, "directory", "Directory", context);
}

}  // namespace commonroom::admin_web
