#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <charconv>

#include "admin-web/abuse_desk.hpp"
#include "admin-web/pages/abuse_forms.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

namespace {

constexpr int kHistory = 100;

void render(PageRequest& request, const std::string& notice, const std::string& refused,
            int status) {
  AbuseDesk* desk = request.site.abuse_desk;
  mstch::array in_force, history;
  for (const auto& b : desk->bans(kHistory)) {
    mstch::map row{{"subject", b.subject},
                   {"reason", b.reason},
                   {"set_by", b.set_by},
                   {"set_at", readable_time(b.set_at)},
                   {"expires_at", readable_time(b.expires_at)},
                   {"lifted_at", readable_time(b.lifted_at)},
                   {"lifted_by", b.lifted_by},
                   {"in_force", b.in_force}};
    if (b.in_force) in_force.push_back(row);
    history.push_back(std::move(row));
  }
  const auto& f = request.form;
  // After a refusal the form keeps what was typed, so nothing has to be typed twice.
  mstch::map context{{"notice", notice},
                     {"refused", refused},
                     {"csrf", request.viewer->csrf_token},
                     {"in_force", in_force},
                     {"none_in_force", in_force.empty()},
                     {"history", history},
                     {"no_history", history.empty()},
                     {"subject", refused.empty() ? std::string() : f.get("subject", "")},
                     {"reason", refused.empty() ? std::string() : f.get("reason", "")},
                     {"days", refused.empty() ? std::string() : f.get("days", "")},
                     {"case", f.get("case", "")}};
  send_page(request, "abuse_bans", "Service-wide bans", context, status);
}

std::optional<int> days_of(const PageRequest& request) {
  const std::string text = form_value(request, "days", kMaxShortFieldBytes, "Days");
  if (text.empty()) return std::nullopt;
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 1 || v > 3650)
    throw AbuseRefused("Days must be a whole number from 1 to 3650, or empty for “until lifted”.");
  return v;
}

}  // namespace

// GET /abuse/bans: bans in force (each with a lift form), the place form, and the history.
void abuse_bans_page(PageRequest& request) {
  if (!request.site.abuse_desk)
    return send_error_page(request.response, 503, "No bans here",
                           "This service has no [database], where service-wide bans are kept.");
  const std::string done = request.form.get("done", "");
  const std::string subject = request.form.get("subject", "");
  std::string notice;
  if (done == "placed")
    notice = subject +
             " is banned from every room. The rooms service applied the ban at once: they were "
             "removed from every room they were in, and cannot enter any room until it is lifted.";
  else if (done == "lifted")
    notice = "The ban on " + subject + " is lifted. They can enter rooms again at once.";
  render(request, notice, "", 200);
}

// POST /abuse/bans/place and /abuse/bans/lift: through the same store functions as
// `commonroom ban` (audited, NOTIFY to the rooms engine), the signed-in user as actor.
void abuse_ban_action_page(PageRequest& request) {
  AbuseDesk* desk = request.site.abuse_desk;
  if (!desk)
    return send_error_page(request.response, 503, "No bans here",
                           "This service has no [database], where service-wide bans are kept.");
  std::string done;
  std::string subject;
  try {
    const CaseLook who{request.viewer->principal, case_of(request)};
    subject = form_value(request, "subject", kMaxShortFieldBytes * 10, "The JID or domain");
    if (subject.empty()) throw AbuseRefused("Say whom to ban: a JID (user@domain) or a domain.");
    if (request.rest == "place") {
      const std::string reason = form_value(request, "reason", kMaxReasonBytes, "The reason");
      if (reason.empty())
        throw AbuseRefused("Give the reason: the banned user sees it when they are removed.");
      subject = desk->place_ban(who, subject, reason, days_of(request)).subject;
      done = "placed";
    } else if (request.rest == "lift") {
      desk->lift_ban(who, subject);
      done = "lifted";
    } else {
      return send_error_page(request.response, 404, "Not found", "There is no such ban action.");
    }
  } catch (const AbuseRefused& e) {
    return render(request, "", e.what(), 409);
  }
  // 303: the browser follows with GET, so a reload repeats nothing.
  const std::string location = "/abuse/bans?done=" + done + "&subject=" + url_part(subject);
  request.response.set("Location", location);
  send(request.response, 303, "text/plain; charset=utf-8", "See " + location + "\n");
}

}  // namespace commonroom::admin_web
