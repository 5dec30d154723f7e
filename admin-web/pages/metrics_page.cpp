#include "admin-web/pages/metrics_page.hpp"

#include <Poco/Net/HTTPServerResponse.h>

#include <cstdint>
#include <functional>
#include <sstream>
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

void family(std::string& out, const std::vector<HostConnectionStatus>& links, const char* name,
            const char* type, const char* help,
            const std::function<uint64_t(const HostConnectionStatus&)>& get) {
  out += std::string("# HELP ") + name + " " + help + "\n";
  out += std::string("# TYPE ") + name + " " + type + "\n";
  for (const auto& link : links)
    out += std::string(name) + "{domain=\"" + label(link.domain) + "\"} " +
           std::to_string(get(link)) + "\n";
}

void header(std::string& out, const char* name, const char* type, const char* help) {
  out += std::string("# HELP ") + name + " " + help + "\n";
  out += std::string("# TYPE ") + name + " " + type + "\n";
}

std::string number(double value) {
  std::ostringstream v;
  v.precision(15);  // Unix times in seconds keep their milliseconds
  v << value;
  return v.str();
}

// Alert on: the last success growing old, the last run being failed, readable 0.
void directory_sync_families(std::string& out, const DirectorySyncState& s) {
  header(out, "commonroom_directory_status_readable", "gauge",
         "Whether the directory sync status could be read from PostgreSQL just now (1) or not "
         "(0; the figures below are then the last ones read).");
  out += std::string("commonroom_directory_status_readable ") + (s.readable ? "1" : "0") + "\n";
  header(out, "commonroom_directory_people", "gauge", "People in the stored directory.");
  out += "commonroom_directory_people " + std::to_string(s.people) + "\n";
  header(out, "commonroom_directory_sync_last_run_status", "gauge",
         "Outcome of the latest directory sync run (1 for its status, 0 for the others).");
  for (const char* status : {"ok", "partial", "failed", "running"})
    out += std::string("commonroom_directory_sync_last_run_status{status=\"") + status + "\"} " +
           (s.last_status == status ? "1" : "0") + "\n";
  header(out, "commonroom_directory_sync_last_success_timestamp_seconds", "gauge",
         "When the last directory sync that stored LDAP's data (ok or partial) finished.");
  if (s.last_success)
    out += "commonroom_directory_sync_last_success_timestamp_seconds{kind=\"any\"} " +
           number(*s.last_success) + "\n";
  if (s.last_full_success)
    out += "commonroom_directory_sync_last_success_timestamp_seconds{kind=\"full\"} " +
           number(*s.last_full_success) + "\n";
  header(out, "commonroom_directory_sync_last_failure_timestamp_seconds", "gauge",
         "When the last failed directory sync ended; its error is in "
         "commonroom_directory_sync_last_failure_info.");
  if (s.last_failure)
    out += "commonroom_directory_sync_last_failure_timestamp_seconds " + number(*s.last_failure) +
           "\n";
  header(out, "commonroom_directory_sync_last_failure_info", "gauge",
         "The error of the last failed directory sync, as a label.");
  if (s.last_failure)
    out += "commonroom_directory_sync_last_failure_info{message=\"" +
           label(s.last_failure_message) + "\"} 1\n";
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
         [](const HostConnectionStatus& l) -> uint64_t { return l.connected ? 1 : 0; });
  family(out, links, "commonroom_link_connects_total", "counter",
         "Successful component handshakes since start.",
         [](const HostConnectionStatus& l) { return l.connects; });
  family(out, links, "commonroom_link_stanzas_in_total", "counter",
         "Stanzas received from the XMPP server.",
         [](const HostConnectionStatus& l) { return l.stanzas_in; });
  family(out, links, "commonroom_link_stanzas_out_total", "counter",
         "Stanzas sent to the XMPP server.",
         [](const HostConnectionStatus& l) { return l.stanzas_out; });
  if (auto log = site_.abuse_log_state()) {
    auto gauge = [&](const char* name, const char* type, const char* help, double value) {
      out += std::string("# HELP ") + name + " " + help + "\n";
      out += std::string("# TYPE ") + name + " " + type + "\n";
      std::ostringstream v;
      v << value;
      out += std::string(name) + " " + v.str() + "\n";
    };
    gauge("commonroom_abuse_log_database_connected", "gauge",
          "Whether the abuse log is writing to PostgreSQL (1) or only to its journal (0).",
          log->database_connected ? 1 : 0);
    gauge("commonroom_abuse_log_backlog_events", "gauge",
          "Room events durable in the local journal but not yet in PostgreSQL.",
          static_cast<double>(log->backlog_events));
    gauge("commonroom_abuse_log_backlog_bytes", "gauge", "Bytes of journal not yet in PostgreSQL.",
          static_cast<double>(log->backlog_bytes));
    gauge("commonroom_abuse_log_durable_events_total", "counter",
          "Room events made durable since start.", static_cast<double>(log->durable_events));
    gauge("commonroom_abuse_log_replayed_events_total", "counter",
          "Room events moved from the journal into PostgreSQL since start.",
          static_cast<double>(log->replayed_events));
    gauge("commonroom_abuse_log_last_commit_seconds", "gauge",
          "Time the last group commit took from submission to durable.", log->last_commit_seconds);
  }
  if (auto sync = site_.directory_sync_state()) directory_sync_families(out, *sync);
  send(response, 200, "text/plain; version=0.0.4; charset=utf-8", out);
}

}  // namespace commonroom::admin_web
