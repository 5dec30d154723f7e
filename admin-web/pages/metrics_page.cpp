#include "admin-web/pages/metrics_page.hpp"

#include <Poco/Net/HTTPServerResponse.h>

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace commonroom::admin_web {

namespace {

// Label values escape backslash, double quote and newline (exposition format 0.0.4).
std::string label(std::string_view value) {
  std::string out;
  for (char c : value) {
    if (c == '\\')
      out += "\\\\";
    else if (c == '"')
      out += "\\\"";
    else if (c == '\n')
      out += "\\n";
    else
      out += c;
  }
  return out;
}

void family(std::string& out, const std::vector<LinkState>& links, const char* name,
            const char* type, const char* help,
            const std::function<uint64_t(const LinkState&)>& get) {
  out += std::string("# HELP ") + name + " " + help + "\n";
  out += std::string("# TYPE ") + name + " " + type + "\n";
  for (const auto& link : links)
    out += std::string(name) + "{domain=\"" + label(link.domain) + "\"} " +
           std::to_string(get(link)) + "\n";
}

}  // namespace

void MetricsPage::handleRequest(Poco::Net::HTTPServerRequest&,
                                Poco::Net::HTTPServerResponse& response) {
  const auto links = site_.status();
  std::string out;
  out += "# HELP commonroom_build_info The running commonroom version.\n";
  out += "# TYPE commonroom_build_info gauge\n";
  out += "commonroom_build_info{version=\"" + label(site_.version) + "\"} 1\n";
  family(out, links, "commonroom_link_connected", "gauge",
         "Whether the component link to the XMPP server is up (1) or not (0).",
         [](const LinkState& l) -> uint64_t { return l.connected ? 1 : 0; });
  family(out, links, "commonroom_link_connects_total", "counter",
         "Successful component handshakes since start.",
         [](const LinkState& l) { return l.connects; });
  family(out, links, "commonroom_link_stanzas_in_total", "counter",
         "Stanzas received from the XMPP server.", [](const LinkState& l) { return l.stanzas_in; });
  family(out, links, "commonroom_link_stanzas_out_total", "counter",
         "Stanzas sent to the XMPP server.", [](const LinkState& l) { return l.stanzas_out; });
  send(response, 200, "text/plain; version=0.0.4; charset=utf-8", out);
}

}  // namespace commonroom::admin_web
