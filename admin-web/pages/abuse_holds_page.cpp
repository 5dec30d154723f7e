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

std::string covers_text(const HoldEntry& h) {
  if (h.covers < 0) return "";
  std::string text = std::to_string(h.covers) + " logged event(s)";
  if (h.kind == "user")
    text += " (" + std::to_string(h.covers_own) + " by or about them, the rest the rooms around)";
  return text;
}

mstch::map hold_view(const HoldEntry& h) {
  return mstch::map{{"id", std::to_string(h.id)},
                    {"kind", h.kind},
                    {"subject", h.subject},
                    {"typed_subject", h.typed_subject},
                    {"problem", h.problem},
                    {"context_minutes",
                     h.context_minutes < 0 ? std::string() : std::to_string(h.context_minutes)},
                    {"reason", h.reason},
                    {"placed_by", h.placed_by},
                    {"placed_at", readable_time(h.placed_at)},
                    {"released_at", readable_time(h.released_at)},
                    {"released_by", h.released_by},
                    {"covers", covers_text(h)},
                    {"covers_nothing", h.covers == 0}};
}

HoldRequest hold_of(const PageRequest& request) {
  HoldRequest h;
  h.kind = request.form.get("kind", "");
  if (h.kind != "room" && h.kind != "user")
    throw AbuseRefused("Choose whether the hold is on a room or on a user.");
  h.subject = form_value(request, "subject", kMaxShortFieldBytes * 10, "The JID");
  if (h.subject.empty()) throw AbuseRefused("Give the JID of the room or the user to hold.");
  h.reason = form_value(request, "reason", kMaxReasonBytes, "The reason");
  if (h.reason.empty()) throw AbuseRefused("Give the reason for the hold.");
  const std::string minutes = form_value(request, "minutes", kMaxShortFieldBytes, "Minutes");
  if (h.kind == "user" && !minutes.empty()) {
    int v = 0;
    auto [end, ec] = std::from_chars(minutes.data(), minutes.data() + minutes.size(), v);
    if (ec != std::errc() || end != minutes.data() + minutes.size() || v < 0 || v > 10080)
      throw AbuseRefused("Minutes around the user's events must be a whole number, 0 to 10080.");
    h.context_minutes = v;
  }
  return h;
}

void render(PageRequest& request, const std::string& notice, bool notice_warns,
            const std::string& refused, int status) {
  AbuseDesk* desk = request.site.abuse_desk;
  mstch::array active, history;
  for (const auto& h : desk->active_holds()) active.push_back(hold_view(h));
  for (const auto& h : desk->hold_history(kHistory)) history.push_back(hold_view(h));
  const auto& f = request.form;
  const bool keep = !refused.empty();
  mstch::map context{{"notice", notice},
                     {"notice_warns", notice_warns},
                     {"refused", refused},
                     {"csrf", request.viewer->csrf_token},
                     {"active", active},
                     {"none_active", active.empty()},
                     {"history", history},
                     {"no_history", history.empty()},
                     {"user_kind", !keep || f.get("kind", "user") == "user"},
                     {"subject", keep ? f.get("subject", "") : std::string()},
                     {"reason", keep ? f.get("reason", "") : std::string()},
                     {"minutes", keep ? f.get("minutes", "") : std::string()},
                     {"case", f.get("case", "")}};
  send_page(request, "abuse_holds", "Legal holds", context, status);
}

}  // namespace

// GET /abuse/holds: holds in force with what each keeps now, the place form, the history.
void abuse_holds_page(PageRequest& request) {
  AbuseDesk* desk = request.site.abuse_desk;
  if (!desk)
    return send_error_page(request.response, 503, "No holds here",
                           "This service has no [database], where legal holds are kept.");
  const std::string done = request.form.get("done", "");
  const std::string kind = request.form.get("kind", "");
  const std::string subject = request.form.get("subject", "");
  std::string notice;
  bool warns = false;
  if (done == "placed") {
    notice = "The hold on " + kind + " " + subject + " is placed.";
    for (const auto& h : desk->active_holds())
      if (h.kind == kind && h.subject == subject) {
        notice += " It keeps " + covers_text(h) + " from the retention purge now";
        warns = h.covers == 0;
        notice += warns ? ". WARNING: that is nothing — check the JID's spelling; the hold "
                          "will keep only what is logged from now on."
                        : ", and everything logged for it from now on.";
      }
  } else if (done == "released") {
    notice = "The hold on " + kind + " " + subject +
             " is released. The next retention purge may delete its events.";
  }
  render(request, notice, warns, "", 200);
}

// POST /abuse/holds/{preview,place,release}. preview shows what the hold would keep (the
// store places it in a transaction it rolls back) and asks to confirm; place and release
// change it through the same store functions as `commonroom hold`, audited.
void abuse_hold_action_page(PageRequest& request) {
  AbuseDesk* desk = request.site.abuse_desk;
  if (!desk)
    return send_error_page(request.response, 503, "No holds here",
                           "This service has no [database], where legal holds are kept.");
  std::string location;
  try {
    const CaseLook who{request.viewer->principal, case_of(request)};
    if (request.rest == "preview") {
      const HoldRequest hold = hold_of(request);
      const HoldEntry h = desk->preview_hold(who, hold);
      mstch::map context = hold_view(h);
      context["csrf"] = request.viewer->csrf_token;
      context["case"] = who.case_ref;
      context["minutes"] = hold.context_minutes ? std::to_string(*hold.context_minutes) : "";
      context["subject_typed"] = hold.subject;
      context["user_kind"] = h.kind == "user";
      return send_page(request, "abuse_hold_preview", "Check the hold before placing it", context);
    }
    if (request.rest == "place") {
      const HoldEntry h = desk->place_hold(who, hold_of(request));
      location = "/abuse/holds?done=placed&kind=" + h.kind + "&subject=" + url_part(h.subject);
    } else if (request.rest == "release") {
      const std::string kind = request.form.get("kind", "");
      const std::string subject =
          desk->release_hold(who, kind, form_value(request, "subject", 1000, "The JID"));
      location =
          "/abuse/holds?done=released&kind=" + url_part(kind) + "&subject=" + url_part(subject);
    } else {
      return send_error_page(request.response, 404, "Not found", "There is no such hold action.");
    }
  } catch (const AbuseRefused& e) {
    return render(request, "", false, e.what(), 409);
  }
  request.response.set("Location", location);
  send(request.response, 303, "text/plain; charset=utf-8", "See " + location + "\n");
}

}  // namespace commonroom::admin_web
