#include <Poco/Net/HTMLForm.h>

#include <algorithm>

#include "admin-web/admin_store.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/room_commands.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

namespace {

constexpr int kPageSize = 50;
constexpr std::size_t kMaxCursorBytes = 3072;

// The orders offered, as the page's links name them.
struct Order {
  const char* key;
  const char* label;
};
constexpr Order kOrders[] = {{"address", "address"},
                             {"name", "name"},
                             {"occupants", "occupants now"},
                             {"activity", "last message"}};

// "2026-12-06T03:10:22.123456Z" as "2026-12-06 03:10", the minute a person cares about.
std::string minute(std::string iso) {
  iso = iso.substr(0, 16);
  if (iso.size() > 10) iso[10] = ' ';
  return iso;
}

mstch::map row(const RoomRow& r) {
  return mstch::map{{"jid", r.jid},
                    {"jid_url", url_part(r.jid)},
                    {"name", r.name},
                    {"subject", r.subject},
                    {"public_room", r.public_room},
                    {"members_only", r.members_only},
                    {"password_protected", r.password_protected},
                    {"linked", string_list(r.linked)},
                    {"created_at", r.created_at},
                    {"created_by", r.created_by},
                    {"last_message_at", minute(r.last_message_at)},
                    {"occupants", std::string()}};
}

// Rooms with people in them now, most first: only the rooms engine knows, so this order
// lists the open rooms the viewer may see (few, even on a large service) and pages by offset.
void occupied_rooms(PageRequest& request, const RoomQuery& query, mstch::map& context) {
  std::vector<LiveRoom> rooms;
  if (auto live =
          request.site.room_commands ? request.site.room_commands->live_rooms() : std::nullopt)
    for (auto& r : *live) {
      if (r.occupants == 0) continue;
      RoomRow as_row;
      as_row.jid = r.jid;
      as_row.linked = r.linked;
      // A temporary room has no links: it is for those who see every room.
      if (query.scopes && (!r.persistent || !request.viewer->may_see_room(as_row))) continue;
      if (!query.text.empty() && r.jid.find(query.text) == std::string::npos &&
          r.name.find(query.text) == std::string::npos)
        continue;
      rooms.push_back(std::move(r));
    }
  std::sort(rooms.begin(), rooms.end(), [](const LiveRoom& a, const LiveRoom& b) {
    return a.occupants != b.occupants ? a.occupants > b.occupants : a.jid < b.jid;
  });
  std::size_t start = 0;
  try {
    start = std::stoul(request.form.get("page", "0")) * kPageSize;
  } catch (const std::exception&) {
  }
  mstch::array out;
  for (std::size_t i = start; i < rooms.size() && i < start + kPageSize; ++i) {
    const auto& r = rooms[i];
    RoomRow shown;
    shown.jid = r.jid;
    shown.name = r.name;
    shown.public_room = r.public_room;
    shown.linked = r.linked;
    mstch::map m = row(shown);
    m["occupants"] = std::to_string(r.occupants);
    m["temporary"] = !r.persistent;
    out.push_back(m);
  }
  context["rooms"] = out;
  context["empty"] = out.empty();
  context["occupants_order"] = true;
  context["caption"] = std::string(
      "Rooms with someone in them now, most people first. Rooms nobody is in are not listed in "
      "this order.");
  if (start + kPageSize < rooms.size())
    context["next"] = "&page=" + std::to_string(start / kPageSize + 1);
}

}  // namespace

void rooms_page(PageRequest& request) {
  RoomQuery query;
  query.text = request.form.get("q", "");
  query.after = request.form.get("after", "");
  query.after_key = request.form.get("after_key", "");
  query.after_quiet = request.form.get("quiet", "") == "1";
  query.limit = kPageSize + 1;  // one more tells whether there is a next page
  query.scopes = request.viewer->room_scopes();
  std::string sort = request.form.get("sort", "address");
  if (std::none_of(std::begin(kOrders), std::end(kOrders),
                   [&](const Order& o) { return sort == o.key; }))
    sort = "address";
  if (query.text.size() > 256 || query.after.size() > kMaxCursorBytes ||
      query.after_key.size() > kMaxCursorBytes) {
    send_error_page(request.response, 400, "Search too long",
                    "Search for at most 256 characters of a room's address or name.");
    return;
  }
  const bool first_page = query.after.empty() && query.after_key.empty() && !query.after_quiet &&
                          request.form.get("page", "0") == "0";
  mstch::map context{{"destroyed", request.form.get("destroyed", "")},
                     {"q", query.text},
                     {"q_url", url_part(query.text)},
                     {"sort", sort},
                     {"next", std::string()}};
  mstch::array orders;
  for (const auto& o : kOrders)
    orders.push_back(mstch::map{
        {"key", std::string(o.key)}, {"label", std::string(o.label)}, {"current", sort == o.key}});
  context["orders"] = orders;
  if (sort == "occupants") {
    occupied_rooms(request, query, context);
  } else {
    query.order = sort == "name"       ? RoomOrder::name
                  : sort == "activity" ? RoomOrder::activity
                                       : RoomOrder::address;
    auto rows = request.site.store->rooms(query);
    const bool more = static_cast<int>(rows.size()) > kPageSize;
    if (more) rows.pop_back();
    mstch::array rooms;
    for (const auto& r : rows) rooms.push_back(row(r));
    context["rooms"] = rooms;
    context["empty"] = rows.empty();
    context["caption"] = std::string(
        sort == "name"       ? "Stored (persistent) rooms by name."
        : sort == "activity" ? "Stored (persistent) rooms, the latest message first; rooms without "
                               "any message follow, by address."
                             : "Stored (persistent) rooms by address.");
    if (more) {
      const RoomRow& last = rows.back();
      std::string next = "&after=" + url_part(last.jid);
      if (sort == "name") next += "&after_key=" + url_part(last.name_key);
      if (sort == "activity")
        next += last.last_message_at.empty() ? std::string("&quiet=1")
                                             : "&after_key=" + url_part(last.last_message_at);
      context["next"] = next;
    }
  }
  // Temporary rooms live only in the engine: listed on the first page for those who see every
  // room (a room manager's rooms are persistent ones, linked or named).
  mstch::array temporary;
  if (!query.scopes && first_page && sort != "occupants" && request.site.room_commands)
    if (auto live = request.site.room_commands->live_rooms())
      for (const auto& r : *live) {
        if (r.persistent) continue;
        if (!query.text.empty() && r.jid.find(query.text) == std::string::npos &&
            r.name.find(query.text) == std::string::npos)
          continue;
        temporary.push_back(mstch::map{{"jid", r.jid},
                                       {"jid_url", url_part(r.jid)},
                                       {"name", r.name},
                                       {"occupants", std::to_string(r.occupants)},
                                       {"public_room", r.public_room}});
      }
  context["can_create"] = request.site.room_commands != nullptr;
  context["temporary"] = temporary;
  context["any_temporary"] = !temporary.empty();
  if (query.scopes) {
    std::string scopes;
    for (const auto& s : *query.scopes) scopes += (scopes.empty() ? "" : ", ") + s;
    context["scoped"] = true;
    context["scopes"] = scopes;
  }
  send_page(request, "rooms", "Rooms", context);
}

}  // namespace commonroom::admin_web
