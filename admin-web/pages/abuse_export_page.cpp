#include <Poco/Net/HTMLForm.h>

#include <Poco/Net/HTTPServerResponse.h>

#include <cctype>

#include "admin-web/abuse_desk.hpp"
#include "admin-web/pages/abuse_forms.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

namespace {

// As `commonroom logs export --max` defaults: more is a query to narrow, not a bundle.
constexpr int kMaxEvents = 100000;

// evidence-<case>-<UTC time>.tar with only characters every file system and browser keep.
std::string file_name(const std::string& case_ref, const std::string& manifest_sha256) {
  std::string name = "evidence-";
  for (char c : case_ref.substr(0, 60))
    name +=
        (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '_';
  return name + "-" + manifest_sha256.substr(0, 12) + ".tar";
}

}  // namespace

// POST /abuse/export: step 3. The bundle `commonroom logs export` writes (the same store
// code, audited as log.export with its SHA-256), sent as a download.
void abuse_export_page(PageRequest& request) {
  AbuseDesk* desk = request.site.abuse_desk;
  if (!desk)
    return send_error_page(request.response, 503, "No abuse log here",
                           "This service has no [database], so there is no log to export.");
  try {
    const std::string case_ref = case_of(request);
    const LogFilter filter = filter_of(request);
    if (case_ref.empty())
      throw AbuseRefused("An export needs the case reference it is for. Search again with one.");
    if (!any_filter(filter))
      throw AbuseRefused("An export needs at least one filter; search first, then export.");
    EvidenceArchive archive =
        desk->export_evidence({request.viewer->principal, case_ref}, filter, kMaxEvents);
    const std::string name = file_name(case_ref, archive.manifest_sha256);
    request.response.set("Content-Disposition", "attachment; filename=\"" + name + "\"");
    request.response.set("X-Evidence-Messages", std::to_string(archive.messages));
    request.response.set("X-Evidence-Manifest-SHA256", archive.manifest_sha256);
    send(request.response, 200, "application/x-tar", archive.bytes);
  } catch (const AbuseRefused& e) {
    send_error_page(request.response, 400, "Not exported", e.what());
  }
}

}  // namespace commonroom::admin_web
