#include "admin-web/pages/abuse_forms.hpp"

#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTMLForm.h>

#include <sstream>

#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

namespace {

std::vector<std::string> split_spaces(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string item; in >> item;) out.push_back(item);
  return out;
}

std::string joined(const std::vector<std::string>& values) {
  std::string out;
  for (const auto& v : values) out += (out.empty() ? "" : " ") + v;
  return out;
}

std::vector<std::string> jid_list(const PageRequest& request, const std::string& name,
                                  const std::string& label) {
  auto list = split_spaces(form_value(request, name, kMaxJidListBytes, label));
  if (list.size() > kMaxJidListEntries)
    throw AbuseRefused(label + ": at most " + std::to_string(kMaxJidListEntries) +
                       " at a time, separated by spaces");
  return list;
}

std::string detail_member(const std::string& json, const std::string& name) {
  if (json.empty()) return "";
  try {
    auto o = Poco::JSON::Parser().parse(json).extract<Poco::JSON::Object::Ptr>();
    return o->has(name) ? o->get(name).toString() : "";
  } catch (const Poco::Exception&) {
    return "";
  }
}

// What happened, in plain words; what people wrote stays in `text`.
std::string action_of(const LogEntry& e) {
  const std::string& k = e.kind;
  if (k == "groupchat") return "";
  if (k == "private_message") return "private message to " + e.target;
  if (k == "join") return "entered the room";
  if (k == "exit") return "left the room";
  if (k == "nick_change")
    return "changed nick from " + detail_member(e.detail, "old") + " to " +
           detail_member(e.detail, "new");
  if (k == "status_change") return "changed their status";
  if (k == "subject_change") return "set the room's subject";
  if (k == "kick") return "removed " + e.target + " from the room (kick)";
  if (k == "ban") return "banned " + e.target + " from the room";
  if (k == "retraction") return "retracted message " + e.target;
  if (k == "affiliation_change")
    return "made " + e.target + " " + detail_member(e.detail, "new") + " (was " +
           detail_member(e.detail, "old") + ")";
  if (k == "role_change")
    return "gave " + e.target + " the role " + detail_member(e.detail, "new") + " (was " +
           detail_member(e.detail, "old") + ")";
  if (k == "room_created") return "created the room";
  if (k == "room_destroyed") return "destroyed the room";
  if (k == "config_change") return "changed the room's configuration";
  return k + (e.target.empty() ? "" : " " + e.target);
}

}  // namespace

std::string readable_time(const std::string& iso) {
  std::string out = iso;
  if (out.size() > 10 && out[10] == 'T') out[10] = ' ';
  if (!out.empty() && out.back() == 'Z') out.pop_back();
  return out;
}

std::string form_value(const PageRequest& request, const std::string& name, size_t max_bytes,
                       const std::string& label) {
  std::string value = request.form.get(name, "");
  if (value.size() > max_bytes)
    throw AbuseRefused(label + " is too long (" + std::to_string(value.size()) +
                       " bytes; at most " + std::to_string(max_bytes) + ")");
  return value;
}

std::string case_of(const PageRequest& request) {
  std::string value = form_value(request, "case", kMaxCaseBytes, "The case reference");
  // Spaces around a pasted reference are not part of it.
  const auto first = value.find_first_not_of(" \t");
  if (first == std::string::npos) return "";
  return value.substr(first, value.find_last_not_of(" \t") - first + 1);
}

LogFilter filter_of(const PageRequest& request) {
  LogFilter f;
  f.rooms = jid_list(request, "room", "Rooms");
  f.users = jid_list(request, "user", "Users");
  f.occupant_ids = jid_list(request, "occupant_id", "Occupant-ids");
  const std::string nick = form_value(request, "nick", kMaxShortFieldBytes, "The nick");
  if (!nick.empty()) f.nicks.push_back(nick);
  f.words = form_value(request, "words", kMaxWordsBytes, "The words");
  f.from = form_value(request, "from", kMaxShortFieldBytes, "From");
  f.to = form_value(request, "to", kMaxShortFieldBytes, "To");
  f.all_kinds = request.form.get("kinds", "") == "all";
  return f;
}

bool any_filter(const LogFilter& f) {
  return !f.rooms.empty() || !f.users.empty() || !f.nicks.empty() || !f.occupant_ids.empty() ||
         !f.words.empty() || !f.from.empty() || !f.to.empty();
}

std::string filter_query(const LogFilter& f, const std::string& case_ref) {
  std::string q = "case=" + url_part(case_ref);
  auto add = [&](const char* name, const std::string& value) {
    if (!value.empty()) q += std::string("&") + name + "=" + url_part(value);
  };
  add("room", joined(f.rooms));
  add("user", joined(f.users));
  add("nick", f.nicks.empty() ? "" : f.nicks[0]);
  add("occupant_id", joined(f.occupant_ids));
  add("words", f.words);
  add("from", f.from);
  add("to", f.to);
  if (f.all_kinds) q += "&kinds=all";
  return q;
}

void add_filter_values(mstch::map& context, const LogFilter& f) {
  context["room"] = joined(f.rooms);
  context["user"] = joined(f.users);
  context["nick"] = f.nicks.empty() ? std::string() : f.nicks[0];
  context["occupant_id"] = joined(f.occupant_ids);
  context["words"] = f.words;
  context["from"] = f.from;
  context["to"] = f.to;
  context["all_kinds"] = f.all_kinds;
}

mstch::map entry_view(const LogEntry& e, const std::string& case_ref) {
  const std::string action = action_of(e);
  return mstch::map{
      {"event_id", e.event_id},
      {"stanza_id", e.stanza_id},
      {"occurred_at", readable_time(e.occurred_at)},
      {"room", e.room},
      {"kind", e.kind},
      {"actor_jid", e.actor_jid.empty() ? std::string("(the service)") : e.actor_jid},
      {"actor_nick", e.actor_nick},
      {"occupant_id", e.occupant_id},
      {"action", action},
      {"has_action", !action.empty()},
      {"text", e.body},
      {"retracted", !e.retracted_at.empty()},
      {"retracted_at", readable_time(e.retracted_at)},
      {"retracted_by", e.retracted_by},
      {"retraction_reason", e.retraction_reason},
      {"context_url",
       "/abuse/context?case=" + url_part(case_ref) + "&event=" + url_part(e.event_id)},
  };
}

bool checked(const PageRequest& request, const std::string& name) {
  return !request.form.get(name, "").empty();
}

}  // namespace commonroom::admin_web
