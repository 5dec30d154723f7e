// GET /: an HTML overview of the service (version, links and their state).
#pragma once
#include <Poco/Net/HTTPRequestHandler.h>

#include "admin-web/http.hpp"

namespace commonroom::admin_web {

class StatusPage : public Poco::Net::HTTPRequestHandler {
 public:
  explicit StatusPage(const SiteContext& site) : site_(site) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override;

 private:
  const SiteContext& site_;
};

}  // namespace commonroom::admin_web
