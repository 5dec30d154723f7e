// GET /metrics: link gauges and counters in the Prometheus text exposition format.
#pragma once
#include <Poco/Net/HTTPRequestHandler.h>

#include "admin-web/http.hpp"

namespace commonroom::admin_web {

class MetricsPage : public Poco::Net::HTTPRequestHandler {
 public:
  explicit MetricsPage(const SiteContext& site) : site_(site) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override;

 private:
  const SiteContext& site_;
};

}  // namespace commonroom::admin_web
