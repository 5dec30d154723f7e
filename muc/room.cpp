#include "muc/room.hpp"

#include <algorithm>
#include <stdexcept>

namespace commonroom::muc {

OccupantId::OccupantId(std::string_view hex) {
  auto digit = [&](char c) -> unsigned {
    if (c >= '0' && c <= '9') return static_cast<unsigned>(c - '0');
    if (c >= 'a' && c <= 'f') return static_cast<unsigned>(c - 'a' + 10);
    if (c >= 'A' && c <= 'F') return static_cast<unsigned>(c - 'A' + 10);
    throw std::invalid_argument("an occupant-id is 64 hex digits");
  };
  if (hex.size() != 2 * bytes_.size())
    throw std::invalid_argument("an occupant-id is 64 hex digits");
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    bytes_[i] = static_cast<unsigned char>(digit(hex[2 * i]) << 4 | digit(hex[2 * i + 1]));
  }
}

std::string OccupantId::hex() const {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(2 * bytes_.size(), '0');
  for (std::size_t i = 0; i < bytes_.size(); ++i) {
    out[2 * i] = kDigits[bytes_[i] >> 4];
    out[2 * i + 1] = kDigits[bytes_[i] & 0xf];
  }
  return out;
}

const Session* Occupant::session(const xmpp::Jid& full) const {
  for (const auto& s : sessions) {
    if (s.jid == full) return &s;
  }
  return nullptr;
}

Session* Occupant::session(const xmpp::Jid& full) {
  for (auto& s : sessions) {
    if (s.jid == full) return &s;
  }
  return nullptr;
}

Room::Room(xmpp::Jid jid, RoomConfig config, std::string secret, TimePoint created_at,
           std::string created_by)
    : jid_(std::move(jid)),
      jid_str_(jid_.bare_str()),
      config_(std::move(config)),
      secret_(std::move(secret)),
      created_at_(created_at),
      created_by_(std::move(created_by)) {}

std::unique_ptr<Room> Room::from_snapshot(const RoomSnapshot& s) {
  auto room = std::make_unique<Room>(xmpp::Jid::parse(s.jid), s.config, s.occupant_id_secret,
                                     s.created_at, s.created_by);
  for (const auto& a : s.affiliations) {
    room->set_affiliation(a.jid, a.affiliation, a.reason, a.nick);
  }
  for (const auto& r : s.registration_requests) room->put_registration_request(r);
  room->subject_ = Subject{s.subject, s.subject_nick, s.subject_at};
  return room;
}

RoomSnapshot Room::snapshot() const {
  RoomSnapshot s;
  s.jid = jid_str_;
  s.config = config_;
  for (const auto& [jid, e] : affiliations_) {
    s.affiliations.push_back(AffiliationRecord{jid, e.affiliation, e.nick, e.reason});
  }
  for (const auto& [jid, r] : registration_requests_) s.registration_requests.push_back(r);
  s.subject = subject_.text;
  s.subject_nick = subject_.nick;
  s.subject_at = subject_.at;
  s.occupant_id_secret = secret_;
  s.created_at = created_at_;
  s.created_by = created_by_;
  return s;
}

const RegistrationRequest* Room::registration_request(std::string_view bare) const {
  auto it = registration_requests_.find(bare);
  return it == registration_requests_.end() ? nullptr : &it->second;
}

void Room::put_registration_request(RegistrationRequest request) {
  std::string key = request.jid;
  registration_requests_.insert_or_assign(std::move(key), std::move(request));
}

bool Room::drop_registration_request(std::string_view bare) {
  auto it = registration_requests_.find(bare);
  if (it == registration_requests_.end()) return false;
  registration_requests_.erase(it);
  return true;
}

std::size_t Room::drop_registration_requests_before(TimePoint cutoff) {
  return std::erase_if(registration_requests_,
                       [&](const auto& kv) { return kv.second.requested_at < cutoff; });
}

void Room::set_config(RoomConfig config) {
  config_ = std::move(config);
  if (!recent_) return;
  auto& history = recent_->history;
  while (history.size() > config_.max_history) history.pop_front();
}

Room::Recent& Room::recent() {
  if (!recent_) recent_ = std::make_unique<Recent>();
  return *recent_;
}

const std::deque<HistoryEntry>& Room::history() const {
  static const std::deque<HistoryEntry> none;
  return recent_ ? recent_->history : none;
}

Affiliation Room::affiliation_of(const xmpp::Jid& user) const {
  if (const auto* e = entry(user.bare_str())) return e->affiliation;
  // §9.2: a ban on a domain covers every user of that domain.
  if (user.has_node()) {
    if (const auto* e = entry(user.domain()); e && e->affiliation == Affiliation::outcast) {
      return Affiliation::outcast;
    }
  }
  return Affiliation::none;
}

const AffiliationEntry* Room::entry(std::string_view bare) const {
  auto it = affiliations_.find(bare);
  return it == affiliations_.end() ? nullptr : &it->second;
}

void Room::set_affiliation(const std::string& bare, Affiliation a, std::string reason,
                           std::optional<std::string> nick) {
  auto it = affiliations_.find(bare);
  std::string old_nick = it == affiliations_.end() ? std::string() : it->second.nick;
  // Outcasts and the unaffiliated keep no reserved nick (§9.1, §9.5).
  std::string new_nick = a <= Affiliation::none ? std::string() : nick ? *nick : old_nick;
  if (!old_nick.empty()) reserved_nicks_.erase(old_nick);
  if (a == Affiliation::none) {
    if (it != affiliations_.end()) affiliations_.erase(it);
    return;
  }
  AffiliationEntry& e = affiliations_[bare];
  e.affiliation = a;
  e.reason = std::move(reason);
  e.nick = new_nick;
  if (!new_nick.empty()) reserved_nicks_[new_nick] = bare;
}

