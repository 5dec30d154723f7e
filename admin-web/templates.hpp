// Pages are rendered from the mustache templates in admin-web/templates/ (compiled into the
// binary) with mstch, which escapes every {{value}} (decision 0020).
#pragma once
#include <mstch/mstch.hpp>

#include <string>
#include <string_view>

namespace commonroom::admin_web {

struct PageRequest;

// Renders templates/<name>.mustache; throws std::logic_error for an unknown name.
std::string render_template(std::string_view name, const mstch::map& context);

// Renders <name> inside the layout (navigation for the viewer's roles, sign-out form with
// its CSRF token) and sends it with the given status.
void send_page(PageRequest& request, std::string_view name, const std::string& title,
               const mstch::map& context, int status = 200);

// "a b c" -> mstch array of {"value": ...} for lists.
mstch::array string_list(const std::vector<std::string>& values);

// A value for use inside a URL path or query (percent-encoded; mustache escapes it again).
std::string url_part(const std::string& value);

}  // namespace commonroom::admin_web
