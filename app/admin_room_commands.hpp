// The admin web's room changes, run by the rooms engine (Runtime::run_on_rooms) as muc#owner
// and muc#admin requests from <principal>@admin-web.<rooms domain>, whom the policy treats
// as a service admin (an owner of every room) for that one request.
#pragma once
#include <chrono>
#include <optional>
#include <string>

#include "admin-web/room_commands.hpp"
#include "xmpp/element.hpp"

namespace commonroom::app {

class Runtime;

class EngineRoomCommands : public admin_web::RoomCommands {
 public:
  // runtime must outlive this.
  EngineRoomCommands(Runtime& runtime, std::string rooms_domain);

  std::optional<admin_web::LiveCounts> live_counts() override;
  std::optional<std::vector<admin_web::LiveRoom>> live_rooms() override;
  std::optional<std::vector<admin_web::OccupantRow>> occupants(const std::string& room) override;
  std::string rooms_domain() const override { return rooms_domain_; }
  std::optional<std::vector<admin_web::ConfigField>> config_form(const std::string& room,
                                                                 const std::string& actor,
                                                                 std::string* error) override;
  admin_web::CommandResult create(const std::string& room, const std::string& nick,
                                  const std::vector<std::pair<std::string, std::string>>& fields,
                                  const std::string& actor) override;
  admin_web::CommandResult answer_registration(const std::string& room, const std::string& jid,
                                               bool approve, const std::string& nick,
                                               const std::string& actor) override;
  admin_web::CommandResult configure(const std::string& room,
                                     const std::vector<std::pair<std::string, std::string>>& fields,
                                     const std::string& actor) override;
  admin_web::CommandResult kick(const std::string& room, const std::string& nick,
                                const std::string& reason, const std::string& actor) override;
  admin_web::CommandResult set_affiliation(const std::string& room, const std::string& jid,
                                           const std::string& affiliation,
                                           const std::string& reason,
                                           const std::string& actor) override;
  admin_web::CommandResult destroy(const std::string& room, const std::string& reason,
                                   const std::string& actor) override;

 private:
  std::string actor_jid(const std::string& principal) const;
  // One request (id `id`) handled by the rooms engine as the admin-web actor, the actor's own
  // copies of its effects dropped: nullopt when the engine did not run it in time, else the
  // reply it gave (none is possible).
  std::optional<std::optional<xmpp::Element>> ask(const std::string& actor_jid, xmpp::Element iq,
                                                  const std::string& id);
  admin_web::CommandResult run(const std::string& room, const std::string& actor,
                               xmpp::Element query);
  Runtime& runtime_;
  std::string rooms_domain_;
  std::string actor_domain_;
};

}  // namespace commonroom::app
