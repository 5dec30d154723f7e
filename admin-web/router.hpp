// Maps a request to the page handler for its path and method (POCO handler factory), and
// applies what every page needs: Host check, session, role, CSRF token on POST.
#pragma once
#include <Poco/Net/HTTPRequestHandlerFactory.h>

#include "admin-web/http.hpp"

namespace commonroom::admin_web {

class Router : public Poco::Net::HTTPRequestHandlerFactory {
 public:
  explicit Router(SiteContext site) : site_(std::move(site)) {}
  Poco::Net::HTTPRequestHandler* createRequestHandler(
      const Poco::Net::HTTPServerRequest& request) override;

 private:
  SiteContext site_;
};

}  // namespace commonroom::admin_web
