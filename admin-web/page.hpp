// What a page handler gets: the request, who is asking, and the site; one handler per page.
#pragma once
#include <string>

#include "admin-web/http.hpp"
#include "admin-web/viewer.hpp"

namespace Poco::Net {
class HTTPServerRequest;
class HTTPServerResponse;
class HTMLForm;
}  // namespace Poco::Net

namespace commonroom::admin_web {

struct PageRequest {
  Poco::Net::HTTPServerRequest& http;
  Poco::Net::HTTPServerResponse& response;
  const SiteContext& site;
  const Viewer* viewer;             // null when nobody is signed in (Access::everyone pages)
  const Poco::Net::HTMLForm& form;  // query parameters, or the POSTed form
  std::string rest;                 // the path after the route's prefix, decoded (a room JID)
};

using PageHandler = void (*)(PageRequest&);

}  // namespace commonroom::admin_web
