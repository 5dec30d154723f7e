#include "admin-web/pages/healthz_page.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/Net/HTTPServerResponse.h>

#include <sstream>

namespace commonroom::admin_web {

void HealthzPage::handleRequest(Poco::Net::HTTPServerRequest&,
                                Poco::Net::HTTPServerResponse& response) {
  bool all_connected = true;
  Poco::JSON::Array::Ptr links = new Poco::JSON::Array;
  for (const auto& link : site_.status()) {
    all_connected = all_connected && link.connected;
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("domain", link.domain);
    o->set("connected", link.connected);
    o->set("connects", link.connects);
    o->set("stanzas_in", link.stanzas_in);
    o->set("stanzas_out", link.stanzas_out);
    o->set("last_error", link.last_error);
    links->add(o);
  }
  Poco::JSON::Object root;
  root.set("status", all_connected ? "ok" : "degraded");
  root.set("version", site_.version);
  root.set("links", links);
  // Not unhealthy either (nothing a restart fixes), but never silent: monitoring can alert
  // on a service whose rooms keep no log.
  root.set("rooms_unlogged", site_.rooms_unlogged);
  // The abuse log is reported but does not make the service unhealthy: chat goes on while
  // PostgreSQL is away (the journal holds the events), so restarting would not help.
  if (auto log = site_.abuse_log_state()) {
    Poco::JSON::Object::Ptr o = new Poco::JSON::Object;
    o->set("database_connected", log->database_connected);
    o->set("backlog_events", log->backlog_events);
    root.set("abuse_log", o);
  }
  std::ostringstream body;
  root.stringify(body);
  body << '\n';
  send(response, all_connected ? 200 : 503, "application/json", body.str());
}

}  // namespace commonroom::admin_web
