#include "admin-web/router.hpp"

#include <Poco/Logger.h>
#include <Poco/Net/HTMLForm.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPServerRequest.h>
#include <Poco/Net/HTTPServerResponse.h>
#include <Poco/URI.h>

#include <algorithm>
#include <memory>

#include "admin-web/admin_store.hpp"
#include "admin-web/pages/error_page.hpp"
#include "admin-web/pages/healthz_page.hpp"
#include "admin-web/pages/metrics_page.hpp"
#include "admin-web/pages/pages.hpp"
#include "admin-web/request_framing.hpp"
#include "admin-web/security.hpp"
#include "admin-web/session_cookie.hpp"

namespace commonroom::admin_web {

namespace {

constexpr size_t kMaxUriBytes = 2048;
constexpr std::streamsize kMaxFormBytes = 64 * 1024;

struct Route {
  const char* method;  // GET (HEAD too) or POST
  const char* path;    // exact, or a prefix when it ends in '/'
  Access access;
  PageHandler handler;
};

// Every page of the admin web. /healthz and /metrics stay outside (monitoring has no
// session); they show no personal data (decision 0004).
const Route kRoutes[] = {
    {"GET", "/", Access::any_role, dashboard_page},
    {"GET", "/style.css", Access::everyone, style_page},
    {"GET", "/sign-in", Access::everyone, sign_in_page},
    {"GET", "/auth/link", Access::everyone, link_sign_in_page},
    {"GET", "/auth/raven", Access::everyone, raven_sign_in_page},
    {"GET", "/auth/proxy", Access::everyone, proxy_sign_in_page},
    {"POST", "/sign-out", Access::session, sign_out_page},
    {"GET", "/rooms", Access::rooms, rooms_page},
    // Before the "/rooms/" prefix routes: "new" is no room JID (those have an '@').
    {"GET", "/rooms/new", Access::rooms, new_room_page},
    {"POST", "/rooms/new", Access::rooms, new_room_page},
    {"GET", "/rooms/", Access::rooms, room_page},
    {"POST", "/rooms/", Access::rooms, room_action_page},
    {"GET", "/directory", Access::directory, directory_page},
    {"GET", "/directory/sync", Access::directory, directory_sync_page},
    {"POST", "/directory/sync", Access::admin, directory_sync_now_page},
    {"POST", "/directory/opt-outs", Access::admin, directory_opt_out_page},
    {"GET", "/directory/", Access::directory, person_page},
    {"GET", "/audit", Access::audit, audit_page},
    {"GET", "/policy", Access::any_role, policy_page},
    // The abuse workspace (docs/abuse-handling.md): the log under a case reference, bans,
    // legal holds.
    {"GET", "/abuse", Access::abuse, abuse_search_page},
    {"GET", "/abuse/context", Access::abuse, abuse_context_page},
    {"POST", "/abuse/export", Access::abuse, abuse_export_page},
    {"GET", "/abuse/bans", Access::abuse, abuse_bans_page},
    {"POST", "/abuse/bans/", Access::abuse, abuse_ban_action_page},  // place, lift
    {"GET", "/abuse/holds", Access::abuse, abuse_holds_page},
    {"POST", "/abuse/holds/", Access::abuse, abuse_hold_action_page},  // preview, place, release
};

// What every page gets regardless of route: a body we may not have read (or read to its
// end) must not be taken for the next request on a kept-alive connection, and a failing
// page answers 500 instead of dropping the connection.
class Guarded : public Poco::Net::HTTPRequestHandler {
 public:
  explicit Guarded(Poco::Net::HTTPRequestHandler* page, bool close = false)
      : page_(page), close_(close) {}
  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    if (close_ || announces_body(request)) response.setKeepAlive(false);
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
  bool close_;
};

// A page of kRoutes: session, role and CSRF checks, then the handler.
class RoutedPage : public Poco::Net::HTTPRequestHandler {
 public:
  RoutedPage(const SiteContext& site, const Route& route, std::string rest)
      : site_(site), route_(route), rest_(std::move(rest)) {}

