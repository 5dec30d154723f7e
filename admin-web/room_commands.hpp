// Changes to live rooms, as an interface: app/ runs them on the rooms engine thread as if the
// signed-in user were an owner acting over XMPP (the same checks and the same notifications
// to occupants). Called on HTTP worker threads; each call waits for the engine.
#pragma once
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace commonroom::admin_web {

struct OccupantRow {
  std::string nick, jid, role, affiliation;
};

// The rooms the engine holds now, temporary ones included.
struct LiveCounts {
  std::size_t rooms = 0;
  std::size_t temporary = 0;
  std::size_t occupants = 0;
};

struct LiveRoom {
  std::string jid, name;
  std::size_t occupants = 0;
  bool persistent = false;
  bool public_room = false;
  std::vector<std::string> linked;  // inst:<id>, group:<id>
};

// One field of the rooms engine's muc#roomconfig form, as an owner's client gets it: the
// room page is built from this, so it offers exactly what XMPP owners are offered.
struct ConfigField {
  std::string var, type, label, desc;  // type: the XEP-0004 name ("boolean", "list-single")
  std::vector<std::string> values;
  std::vector<std::pair<std::string, std::string>> options;  // (value, label)
};

struct CommandResult {
  bool ok = false;
  std::string error;  // when !ok: what the rooms engine answered, for the page
};

class RoomCommands {
 public:
  virtual ~RoomCommands() = default;
  // nullopt: no rooms service, or it did not answer in time.
  virtual std::optional<LiveCounts> live_counts() = 0;
  // Every room the engine holds now (temporary ones are nowhere else); nullopt as above.
  virtual std::optional<std::vector<LiveRoom>> live_rooms() = 0;
  // nullopt: the room is not open now (nobody in it and not persistent), or no rooms service.
  virtual std::optional<std::vector<OccupantRow>> occupants(const std::string& room) = 0;
  // The rooms domain (room JIDs are <name>@ this).
  virtual std::string rooms_domain() const = 0;
  // The configuration form the engine gives the room's owner; nullopt when the room is not
  // open (or no answer), with the engine's reason in *error when given.
  virtual std::optional<std::vector<ConfigField>> config_form(const std::string& room,
                                                              const std::string& actor,
                                                              std::string* error = nullptr) = 0;
  // Creates `room` as an owner does over XMPP: enters it as `nick` (the creating join, with
  // the policy's creation checks), submits `fields` with muc#roomconfig_persistentroom on,
  // and leaves. A refused configuration cancels the creation, so nothing is left behind.
  virtual CommandResult create(const std::string& room, const std::string& nick,
                               const std::vector<std::pair<std::string, std::string>>& fields,
                               const std::string& actor) = 0;
  // A room admin's answer to a waiting registration request (the muc#register approval
  // form): approve with `nick` ("" = the nick asked for), or decline.
  virtual CommandResult answer_registration(const std::string& room, const std::string& jid,
                                            bool approve, const std::string& nick,
                                            const std::string& actor) = 0;
  // muc#roomconfig fields to change (var, value; a var repeated for several values);
  // others stay as they are.
  virtual CommandResult configure(const std::string& room,
                                  const std::vector<std::pair<std::string, std::string>>& fields,
                                  const std::string& actor) = 0;
  virtual CommandResult kick(const std::string& room, const std::string& nick,
                             const std::string& reason, const std::string& actor) = 0;
  // affiliation: owner, admin, member, none, outcast (a ban).
  virtual CommandResult set_affiliation(const std::string& room, const std::string& jid,
                                        const std::string& affiliation, const std::string& reason,
                                        const std::string& actor) = 0;
  virtual CommandResult destroy(const std::string& room, const std::string& reason,
                                const std::string& actor) = 0;
};

}  // namespace commonroom::admin_web
