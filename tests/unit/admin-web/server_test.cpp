// The admin web over a real loopback socket on an ephemeral port, as POCO's own tests do.
#include "admin-web/server.hpp"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/NetException.h>
#include <Poco/StreamCopier.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/unit/admin-web/fake_admin_store.hpp"

namespace commonroom::admin_web {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Reply {
  int status = 0;
  std::string content_type;
  std::string body;
  Poco::Net::HTTPResponse headers;
};

class AdminWebTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.host = "127.0.0.1";
    options.port = 0;
    options.version = "9.8.7";
    SiteSources sources;
    sources.status = [this] {
      std::lock_guard lock(mutex_);
      if (fail_) throw std::runtime_error("status source broke");
      return links_;
    };
    sources.abuse_log = [this] {
      std::lock_guard lock(mutex_);
      return abuse_log_;
    };
    sources.directory_sync = [this] {
      std::lock_guard lock(mutex_);
      return directory_sync_;
    };
    options.store = &store_;
    store_.grant("ops", "admin");
    admin_ = store_.open_session("ops");
    server_ = std::make_unique<Server>(options, std::move(sources));
    server_->start();
  }

  void set_links(std::vector<HostConnectionStatus> links) {
    std::lock_guard lock(mutex_);
    links_ = std::move(links);
  }

  Reply request(const std::string& method, const std::string& uri, const std::string& cookie = "") {
    Poco::Net::HTTPClientSession session("127.0.0.1", server_->port());
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest req(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!cookie.empty()) req.set("Cookie", "commonroom_session=" + cookie);
    if (method == Poco::Net::HTTPRequest::HTTP_POST) req.setContentLength(0);
    session.sendRequest(req);
    Reply reply;
    std::istream& in = session.receiveResponse(reply.headers);
    Poco::StreamCopier::copyToString(in, reply.body);
    reply.status = reply.headers.getStatus();
    reply.content_type = reply.headers.getContentType();
    return reply;
  }

  Reply get(const std::string& uri) { return request(Poco::Net::HTTPRequest::HTTP_GET, uri); }
  // The dashboard needs a session; ops is an admin.
  Reply dashboard() { return request(Poco::Net::HTTPRequest::HTTP_GET, "/", admin_); }

  static HostConnectionStatus link(std::string domain, bool connected) {
    HostConnectionStatus l;
    l.domain = std::move(domain);
    l.connected = connected;
    l.connects = 3;
    l.stanzas_in = 120;
    l.stanzas_out = 45;
    l.last_error = connected ? "" : "connection refused";
    return l;
  }

  void set_abuse_log(std::optional<AbuseLogState> state) {
    std::lock_guard lock(mutex_);
    abuse_log_ = std::move(state);
  }

  void set_directory_sync(std::optional<DirectorySyncState> state) {
    std::lock_guard lock(mutex_);
    directory_sync_ = std::move(state);
  }

  std::mutex mutex_;
  std::vector<HostConnectionStatus> links_;
  std::optional<AbuseLogState> abuse_log_;
  std::optional<DirectorySyncState> directory_sync_;
  bool fail_ = false;
  FakeAdminStore store_;
  std::string admin_;  // ops's session cookie
  std::unique_ptr<Server> server_;
};

TEST_F(AdminWebTest, ServerListensOnAnEphemeralPortWhenAskedForPortZero) {
  EXPECT_NE(server_->port(), 0);
}

TEST_F(AdminWebTest, HealthzIsOkWhenEveryLinkIsConnected) {
  set_links({link("conference.cam.example", true), link("directory.cam.example", true)});
  Reply r = get("/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "application/json");
  auto root = Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(root->getValue<std::string>("status"), "ok");
  EXPECT_EQ(root->getValue<std::string>("version"), "9.8.7");
  auto links = root->getArray("links");
  ASSERT_EQ(links->size(), 2u);
  auto first = links->getObject(0);
  EXPECT_EQ(first->getValue<std::string>("domain"), "conference.cam.example");
  EXPECT_TRUE(first->getValue<bool>("connected"));
  EXPECT_EQ(first->getValue<uint64_t>("connects"), 3u);
  EXPECT_EQ(first->getValue<uint64_t>("stanzas_in"), 120u);
  EXPECT_EQ(first->getValue<uint64_t>("stanzas_out"), 45u);
  EXPECT_FALSE(root->getValue<bool>("rooms_unlogged"));
}

TEST_F(AdminWebTest, HealthzIsDegradedWith503WhenAnyLinkIsDown) {
  set_links({link("conference.cam.example", true), link("directory.cam.example", false)});
  Reply r = get("/healthz");
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.headers.getReason(), "Service Unavailable");
  auto root = Poco::JSON::Parser().parse(r.body).extract<Poco::JSON::Object::Ptr>();
  EXPECT_EQ(root->getValue<std::string>("status"), "degraded");
  auto down = root->getArray("links")->getObject(1);
  EXPECT_FALSE(down->getValue<bool>("connected"));
  EXPECT_EQ(down->getValue<std::string>("last_error"), "connection refused");
}

