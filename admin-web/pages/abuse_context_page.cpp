#include <Poco/Net/HTMLForm.h>

#include <charconv>

#include "admin-web/abuse_desk.hpp"
#include "admin-web/pages/abuse_forms.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

namespace {

constexpr int kDefaultSide = 10;
constexpr int kMaxSide = 200;  // a page, not an export: more is for `logs export`

int side(const PageRequest& request, const char* name, const std::string& label) {
  const std::string text = form_value(request, name, kMaxShortFieldBytes, label);
  if (text.empty()) return kDefaultSide;
  int v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || v < 0 || v > kMaxSide)
    throw AbuseRefused(label + " must be a whole number from 0 to " + std::to_string(kMaxSide));
  return v;
}

std::string link_query(const ContextLink& link) {
  std::string q;
  auto add = [&](const char* name, const std::string& value) {
    if (!value.empty()) q += std::string(q.empty() ? "" : "&") + name + "=" + url_part(value);
  };
  add("event", link.event_id);
  add("stanza_id", link.stanza_id);
  add("room", link.room);
  add("at", link.at);
  return q;
}

}  // namespace

// GET /abuse/context: step 2. The room's timeline around one event (or an instant), every
// kind of event, retracted messages with their original text. The link parameters are
// stable, so the page's address can be pasted into a case; opened without a case reference
// it asks for one before showing anything (every look is audited with its case).
void abuse_context_page(PageRequest& request) {
  AbuseDesk* desk = request.site.abuse_desk;
  if (!desk)
    return send_error_page(request.response, 503, "No abuse log here",
                           "This service has no [database], so there is no log to read.");
  mstch::map context;
  std::string refused;
  ContextLink link;
  std::string case_ref;
  int before = kDefaultSide, after = kDefaultSide;
  try {
    case_ref = case_of(request);
    link.event_id = form_value(request, "event", kMaxShortFieldBytes, "The event id");
    link.stanza_id = form_value(request, "stanza_id", kMaxShortFieldBytes * 3, "The stanza-id");
    link.room = form_value(request, "room", kMaxShortFieldBytes * 10, "The room");
    link.at = form_value(request, "at", kMaxShortFieldBytes, "The time");
    before = side(request, "before", "Events before");
    after = side(request, "after", "Events after");
  } catch (const AbuseRefused& e) {
    refused = e.what();
  }
  context["case"] = case_ref;
  context["case_url"] = url_part(case_ref);
  context["event"] = link.event_id;
  context["stanza_id"] = link.stanza_id;
  context["room"] = link.room;
  context["at"] = link.at;
  context["before"] = std::to_string(before);
  context["after"] = std::to_string(after);
  context["need_case"] = refused.empty() && case_ref.empty();
  bool shown = false;
  if (refused.empty() && !case_ref.empty()) {
    try {
      LogTimeline timeline =
          desk->context({request.viewer->principal, case_ref}, link, before, after);
      mstch::array entries;
      for (size_t i = 0; i < timeline.entries.size(); ++i) {
        const LogEntry& e = timeline.entries[i];
        mstch::map row = entry_view(e, case_ref);
        row["anchor"] = static_cast<int>(i) == timeline.anchor;
        // A retraction names a stanza-id; say whose message it was when it is on the page.
        if (e.kind == "retraction")
          for (const auto& m : timeline.entries)
            if (!m.stanza_id.empty() && m.stanza_id == e.target && m.kind != "retraction")
              row["action"] = "retracted the message " + m.actor_nick + " sent at " +
                              readable_time(m.occurred_at) + " (shown above)";
        entries.push_back(std::move(row));
      }
      context["timeline_room"] = timeline.room;
      context["entries"] = entries;
      context["empty"] = timeline.entries.empty();
      context["count"] = std::to_string(timeline.entries.size());
      // Stable references: what a case file should hold to reproduce this view.
      mstch::array links;
      auto add_link = [&](const std::string& what, const ContextLink& l) {
        links.push_back(mstch::map{
            {"what", what}, {"url", request.site.public_url + "/abuse/context?" + link_query(l)}});
      };
      if (timeline.anchor >= 0) {
        const LogEntry& a = timeline.entries[static_cast<size_t>(timeline.anchor)];
        context["anchor_time"] = readable_time(a.occurred_at);
        add_link("This event, by its id", {a.event_id, "", "", ""});
        if (!a.stanza_id.empty())
          add_link("This message, by its stanza-id (as XMPP clients know it)",
                   {"", a.stanza_id, timeline.room, ""});
        add_link("The room at this time", {"", "", timeline.room, a.occurred_at});
      } else {
        add_link("The room at this time", {"", "", timeline.room, link.at});
      }
      context["links"] = links;
      shown = true;
    } catch (const AbuseRefused& e) {
      refused = e.what();
    }
  }
  context["refused"] = refused;
  context["shown"] = shown;
  send_page(request, "abuse_context", "Context", context, refused.empty() ? 200 : 400);
}

}  // namespace commonroom::admin_web
