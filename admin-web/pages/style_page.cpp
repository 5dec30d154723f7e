#include <Poco/Net/HTTPServerResponse.h>

#include "admin-web/pages/pages.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

void style_page(PageRequest& request) {
  send(request.response, 200, "text/css; charset=utf-8", render_template("style", {}));
}

}  // namespace commonroom::admin_web