TEST_F(AdminWebTest, HealthzFollowsTheCurrentStatusAndIgnoresTheQuery) {
  set_links({link("conference.cam.example", false)});
  EXPECT_EQ(get("/healthz").status, 503);
  set_links({link("conference.cam.example", true)});
  EXPECT_EQ(get("/healthz?probe=1").status, 200);
}

TEST_F(AdminWebTest, MetricsExposeLinkGaugesAndCountersInPrometheusFormat) {
  set_links({link("conference.cam.example", true), link("directory.cam.example", false)});
  Reply r = get("/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(r.body, HasSubstr("# TYPE commonroom_link_connected gauge\n"));
  EXPECT_THAT(r.body,
              HasSubstr("commonroom_link_connected{domain=\"conference.cam.example\"} 1\n"));
  EXPECT_THAT(r.body, HasSubstr("commonroom_link_connected{domain=\"directory.cam.example\"} 0\n"));
  EXPECT_THAT(r.body, HasSubstr("# TYPE commonroom_link_connects_total counter\n"));
  EXPECT_THAT(r.body,
              HasSubstr("commonroom_link_connects_total{domain=\"conference.cam.example\"} 3\n"));
  EXPECT_THAT(
      r.body,
      HasSubstr("commonroom_link_stanzas_in_total{domain=\"conference.cam.example\"} 120\n"));
  EXPECT_THAT(
      r.body,
      HasSubstr("commonroom_link_stanzas_out_total{domain=\"directory.cam.example\"} 45\n"));
  EXPECT_THAT(r.body, HasSubstr("commonroom_build_info{version=\"9.8.7\"} 1\n"));
}

TEST_F(AdminWebTest, TheAbuseLogBacklogIsVisibleInMetricsHealthAndStatus) {
  set_links({link("conference.cam.example", true)});
  EXPECT_THAT(get("/metrics").body, Not(HasSubstr("commonroom_abuse_log")))
      << "no abuse log configured: nothing to show";
  AbuseLogState state;
  state.database_connected = false;
  state.backlog_events = 1234;
  state.backlog_bytes = 98765;
  state.durable_events = 5000;
  state.replayed_events = 10;
  state.last_commit_seconds = 0.0025;
  state.last_error = "connection to <server> lost";
  set_abuse_log(state);
  std::string metrics = get("/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("# TYPE commonroom_abuse_log_backlog_events gauge\n"
                                 "commonroom_abuse_log_backlog_events 1234\n"));
  EXPECT_THAT(metrics, HasSubstr("commonroom_abuse_log_backlog_bytes 98765\n"));
  EXPECT_THAT(metrics, HasSubstr("commonroom_abuse_log_database_connected 0\n"));
  EXPECT_THAT(metrics, HasSubstr("# TYPE commonroom_abuse_log_durable_events_total counter\n"
                                 "commonroom_abuse_log_durable_events_total 5000\n"));
  EXPECT_THAT(metrics, HasSubstr("commonroom_abuse_log_last_commit_seconds 0.0025\n"));
  Reply health = get("/healthz");
  EXPECT_EQ(health.status, 200) << "PostgreSQL away is not a reason to restart commonroom";
  EXPECT_THAT(health.body, HasSubstr("\"backlog_events\":1234"));
  std::string page = dashboard().body;
  EXPECT_THAT(page, HasSubstr("not reachable, journal only"));
  EXPECT_THAT(page, HasSubstr("1234 event(s)"));
  EXPECT_THAT(page, HasSubstr("connection to &lt;server&gt; lost"));
}

