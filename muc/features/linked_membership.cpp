// Linked membership (x-commonroom#linked): a room linked to institutions ("inst:TRIN") or
// groups ("group:100656") of the University directory counts their members as its own
// members, without writing them into its member list. The shell hands the engine who
// belongs where (set_link_directory) at start and after every directory change; people who
// leave an institution leave its members-only rooms with 321 (§9.4).
#include <algorithm>
#include <set>

#include "muc/engine.hpp"
#include "muc/event_detail.hpp"
#include "muc/features/feature.hpp"

namespace commonroom::muc {

namespace {

// XEP-0068: a field this service adds to muc#roomconfig and muc#roominfo, which it does not
// manage; the "x-" prefix is still an accepted way to mark such a field.
const std::string kLinked = "x-commonroom#linked";
const std::string kRemovalReason = "membership through a linked institution or group ended";

xmpp::StanzaError not_acceptable(std::string text) {
  return xmpp::StanzaError::not_acceptable(std::move(text));
}

std::string describe(const std::string& link) {
  std::size_t colon = link.find(':');
  std::string kind = link.substr(0, colon) == "inst" ? "institution" : "group";
  return kind + " \"" + link.substr(colon + 1) + "\"";
}

xmpp::FormField links_field(const std::vector<std::string>& links, std::string label) {
  xmpp::FormField f;
  f.var = kLinked;
  f.type = xmpp::FieldType::text_multi;
  f.label = std::move(label);
  f.values = links;
  return f;
}

// Every occupant whose affiliation is not `before[nick]` any more is updated, or removed
// with 321 from a members-only room.
void apply_linked_changes(Engine& engine, Ctx& ctx, Room& room,
                          const std::map<std::string, Affiliation>& before,
                          const std::string& actor_nick) {
  for (const auto& [nick, was] : before) {
    Occupant* o = room.occupant(nick);
    if (!o) continue;
    Affiliation now = engine.affiliation(room, o->bare);
    if (now == was) continue;
    RoomEvent& ev = engine.event(ctx, room, RoomEventKind::affiliation_change, false);
    ev.target = std::string(o->bare.bare_str());
    ev.detail = json_detail({{"from", to_string(was)}, {"to", to_string(now)}, {"via", "linked"}});
    if (auto code = engine.removal_after_affiliation_change(room, now)) {
      ev.body = kRemovalReason;
      engine.remove_occupant(ctx, ctx.out, ctx.out, room, nick,
                             Removal{{*code}, actor_nick, kRemovalReason});
      continue;
    }
    if (now == Affiliation::member && o->role == Role::visitor)
      o->role = Role::participant;  // §5.1.3: members have voice
    engine.presence_to_self(ctx.out, room, *o, PresenceNote{});
    engine.presence_to_others(ctx.out, room, *o, PresenceNote{});
  }
}

class LinkedMembership : public RoomFeature {
 public:
  std::string_view name() const override { return "linked_membership"; }

  void add_config_fields(const RoomConfig& c, const Limits& limits,
                         std::vector<xmpp::FormField>& out) const override {
    xmpp::FormField f =
        links_field(c.linked, "Institutions and groups whose members are members of the room");
    f.desc = "One per line, at most " + std::to_string(limits.max_links) +
             ": inst:<instID> (e.g. inst:TRIN) or group:<groupID> (e.g. group:100656), as in "
             "the University directory.";
    out.push_back(std::move(f));
  }

  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits& limits,
                                         RoomConfig& next) const override {
    const xmpp::FormField* f = form.field(kLinked);
    if (!f) return std::nullopt;
    // XEP-0004 text-multi: one line per <value/>; some clients send one value with
    // newlines, some separate with commas or spaces. All are accepted.
    std::set<std::string> links;
    for (const std::string& value : f->values) {
      std::size_t start = 0;
      while (start < value.size()) {
        std::size_t end = value.find_first_of(" \t\r\n,", start);
        if (end == std::string::npos) end = value.size();
        std::string_view word = std::string_view(value).substr(start, end - start);
        start = end + 1;
        if (word.empty()) continue;
        auto link = parse_link(word);
        if (!link) {
          // Quoted back at most 80 bytes long, never cutting a UTF-8 sequence in two.
          std::size_t cut = std::min<std::size_t>(word.size(), 80);
          while (cut < word.size() && cut > 0 &&
                 (static_cast<unsigned char>(word[cut]) & 0xC0) == 0x80)
            --cut;
          std::string shown(word.substr(0, cut));
          return kLinked + ": \"" + shown +
                 "\" is not inst:<instID> or group:<groupID> (letters, digits, '.', '-' or '_', "
                 "at most " +
                 std::to_string(kMaxLinkIdBytes) + ")";
        }
        links.insert(std::move(*link));
        if (links.size() > limits.max_links) {
          return kLinked + ": a room may be linked to at most " + std::to_string(limits.max_links) +
                 " institutions and groups";
        }
      }
    }
    next.linked.assign(links.begin(), links.end());
    return std::nullopt;
  }

