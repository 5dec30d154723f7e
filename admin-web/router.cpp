#include "admin-web/router.hpp"

#include <Poco/Logger.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <memory>

#include "admin-web/pages/error_page.hpp"
#include "admin-web/pages/healthz_page.hpp"
#include "admin-web/pages/metrics_page.hpp"
#include "admin-web/pages/status_page.hpp"

namespace commonroom::admin_web {

namespace {

constexpr size_t kMaxUriBytes = 2048;

// What every page gets regardless of route: a body we never read must not be taken for the
// next request on a kept-alive connection, and a failing page answers 500 instead of
// dropping the connection.
class Guarded : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Guarded(Poco::Net::HTTPRequestHandler* page) : page_(page) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    if ((request.hasContentLength() && request.getContentLength() > 0) ||
        request.getChunkedTransferEncoding())
      response.setKeepAlive(false);
    try {
      page_->handleRequest(request, response);
    } catch (const std::exception& e) {
      Poco::Logger::get("admin-web")
          .error("%s %s failed: %s", request.getMethod(), request.getURI(), std::string(e.what()));
      if (!response.sent()) {
        response.setKeepAlive(false);
        send_error_page(response, 500, "Internal error",
                        "The page could not be produced; the error is in the service log.");
      }
    }
  }

 private:
  std::unique_ptr<Poco::Net::HTTPRequestHandler> page_;
};

}  // namespace

Poco::Net::HTTPRequestHandler* Router::createRequestHandler(
    const Poco::Net::HTTPServerRequest& request) {
  if (request.getURI().size() > kMaxUriBytes)
    return new Guarded(new ErrorPage(414, "URI too long", "The request URI is too long."));
  std::string path;
  try {
    path = Poco::URI(request.getURI()).getPath();
  } catch (const Poco::Exception&) {
    return new Guarded(new ErrorPage(400, "Bad request", "The request URI is malformed."));
  }
  Poco::Net::HTTPRequestHandler* page = nullptr;
  if (path == "/")
    page = new StatusPage(site_);
  else if (path == "/healthz")
    page = new HealthzPage(site_);
  else if (path == "/metrics")
    page = new MetricsPage(site_);
  else
    return new Guarded(new ErrorPage(404, "Not found", "There is no page at this address."));

  const std::string& method = request.getMethod();
  if (method != Poco::Net::HTTPRequest::HTTP_GET && method != Poco::Net::HTTPRequest::HTTP_HEAD) {
    delete page;
    return new Guarded(
        new ErrorPage(405, "Method not allowed", "This page can only be read (GET).", "GET, HEAD"));
  }
  return new Guarded(page);
}

}  // namespace commonroom::admin_web
