#include "muc/room_service.hpp"

#include "muc/engine.hpp"
#include "muc/system_id_source.hpp"

namespace commonroom::muc {

RoomService::RoomService(RoomServiceConfig config)
    : RoomService(std::move(config), std::make_shared<PermissivePolicy>(),
                  std::make_shared<SystemIdSource>()) {}

RoomService::RoomService(RoomServiceConfig config, std::shared_ptr<const Policy> policy,
                         std::shared_ptr<IdSource> ids)
    : engine_(std::make_unique<Engine>(std::move(config), std::move(policy), std::move(ids))) {}

RoomService::~RoomService() = default;
RoomService::RoomService(RoomService&&) noexcept = default;
RoomService& RoomService::operator=(RoomService&&) noexcept = default;

Effects RoomService::handle(const xmpp::Element& stanza,
                            std::chrono::system_clock::time_point now) {
  return engine_->handle(stanza, now);
}

void RoomService::restore(const RoomSnapshot& snapshot) {
  engine_->restore(snapshot);
}

Effects RoomService::shutdown(std::chrono::system_clock::time_point now) {
  return engine_->shutdown(now);
}

Effects RoomService::set_service_bans(std::vector<ServiceBan> bans,
                                      std::chrono::system_clock::time_point now) {
  return engine_->set_service_bans(std::move(bans), now);
}

Effects RoomService::set_link_directory(std::shared_ptr<const LinkDirectory> directory,
                                        std::chrono::system_clock::time_point now) {
  return engine_->set_link_directory(std::move(directory), now);
}

std::vector<RoomSummary> RoomService::rooms() const {
  std::vector<RoomSummary> out;
  for (const Room* r : engine_->rooms()) {
    out.push_back(RoomSummary{r->jid_str(), r->config().name, r->occupants().size(),
                              r->config().persistent, r->config().public_room, r->locked(),
                              r->config().linked});
  }
  return out;
}

std::optional<RoomSnapshot> RoomService::snapshot(const std::string& room_jid) const {
  const Room* r = engine_->find_room(room_jid);
  if (!r) return std::nullopt;
  return r->snapshot();
}

std::optional<std::vector<OccupantSummary>> RoomService::occupants(
    const std::string& room_jid) const {
  const Room* r = engine_->find_room(room_jid);
  if (!r) return std::nullopt;
  std::vector<OccupantSummary> out;
  for (const auto& [nick, o] : r->occupants())
    out.push_back({nick, std::string(o.bare.bare_str()), std::string(to_string(o.role)),
                   std::string(to_string(engine_->affiliation(*r, o.bare)))});
  return out;
}

const xmpp::ServiceBasics& RoomService::basics() const {
  return engine_->basics();
}

}  // namespace commonroom::muc
