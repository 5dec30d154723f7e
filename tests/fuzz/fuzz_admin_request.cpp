// libFuzzer target for the admin web's request handling: bytes are one HTTP request as it
// arrives on the socket (request line, headers, body), read by POCO's parser and handed to
// the real Router and pages, with a signed-in admin's cookie available to the corpus.
// Checked: every request is answered exactly once with a status a browser understands; a
// request whose framing is refused, or that announced a body, closes the connection; no
// redirect leaves the site; nobody without the session cookie gets a private page.
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPRequestHandler.h>
#include <Poco/Net/HTTPServerParams.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/String.h>
#include <Poco/URI.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <set>
#include <sstream>
#include <string>

#include "admin-web/request_framing.hpp"
#include "admin-web/router.hpp"
#include "admin-web/security.hpp"
#include "admin-web/session_cookie.hpp"
#include "tests/unit/admin-web/fake_admin_store.hpp"

namespace {

using namespace commonroom::admin_web;

constexpr const char* kCookie = "fuzz-session-cookie";  // seeds send it as commonroom_session

class Response : public Poco::Net::HTTPServerResponse {
 public:
  void sendContinue() override {}
  std::ostream& send() override {
    if (sent_) std::abort();  // a page answered twice
    sent_ = true;
    return body_;
  }
  void sendFile(const std::string&, const std::string&) override { send(); }
  void sendBuffer(const void* data, std::size_t size) override {
    send().write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  void redirect(const std::string& uri, HTTPStatus status) override {
    setStatusAndReason(status);
    set("Location", uri);
    send();
  }
  void requireAuthentication(const std::string&) override {
    setStatusAndReason(HTTP_UNAUTHORIZED);
    send();
  }
  bool sent() const override { return sent_; }

 private:
  bool sent_ = false;
  std::ostringstream body_;
};

class Request : public Poco::Net::HTTPServerRequest {
 public:
  Request(std::istream& body, Response& response) : body_(body), response_(response) {}
  std::istream& stream() override { return body_; }
  const Poco::Net::SocketAddress& clientAddress() const override { return client_; }
  const Poco::Net::SocketAddress& serverAddress() const override { return server_; }
  const Poco::Net::HTTPServerParams& serverParams() const override { return *params_; }
  Poco::Net::HTTPServerResponse& response() const override { return response_; }
  bool secure() const override { return false; }

 private:
  std::istream& body_;
  Response& response_;
  Poco::Net::SocketAddress client_{"127.0.0.1", 40000};
  Poco::Net::SocketAddress server_{"127.0.0.1", 8480};
  Poco::Net::HTTPServerParams::Ptr params_ = new Poco::Net::HTTPServerParams;
};

SiteContext site_with(FakeAdminStore* store) {
  SiteContext site;
  site.version = "fuzz";
  site.status = [] {
    HostConnectionStatus link;
    link.domain = "example.org";
    link.connected = true;
    return std::vector<HostConnectionStatus>{link};
  };
  site.store = store;
  site.public_url = "http://127.0.0.1:8480";
  site.allowed_hosts = {"127.0.0.1:8480"};
  site.sign_in.public_url = site.public_url;
  site.sign_in.raven_wls_url = "https://raven.example/auth/authenticate.html";
  site.sign_in.raven_keys = {{"901", "not a key"}};
  site.sign_in.proxy_user_header = "X-Remote-User";
  site.sign_in.proxy_addresses = {"127.0.0.2"};
  return site;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::istringstream wire(std::string(reinterpret_cast<const char*>(data), size));
  Response response;
  Request request(wire, response);
  try {
    request.read(wire);  // what HTTPServerSession does; a refusal here is POCO's 400
  } catch (const Poco::Exception&) {
    return 0;
  }
  // A fresh store per input: sign-out and sign-in change it.
  FakeAdminStore store;
  store.grant("ops", "admin");
  store.create_session(sha256_hex(kCookie), "ops", "csrf-ops", "link");
  Router router(site_with(&store));
  response.setKeepAlive(request.getKeepAlive());
  std::unique_ptr<Poco::Net::HTTPRequestHandler> handler(router.createRequestHandler(request));
  if (!handler) std::abort();
  handler->handleRequest(request, response);

  if (!response.sent()) std::abort();
  const int status = response.getStatus();
  if (status < 200 || status > 599) std::abort();
  if ((framing_fault(request) || announces_body(request)) && response.getKeepAlive()) std::abort();
  const std::string location = response.get("Location", "");
  if (!location.empty() && !location.starts_with("/") &&
      !location.starts_with("https://raven.example/") &&
      !location.starts_with("http://127.0.0.1:8480/"))
    std::abort();
  if (location.starts_with("//") || location.find_first_of("\r\n") != std::string::npos)
    std::abort();
  // Without the cookie only the public pages may answer 200.
  // The cookie as POCO reads it (quotes and all), from any of the Cookie headers.
  Poco::Net::NameValueCollection cookies;
  request.getCookies(cookies);
  const bool sent_cookie = cookies.get(kSessionCookie, "") == kCookie;
  if (status == 200 && !sent_cookie) {
    static const std::set<std::string> public_pages = {"/healthz",   "/metrics",   "/style.css",
                                                       "/sign-in",   "/auth/link", "/auth/raven",
                                                       "/auth/proxy"};
    if (!public_pages.count(Poco::URI(request.getURI()).getPath())) std::abort();
  }
  return 0;
}
