// The campus policy, plus: the admin web's signed-in user counts as a service admin (owner
// of every room) for the one command the engine is running for them. Used only on the rooms
// engine thread, so the actor needs no lock.
#pragma once
#include <memory>
#include <string>

#include "muc/policy.hpp"

namespace commonroom::app {

class AdminActorPolicy : public muc::Policy {
 public:
  explicit AdminActorPolicy(std::shared_ptr<const muc::Policy> inner) : inner_(std::move(inner)) {}

  // Engine thread only: the bare JID acting from the admin web now ("" = nobody).
  void set_actor(std::string bare_jid) { actor_ = std::move(bare_jid); }
  // Engine thread only: the campus rules from a reloaded configuration. Replacing them
  // between two stanzas means no stanza sees half of the old rules and half of the new.
  void set_inner(std::shared_ptr<const muc::Policy> inner) { inner_ = std::move(inner); }

  muc::Verdict may_create_room(const xmpp::Jid& creator, const xmpp::Jid& room,
                               bool persistent) const override;
  void default_config(const xmpp::Jid& room, muc::RoomConfig& config) const override;
  std::vector<xmpp::FormField> locked_fields(const xmpp::Jid& room) const override;
  muc::Limits limits() const override;
  muc::NickDecision check_nick(const xmpp::Jid& user, const xmpp::Jid& room,
                               std::string_view nick) const override;
  muc::Verdict check_creation(const muc::CreationRequest& request) const override;
  muc::NickDecision check_nick_in_room(const xmpp::Jid& user, const xmpp::Jid& room,
                                       std::string_view nick,
                                       const std::vector<std::string_view>& others) const override;
  muc::Verdict may_enter(const xmpp::Jid& user, const xmpp::Jid& room,
                         const muc::RoomConfig& config, muc::Affiliation a) const override;
  muc::Verdict check_traffic(const xmpp::Jid& user, const xmpp::Jid& room, muc::Traffic kind,
                             std::size_t bytes,
                             std::chrono::system_clock::time_point now) const override;
  // The actor may link rooms to institutions and groups (a college room manager's job).
  muc::Verdict may_link_room(const xmpp::Jid& user, const xmpp::Jid& room) const override;
  bool is_service_admin(const xmpp::Jid& user) const override;

 private:
  std::shared_ptr<const muc::Policy> inner_;
  std::string actor_;
};

}  // namespace commonroom::app
