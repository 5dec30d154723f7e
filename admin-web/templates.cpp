#include "admin-web/templates.hpp"

#include <Poco/URI.h>

#include <stdexcept>

#include "admin-web/page.hpp"

namespace commonroom::admin_web {

std::string_view embedded_template(std::string_view name);  // embedded_templates.cpp

std::string render_template(std::string_view name, const mstch::map& context) {
  std::string_view text = embedded_template(name);
  if (text.empty()) throw std::logic_error("no admin web template \"" + std::string(name) + "\"");
  return mstch::render(std::string(text), context);
}

void send_page(PageRequest& request, std::string_view name, const std::string& title,
               const mstch::map& context, int status) {
  mstch::map layout{{"title", title}, {"content", render_template(name, context)}};
  // On every page, above everything else: nobody may miss that the rooms keep no log.
  layout["rooms_unlogged"] = request.site.rooms_unlogged;
  if (const Viewer* v = request.viewer) {
    layout["signed_in"] = true;
    layout["principal"] = v->principal;
    layout["roles"] = v->roles_text();
    layout["csrf"] = v->csrf_token;
    layout["nav_rooms"] = v->may(Access::rooms);
    layout["nav_directory"] = v->may(Access::directory);
    layout["nav_audit"] = v->may(Access::audit);
    layout["nav_abuse"] = v->may(Access::abuse);
  }
  send(request.response, status, "text/html; charset=utf-8", render_template("layout", layout));
}

mstch::array string_list(const std::vector<std::string>& values) {
  mstch::array out;
  for (const auto& v : values) out.push_back(mstch::map{{"value", v}});
  return out;
}

std::string url_part(const std::string& value) {
  std::string out;
  Poco::URI::encode(value, "!#$&'()*+,/;=?[]%", out);
  return out;
}

}  // namespace commonroom::admin_web