std::size_t Room::count(Affiliation a) const {
  return static_cast<std::size_t>(
      std::count_if(affiliations_.begin(), affiliations_.end(),
                    [a](const auto& kv) { return kv.second.affiliation == a; }));
}

const std::string* Room::nick_reserved_by(std::string_view nick) const {
  auto it = reserved_nicks_.find(nick);
  return it == reserved_nicks_.end() ? nullptr : &it->second;
}

Occupant* Room::occupant(std::string_view nick) {
  auto it = occupants_.find(nick);
  return it == occupants_.end() ? nullptr : &it->second;
}

const Occupant* Room::occupant(std::string_view nick) const {
  auto it = occupants_.find(nick);
  return it == occupants_.end() ? nullptr : &it->second;
}

Occupant* Room::occupant_of(const xmpp::Jid& full) {
  auto it = nick_by_session_.find(full);
  return it == nick_by_session_.end() ? nullptr : occupant(it->second);
}

const Occupant* Room::occupant_of(const xmpp::Jid& full) const {
  auto it = nick_by_session_.find(full);
  return it == nick_by_session_.end() ? nullptr : occupant(it->second);
}

const Occupant* Room::occupant_of_bare(std::string_view bare) const {
  for (const auto& [nick, o] : occupants_) {
    if (o.bare.bare_str() == bare) return &o;
  }
  return nullptr;
}

Occupant& Room::add_occupant(std::string nick, const xmpp::Jid& bare, Role role,
                             std::string occupant_id) {
  Occupant o;
  o.nick = nick;
  o.bare = bare.bare();
  o.role = role;
  o.occupant_id = OccupantId(occupant_id);
  return occupants_.insert_or_assign(std::move(nick), std::move(o)).first->second;
}

void Room::add_session(Occupant& o, Session s) {
  nick_by_session_[s.jid] = o.nick;
  o.sessions.push_back(std::move(s));
}

bool Room::remove_session(const std::string& nick, const xmpp::Jid& full) {
  Occupant* o = occupant(nick);
  if (!o) return false;
  nick_by_session_.erase(full);
  std::erase_if(o->sessions, [&](const Session& s) { return s.jid == full; });
  if (!o->sessions.empty()) return false;
  occupants_.erase(nick);
  return true;
}

void Room::remove_occupant(const std::string& nick) {
  auto it = occupants_.find(nick);
  if (it == occupants_.end()) return;
  for (const auto& s : it->second.sessions) nick_by_session_.erase(s.jid);
  occupants_.erase(it);
}

Occupant& Room::rename(const std::string& from, const std::string& to) {
  auto node = occupants_.extract(from);
  node.key() = to;
  node.mapped().nick = to;
  for (const auto& s : node.mapped().sessions) nick_by_session_[s.jid] = to;
  return occupants_.insert(std::move(node)).position->second;
}

std::vector<xmpp::Jid> Room::all_sessions() const {
  std::vector<xmpp::Jid> out;
  out.reserve(nick_by_session_.size());
  for (const auto& [nick, o] : occupants_) {
    for (const auto& s : o.sessions) out.push_back(s.jid);
  }
  return out;
}

void Room::add_history(HistoryEntry entry) {
  if (config_.max_history == 0) return;
  auto& history = recent().history;
  history.push_back(std::move(entry));
  while (history.size() > config_.max_history) history.pop_front();
}

bool Room::remove_history(std::string_view stanza_id) {
  if (!recent_) return false;
  auto& history = recent_->history;
  auto it = std::find_if(history.begin(), history.end(),
                         [&](const HistoryEntry& h) { return h.stanza_id == stanza_id; });
  if (it == history.end()) return false;
  history.erase(it);
  return true;
}

void Room::remember_iq(PendingIq iq, std::size_t limit) {
  auto& pending = recent().pending_iqs;
  pending.push_back(std::move(iq));
  while (pending.size() > limit) pending.pop_front();
}

std::optional<PendingIq> Room::take_iq(std::string_view id, const xmpp::Jid& from) {
  if (!recent_) return std::nullopt;
  auto& pending = recent_->pending_iqs;
  for (auto it = pending.begin(); it != pending.end(); ++it) {
    if (it->id != id) continue;
    // A bare-JID request (vCard) is answered by the user's server from the bare JID.
    if (it->responder != from.full() && it->responder != from.bare_str()) return std::nullopt;
    PendingIq out = std::move(*it);
    pending.erase(it);
    return out;
  }
  return std::nullopt;
}

void Room::remember_invitation(const std::string& invitee_bare, const std::string& inviter,
                               std::size_t limit) {
  auto& invitations = recent().invitations;
  invitations.emplace_back(invitee_bare, inviter);
  while (invitations.size() > limit) invitations.pop_front();
}

std::optional<std::string> Room::take_invitation(const std::string& invitee_bare,
                                                 const xmpp::Jid& to) {
  if (!recent_) return std::nullopt;
  auto& invitations = recent_->invitations;
  for (auto it = invitations.rbegin(); it != invitations.rend(); ++it) {
    if (it->first != invitee_bare) continue;
    auto inviter = xmpp::Jid::try_parse(it->second);
    if (!inviter) continue;
    if (to.is_bare() ? inviter->same_bare(to) : *inviter == to) {
      std::string out = it->second;
      invitations.erase(std::next(it).base());
      return out;
    }
  }
  return std::nullopt;
}

}  // namespace commonroom::muc
