// The room page's configuration form, built from the rooms engine's own muc#roomconfig form
// (RoomCommands::config_form), so the web offers the fields, options and fixed values an
// owner's XMPP client is offered, and never a second list that could drift from it.
#pragma once
#include <mstch/mstch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "admin-web/room_commands.hpp"

namespace Poco::Net {
class HTMLForm;
}

namespace commonroom::admin_web {

// The fields as the "config_form" part of the room template shows them. Secrets (the room
// password) are never put into the page.
mstch::array config_form_view(const std::vector<ConfigField>& fields);

// A POSTed form read against the engine's form: (var, value) pairs for every field the form
// carries (a multi-valued field gives one pair per line or option; a blank password keeps
// the one set). `problem` is set when a value is too large.
std::vector<std::pair<std::string, std::string>> submitted_config(
    const std::vector<ConfigField>& fields, const Poco::Net::HTMLForm& form, std::string& problem);

// Whether the field's value is a secret to keep out of pages and the audit trail.
bool secret_field(const ConfigField& field);

}  // namespace commonroom::admin_web
