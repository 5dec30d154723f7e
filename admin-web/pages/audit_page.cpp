#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTMLForm.h>

#include <sstream>

#include "admin-web/abuse_desk.hpp"
#include "admin-web/admin_store.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

namespace {
constexpr int kPageSize = 100;

// A JSON value as a reader wants it: strings without quotes, arrays as "a, b".
std::string plain(const Poco::Dynamic::Var& v) {
  if (v.isEmpty()) return "";
  if (v.type() == typeid(Poco::JSON::Array::Ptr)) {
    auto a = v.extract<Poco::JSON::Array::Ptr>();
    std::string out;
    for (size_t i = 0; i < a->size(); ++i) out += (i ? ", " : "") + plain(a->get(i));
    return out;
  }
  if (v.type() == typeid(Poco::JSON::Object::Ptr)) {
    std::ostringstream s;
    v.extract<Poco::JSON::Object::Ptr>()->stringify(s);
    return s.str();
  }
  return v.toString();
}

// "words: cafe; users: a@b" — the members that say something, in the object's order.
std::string members_text(const Poco::JSON::Object::Ptr& o,
                         std::initializer_list<const char*> skip) {
  std::string out;
  std::vector<std::string> names;
  o->getNames(names);
  for (const auto& name : names) {
    if (std::find_if(skip.begin(), skip.end(), [&](const char* s) { return name == s; }) !=
        skip.end())
      continue;
    const std::string value = plain(o->get(name));
    if (value.empty()) continue;
    out += (out.empty() ? "" : "; ") + name + ": " + value;
  }
  return out;
}

}  // namespace

// GET /audit: the trail, newest first; ?case= narrows it to one complaint. The case, the
// query and the result count of each look at the log get their own columns.
void audit_page(PageRequest& request) {
  long long before = 0;
  try {
    before = std::stoll(request.form.get("before", "0"));
  } catch (const std::exception&) {
    before = 0;
  }
  const std::string case_ref = request.form.get("case", "").substr(0, 200);
  std::vector<AuditRow> rows;
  if (!case_ref.empty() && request.site.abuse_desk)
    rows = request.site.abuse_desk->case_audit(case_ref, before, kPageSize);
  else
    rows = request.site.store->audit_entries(before, kPageSize);
  mstch::array entries;
  for (const auto& e : rows) {
    mstch::map row{{"occurred_at", e.occurred_at}, {"actor", e.actor},
                   {"action", e.action},           {"object", e.object},
                   {"detail", e.detail},           {"case", std::string()},
                   {"query", std::string()},       {"results", std::string()}};
    try {
      auto o = Poco::JSON::Parser().parse(e.detail).extract<Poco::JSON::Object::Ptr>();
      if (o->has("case")) {
        const std::string c = plain(o->get("case"));
        row["case"] = c;
        row["case_url"] = url_part(c);
        if (e.object == c) row["object"] = std::string();  // said once is enough
      }
      if (o->has("results")) row["results"] = plain(o->get("results"));
      if (auto q = o->getObject("query")) row["query"] = members_text(q, {"kinds"});
      row["detail"] = members_text(o, {"case", "query", "results"});
    } catch (const Poco::Exception&) {
      // Not an object: shown as stored.
    }
    entries.push_back(std::move(row));
  }
  mstch::map context{{"entries", entries},
                     {"next", std::string()},
                     {"case", case_ref},
                     {"case_url", url_part(case_ref)}};
  if (static_cast<int>(rows.size()) == kPageSize) context["next"] = std::to_string(rows.back().id);
  send_page(request, "audit", case_ref.empty() ? "Audit trail" : "Audit trail of case " + case_ref,
            context);
}

}  // namespace commonroom::admin_web
