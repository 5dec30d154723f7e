// The JSON object text RoomEvent::detail carries (kind-specific extras for the log).
#pragma once
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace commonroom::muc {

// {"key":"value",...} with every string escaped per RFC 8259; keys are literals.
std::string json_detail(std::initializer_list<std::pair<std::string_view, std::string_view>> kv);

}  // namespace commonroom::muc