  std::optional<xmpp::StanzaError> vet_config(const ConfigSubmission& s,
                                              RoomConfig& next) const override {
    if (next.linked == s.before.linked) return std::nullopt;
    const LinkDirectory* directory = s.directory && !s.directory->empty() ? s.directory : nullptr;
    // The directory's spelling ("inst:trin" is TRIN), so an unchanged link is not "added".
    if (directory) {
      for (std::string& link : next.linked) {
        if (auto c = directory->canonical(link)) link = *c;
      }
      std::sort(next.linked.begin(), next.linked.end());
      next.linked.erase(std::unique(next.linked.begin(), next.linked.end()), next.linked.end());
    }
    std::vector<std::string> added;
    std::set_difference(next.linked.begin(), next.linked.end(), s.before.linked.begin(),
                        s.before.linked.end(), std::back_inserter(added));
    if (added.empty()) return std::nullopt;  // removing links admits nobody: any owner may
    Verdict v = s.policy.may_link_room(s.submitter, s.room.jid());
    if (!v.allowed) {
      return xmpp::StanzaError::forbidden(
          v.reason.empty() ? "you may not link this room to institutions or groups" : v.reason);
    }
    // Before the first directory sync nothing can be checked; afterwards a typo is caught
    // here rather than silently admitting nobody. Links kept from before are not re-checked:
    // an institution that disappeared just has no members now.
    if (directory) {
      for (const std::string& link : added) {
        if (!directory->knows(link))
          return not_acceptable(kLinked + ": the directory has no " + describe(link));
      }
    }
    return std::nullopt;
  }

  void add_roominfo_fields(const Room& room, std::vector<xmpp::FormField>& out) const override {
    if (room.config().linked.empty()) return;
    out.push_back(links_field(room.config().linked,
                              "Members of these institutions and groups are members of the room"));
  }

  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.linked != b.linked;
  }

  void config_changed(Engine& engine, Ctx& ctx, Room& room,
                      const RoomConfig& before) const override {
    if (room.config().linked == before.linked) return;
    // Occupants admitted by a link that is gone leave a members-only room (321); the others
    // see their affiliation change.
    std::map<std::string, Affiliation> was;
    for (const auto& [nick, o] : room.occupants())
      was[nick] = engine.affiliation_under(room, o.bare, before.linked, engine.link_directory());
    const Occupant* actor = room.occupant_of(ctx.from);
    apply_linked_changes(engine, ctx, room, was, actor ? actor->nick : std::string());
  }
};

}  // namespace

Effects Engine::set_link_directory(std::shared_ptr<const LinkDirectory> directory, TimePoint now) {
  Effects effects;
  // Only occupants of linked rooms can be affected: their affiliations under the old
  // directory, before it goes.
  std::vector<std::pair<Room*, std::map<std::string, Affiliation>>> before;
  for (auto& [key, room] : rooms_) {
    if (room->config().linked.empty() || room->occupants().empty()) continue;
    std::map<std::string, Affiliation> was;
    for (const auto& [nick, o] : room->occupants())
      was[nick] = affiliation_under(*room, o.bare, room->config().linked, links_.get());
    before.emplace_back(room.get(), std::move(was));
  }
  links_ = std::move(directory);
  if (before.empty()) return effects;
  // Not caused by a stanza: the events carry no raw stanza and the service as actor.
  const xmpp::Element no_stanza("presence");
  const xmpp::Jid& service = basics_.domain();
  Ctx ctx{no_stanza, service, service, now, effects};
  std::vector<std::string> emptied;
  for (auto& [room, was] : before) {
    std::size_t first = effects.events.size();
    apply_linked_changes(*this, ctx, *room, was, "");
    for (std::size_t i = first; i < effects.events.size(); ++i) {
      RoomEvent& ev = effects.events[i];
      ev.raw.clear();
      if (ev.kind == RoomEventKind::affiliation_change) ev.actor_jid.clear();
    }
    if (room->occupants().empty()) emptied.push_back(room->jid_str());
  }
  for (const std::string& key : emptied) {
    auto it = rooms_.find(key);
    if (it != rooms_.end()) drop_if_empty(ctx, *it->second);
  }
  return effects;
}

const RoomFeature& linked_membership_feature() {
  static const LinkedMembership kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
