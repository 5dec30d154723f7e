#include "admin-web/pages/error_page.hpp"

#include <Poco/Net/HTTPServerResponse.h>

#include "admin-web/http.hpp"

namespace commonroom::admin_web {

void ErrorPage::handleRequest(Poco::Net::HTTPServerRequest&,
                              Poco::Net::HTTPServerResponse& response) {
  if (!allow_.empty()) response.set("Allow", allow_);
  send_error_page(response, status_, title_, message_);
}

}  // namespace commonroom::admin_web