TEST_F(AdminWebTest, DirectorySyncStatusIsInMetrics) {
  EXPECT_THAT(get("/metrics").body, Not(HasSubstr("commonroom_directory")))
      << "no directory sync configured: nothing to show";
  DirectorySyncState state;
  state.readable = true;
  state.people = 199873;
  state.last_status = "failed";
  state.last_success = 1764800000.25;
  state.last_full_success = 1764790000;
  state.last_failure = 1764801234.5;
  state.last_failure_message = "ldaps://lookup: anonymous bind: Can't contact LDAP server; \"x\"";
  set_directory_sync(state);
  std::string metrics = get("/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("commonroom_directory_status_readable 1\n"));
  EXPECT_THAT(metrics, HasSubstr("# TYPE commonroom_directory_people gauge\n"
                                 "commonroom_directory_people 199873\n"));
  EXPECT_THAT(metrics,
              HasSubstr("commonroom_directory_sync_last_run_status{status=\"failed\"} 1\n"));
  EXPECT_THAT(metrics, HasSubstr("commonroom_directory_sync_last_run_status{status=\"ok\"} 0\n"));
  EXPECT_THAT(metrics, HasSubstr("commonroom_directory_sync_last_success_timestamp_seconds{kind="
                                 "\"any\"} 1764800000.25\n"));
  EXPECT_THAT(metrics, HasSubstr("commonroom_directory_sync_last_success_timestamp_seconds{kind="
                                 "\"full\"} 1764790000\n"));
  EXPECT_THAT(metrics,
              HasSubstr("commonroom_directory_sync_last_failure_timestamp_seconds 1764801234.5\n"));
  EXPECT_THAT(metrics, HasSubstr("commonroom_directory_sync_last_failure_info{message=\"ldaps://"
                                 "lookup: anonymous bind: Can't contact LDAP server; "
                                 "\\\"x\\\"\"} 1\n"));

  // Never synced, and PostgreSQL not answering: no times, and readable says why.
  set_directory_sync(DirectorySyncState{});
  metrics = get("/metrics").body;
  EXPECT_THAT(metrics, HasSubstr("commonroom_directory_status_readable 0\n"));
  EXPECT_THAT(metrics, HasSubstr("commonroom_directory_people 0\n"));
  EXPECT_THAT(metrics, Not(HasSubstr("commonroom_directory_sync_last_success_timestamp_seconds{")));
  EXPECT_THAT(metrics, Not(HasSubstr("commonroom_directory_sync_last_failure_info{")));
}

TEST_F(AdminWebTest, MetricsEscapeLabelValues) {
  set_links({link("a\"b\\c\nd", true)});
  EXPECT_THAT(get("/metrics").body,
              HasSubstr("commonroom_link_connected{domain=\"a\\\"b\\\\c\\nd\"} 1\n"));
}

TEST_F(AdminWebTest, DashboardShowsVersionAndLinks) {
  set_links({link("conference.cam.example", true), link("directory.cam.example", false)});
  Reply r = dashboard();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.content_type, "text/html; charset=utf-8");
  EXPECT_THAT(r.body, HasSubstr("Version 9.8.7"));
  EXPECT_THAT(r.body,
              HasSubstr("<td>conference.cam.example</td><td><span class=\"good\">connected"));
  EXPECT_THAT(r.body,
              HasSubstr("<td>directory.cam.example</td><td><span class=\"bad\">disconnected"));
  EXPECT_THAT(r.body, HasSubstr("connection refused"));
}

TEST_F(AdminWebTest, DashboardEscapesEverythingItShows) {
  HostConnectionStatus evil = link("<script>alert(1)</script>.example", false);
  evil.last_error = "bad \"quote\" & 'apostrophe' <b>";
  set_links({evil});
  Reply r = dashboard();
  EXPECT_THAT(r.body, Not(HasSubstr("<script>")));
  EXPECT_THAT(r.body, HasSubstr("&lt;script&gt;alert(1)&lt;&#x2F;script&gt;.example"));
  EXPECT_THAT(r.body, HasSubstr("bad &quot;quote&quot; &amp; &#39;apostrophe&#39; &lt;b&gt;"));
}

TEST_F(AdminWebTest, DashboardSaysWhenNoServiceIsConfigured) {
  EXPECT_THAT(dashboard().body, HasSubstr("No services are configured."));
  EXPECT_THAT(dashboard().body, Not(HasSubstr("NOT LOGGED")));
  EXPECT_EQ(get("/healthz").status, 200);
}

TEST_F(AdminWebTest, EveryResponseCarriesTheSecurityHeaders) {
  for (const char* uri : {"/", "/healthz", "/metrics", "/nope"}) {
    Reply r = get(uri);
    SCOPED_TRACE(uri);
    EXPECT_EQ(r.headers.get("Content-Security-Policy", ""),
              "default-src 'self'; frame-ancestors 'none'");
    EXPECT_EQ(r.headers.get("X-Content-Type-Options", ""), "nosniff");
    EXPECT_EQ(r.headers.get("X-Frame-Options", ""), "DENY");
    EXPECT_EQ(r.headers.get("Referrer-Policy", ""), "no-referrer");
    EXPECT_EQ(r.headers.get("Cache-Control", ""), "no-store");
  }
}

