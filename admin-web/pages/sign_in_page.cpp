#include <Poco/Net/HTMLForm.h>

#include "admin-web/pages/pages.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

void sign_in_page(PageRequest& request) {
  const auto& s = request.site.sign_in;
  mstch::map context{{"next", url_part(local_path_or_root(request.form.get("next", "/")))},
                     {"raven", !s.raven_wls_url.empty()},
                     {"proxy", !s.proxy_user_header.empty()},
                     {"store", request.site.store != nullptr}};
  send_page(request, "sign_in", "Sign in", context);
}

}  // namespace commonroom::admin_web
