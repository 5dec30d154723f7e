// Answers a request with a fixed 4xx/5xx page (unknown path, wrong method, bad request).
#pragma once
#include <Poco/Net/HTTPRequestHandler.h>

#include <string>

namespace commonroom::admin_web {

class ErrorPage : public Poco::Net::HTTPRequestHandler {
 public:
  ErrorPage(int status, std::string title, std::string message, std::string allow = {})
      : status_(status),
        title_(std::move(title)),
        message_(std::move(message)),
        allow_(std::move(allow)) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override;

 private:
  int status_;
  std::string title_;
  std::string message_;
  std::string allow_;  // the Allow header of a 405
};

}  // namespace commonroom::admin_web
