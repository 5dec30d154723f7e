// XEP-0082 date-times: the stamps of XEP-0203 delays and the 'since' of history requests.
#pragma once
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace commonroom::muc {

// "2002-10-13T23:58:37Z", or with milliseconds when the time has any ("...37.250Z").
std::string format_timestamp(std::chrono::system_clock::time_point t);
// CCYY-MM-DDThh:mm:ss[.sss][TZD] where TZD is Z or +hh:mm/-hh:mm; nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_timestamp(std::string_view s);

}  // namespace commonroom::muc
