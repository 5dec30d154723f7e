// GET /healthz: JSON link states for load balancers and monitoring; 503 unless all are up.
#pragma once
#include <Poco/Net/HTTPRequestHandler.h>

#include "admin-web/http.hpp"

namespace commonroom::admin_web {

class HealthzPage : public Poco::Net::HTTPRequestHandler {
 public:
  explicit HealthzPage(const SiteContext& site) : site_(site) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override;

 private:
  const SiteContext& site_;
};

}  // namespace commonroom::admin_web
