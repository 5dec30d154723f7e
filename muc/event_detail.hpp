// The JSON object text RoomEvent::detail carries (kind-specific extras for the log).
#pragma once
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace commonroom::muc {

// Appends `s` as a JSON string literal (RFC 8259 escaping; store/ uses it too).
void append_json_string(std::string& out, std::string_view s);

// {"key":"value",...} with every string escaped per RFC 8259; keys are literals.
std::string json_detail(std::initializer_list<std::pair<std::string_view, std::string_view>> kv);

}  // namespace commonroom::muc