  void handleRequest(Poco::Net::HTTPServerRequest& request,
                     Poco::Net::HTTPServerResponse& response) override {
    const bool post = request.getMethod() == Poco::Net::HTTPRequest::HTTP_POST;
    Poco::Net::HTMLForm form;
    if (post) {
      if (!request.hasContentLength() || request.getContentLength() > kMaxFormBytes)
        return send_error_page(response, 413, "Form too large",
                               "A form sent here must give its length and be under 64 KiB.");
      form.load(request, request.stream());
    } else {
      form.load(request);
    }

    std::optional<Viewer> viewer;
    if (site_.store) {
      const std::string cookie = session_cookie(request);
      if (!cookie.empty()) {
        const std::string id = sha256_hex(cookie);
        if (auto s = site_.store->touch_session(id, site_.sign_in.session_idle_seconds,
                                                site_.sign_in.session_max_seconds))
          viewer = Viewer{s->principal, s->csrf_token, id, site_.store->grants(s->principal)};
      }
    }
    if (route_.access != Access::everyone) {
      if (!viewer) {
        if (post)
          return send_error_page(response, 403, "Not signed in",
                                 "Your session has ended; sign in again and repeat the change.");
        return send_redirect(response, "/sign-in?next=" + url_encode(request.getURI()));
      }
      if (!viewer->may(route_.access))
        return send_error_page(response, 403, "Not allowed",
                               "Your roles (" + viewer->roles_text() +
                                   ") do not include this page. A service admin can grant "
                                   "roles with: commonroom admin grant");
      // Every change carries the session's token: a page of another site cannot make one.
      if (post && !equal_constant_time(form.get("csrf", ""), viewer->csrf_token))
        return send_error_page(response, 403, "Form expired",
                               "This form is not from your current session (missing or wrong "
                               "CSRF token). Reload the page and try again.");
    }
    PageRequest page{request, response, site_, viewer ? &*viewer : nullptr, form, rest_};
    route_.handler(page);
  }

 private:
  static std::string url_encode(const std::string& value) {
    std::string out;
    Poco::URI::encode(value, "!#$&'()*+,;=?[]", out);
    return out;
  }

  const SiteContext& site_;
  const Route& route_;
  std::string rest_;
};

bool host_allowed(const SiteContext& site, const std::string& host) {
  std::string h = host;
  std::transform(h.begin(), h.end(), h.begin(), [](unsigned char c) { return std::tolower(c); });
  return std::find(site.allowed_hosts.begin(), site.allowed_hosts.end(), h) !=
         site.allowed_hosts.end();
}

}  // namespace

Poco::Net::HTTPRequestHandler* Router::createRequestHandler(
    const Poco::Net::HTTPServerRequest& request) {
  // Before anything else: after an ambiguous body no later byte on this connection can be
  // trusted to start a request, so the answer closes it.
  if (auto fault = framing_fault(request))
    return new Guarded(new ErrorPage(fault->status, fault->title, fault->message), true);
  if (request.getURI().size() > kMaxUriBytes)
    return new Guarded(new ErrorPage(414, "URI too long", "The request URI is too long."));
  // A page of a site on another name that resolves here (DNS rebinding) must not reach us
  // with the user's loopback access.
  // HTTP/1.1 requires Host (RFC 9112 section 3.2), and without one the check below has
  // nothing to check.
  const std::string host = request.get(Poco::Net::HTTPRequest::HOST, "");
  if (host.empty())
    return new Guarded(
        new ErrorPage(400, "Bad request", "The request names no host (Host header)."));
  if (!site_.allowed_hosts.empty() && !host_allowed(site_, host))
    return new Guarded(
        new ErrorPage(421, "Unknown host", "This server does not answer for that host name."));
  std::string path;
  try {
    path = Poco::URI(request.getURI()).getPath();
  } catch (const Poco::Exception&) {
    return new Guarded(new ErrorPage(400, "Bad request", "The request URI is malformed."));
  }
  const std::string& method = request.getMethod();
  const bool read =
      method == Poco::Net::HTTPRequest::HTTP_GET || method == Poco::Net::HTTPRequest::HTTP_HEAD;
  if (path == "/healthz" || path == "/metrics") {
    if (!read)
      return new Guarded(new ErrorPage(405, "Method not allowed",
                                       "This page can only be read (GET).", "GET, HEAD"));
    if (path == "/healthz") return new Guarded(new HealthzPage(site_));
    return new Guarded(new MetricsPage(site_));
  }
  for (const Route& route : kRoutes) {
    const std::string_view p = route.path;
    std::string rest;
    if (p.size() > 1 && p.ends_with('/')) {
      if (!path.starts_with(p) || path.size() == p.size()) continue;
      rest = path.substr(p.size());
    } else if (path != p) {
      continue;
    }
    const bool want_post = std::string_view(route.method) == "POST";
    if (want_post ? method != Poco::Net::HTTPRequest::HTTP_POST : !read) {
      // Same path, other method: there may be another route for it.
      continue;
    }
    return new Guarded(new RoutedPage(site_, route, std::move(rest)));
  }
  for (const Route& route : kRoutes)
    if (path == route.path)
      return new Guarded(
          new ErrorPage(405, "Method not allowed", "This page does not take that method.",
                        std::string_view(route.method) == "POST" ? "POST" : "GET, HEAD"));
  return new Guarded(new ErrorPage(404, "Not found", "There is no page at this address."));
}

}  // namespace commonroom::admin_web