TEST_F(AdminWebTest, UnknownPathIs404) {
  Reply r = get("/admin/../etc/passwd");
  EXPECT_EQ(r.status, 404);
  EXPECT_THAT(r.body, HasSubstr("Not found"));
  EXPECT_THAT(r.body, Not(HasSubstr("passwd")));  // the path is not reflected
}

TEST_F(AdminWebTest, WritingMethodsAre405WithAllowHeader) {
  for (const char* method : {"POST", "PUT", "DELETE"}) {
    SCOPED_TRACE(method);
    Reply r = request(method, "/healthz");
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.headers.get("Allow", ""), "GET, HEAD");
  }
  EXPECT_EQ(request("POST", "/").status, 405);
}

TEST_F(AdminWebTest, HeadAnswersWithoutABody) {
  Reply r = request(Poco::Net::HTTPRequest::HTTP_HEAD, "/", admin_);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "");
}

TEST_F(AdminWebTest, OverlongUriIs414) {
  EXPECT_EQ(get("/" + std::string(3000, 'a')).status, 414);
}

TEST_F(AdminWebTest, AFailingStatusSourceGives500NotADroppedConnection) {
  {
    std::lock_guard lock(mutex_);
    fail_ = true;
  }
  Reply r = get("/healthz");
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, HasSubstr("Internal error"));
  EXPECT_THAT(r.body, Not(HasSubstr("status source broke")));  // details go to the log only
}

TEST_F(AdminWebTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Poco::Net::HTTPClientSession session("127.0.0.1", server_->port());
  session.setKeepAlive(true);
  for (int i = 0; i < 3; ++i) {
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/healthz",
                               Poco::Net::HTTPMessage::HTTP_1_1);
    req.setKeepAlive(true);
    session.sendRequest(req);
    Poco::Net::HTTPResponse res;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(res), body);
    EXPECT_EQ(res.getStatus(), 200);
  }
}

TEST_F(AdminWebTest, AStoppedServerRefusesConnections) {
  const uint16_t port = server_->port();
  server_->stop();
  Poco::Net::HTTPClientSession session("127.0.0.1", port);
  session.setTimeout(Poco::Timespan(2, 0));
  Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, "/healthz");
  EXPECT_THROW(
      {
        session.sendRequest(req);
        Poco::Net::HTTPResponse res;
        session.receiveResponse(res);
      },
      Poco::Exception);
}

TEST(AdminWebServer, RoomsWithoutALogAreFlaggedOnHealthzAndBannerOnEveryPage) {
  ServerOptions options;
  options.port = 0;
  SiteSources sources;
  sources.status = [] { return std::vector<HostConnectionStatus>{}; };
  sources.rooms_unlogged = true;
  Server server(options, std::move(sources));
  server.start();
  auto get = [&](const std::string& uri) {
    Poco::Net::HTTPClientSession session("127.0.0.1", server.port());
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest req(Poco::Net::HTTPRequest::HTTP_GET, uri,
                               Poco::Net::HTTPMessage::HTTP_1_1);
    session.sendRequest(req);
    Poco::Net::HTTPResponse response;
    std::string body;
    Poco::StreamCopier::copyToString(session.receiveResponse(response), body);
    return body;
  };
  auto root = Poco::JSON::Parser().parse(get("/healthz")).extract<Poco::JSON::Object::Ptr>();
  EXPECT_TRUE(root->getValue<bool>("rooms_unlogged"));
  // Every page carries the banner, the sign-in page included, above the page's own title.
  std::string page = get("/sign-in");
  EXPECT_THAT(page, HasSubstr("<div id=\"rooms-unlogged\" class=\"alert\" role=\"alert\">"
                              "<h2>ROOMS ARE NOT LOGGED</h2>"));
  EXPECT_LT(page.find("ROOMS ARE NOT LOGGED"), page.find("<h1>"));
  server.stop();
}

TEST(AdminWebServer, ATakenPortFailsAtConstructionNamingTheAddress) {
  ServerOptions options;
  options.port = 0;
  Server first(options, [] { return std::vector<HostConnectionStatus>{}; });
  options.port = first.port();
  try {
    Server second(options, [] { return std::vector<HostConnectionStatus>{}; });
    FAIL() << "a second server bound the same port";
  } catch (const std::runtime_error& e) {
    EXPECT_THAT(
        e.what(),
        HasSubstr("admin web cannot listen on 127.0.0.1:" + std::to_string(first.port()) + ": "));
  }
}

}  // namespace
}  // namespace commonroom::admin_web
