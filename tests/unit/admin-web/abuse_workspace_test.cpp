// The abuse workspace's pages against an AbuseDesk in memory: a case reference before any
// look, the signed-in user as the actor whatever the form says, CSRF on every change, what
// abusers typed rendered as text, limits on input, and a download for the export.
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "admin-web/server.hpp"
#include "tests/unit/admin-web/fake_abuse_desk.hpp"
#include "tests/unit/admin-web/fake_admin_store.hpp"

namespace commonroom::admin_web {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

constexpr const char* kEvilEscaped = "&lt;script&gt;alert(1)&lt;&#x2F;script&gt;";

struct Reply {
  int status = 0;
  std::string body;
  Poco::Net::HTTPResponse headers;
};

class AbuseWorkspace : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.grant("abe", "abuse");
    store_.grant("aud", "auditor");
    for (const char* who : {"abe", "aud"}) cookies_[who] = store_.open_session(who);
    ServerOptions options;
    options.port = 0;
    options.store = &store_;
    options.abuse_desk = &desk_;
    server_ = std::make_unique<Server>(
        options, StatusSource([] { return std::vector<HostConnectionStatus>{}; }));
    server_->start();
  }

  Reply send(const std::string& method, const std::string& uri, const std::string& who,
             const std::string& body = "") {
    Poco::Net::HTTPClientSession session("127.0.0.1", server_->port());
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest req(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
    req.set("Cookie", "commonroom_session=" + cookies_.at(who));
    if (method == "POST") {
      req.setContentType("application/x-www-form-urlencoded");
      req.setContentLength(static_cast<std::streamsize>(body.size()));
    }
    session.sendRequest(req) << body;
    Reply r;
    Poco::StreamCopier::copyToString(session.receiveResponse(r.headers), r.body);
    r.status = r.headers.getStatus();
    return r;
  }

  FakeAdminStore store_;
  FakeAbuseDesk desk_;
  std::map<std::string, std::string> cookies_;
  std::unique_ptr<Server> server_;
};

TEST_F(AbuseWorkspace, NothingIsSearchedWithoutACaseReference) {
  Reply r = send("GET", "/abuse?words=idiot", "abe");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("Type the case reference first"));
  r = send("GET", "/abuse?case=%20%20&words=idiot", "abe");
  EXPECT_EQ(r.status, 400) << "spaces are not a case reference";
  EXPECT_THAT(desk_.calls(), IsEmpty());
  // The empty form is just the form.
  EXPECT_EQ(send("GET", "/abuse", "abe").status, 200);
}

TEST_F(AbuseWorkspace, TheActorIsTheSignedInUserNotAFormField) {
  send("GET", "/abuse?case=C-7&words=idiot&actor=ada&by=ada", "abe");
  send("GET", "/abuse/context?case=C-7&event=e1&by=ada", "abe");
  EXPECT_THAT(desk_.calls(), ElementsAre("search abe C-7", "context abe C-7"));
}

TEST_F(AbuseWorkspace, WhatAbusersTypedRendersAsText) {
  for (const char* uri : {"/abuse?case=%3Cscript%3Ealert(1)%3C%2Fscript%3E&words=idiot",
                          "/abuse/context?case=%3Cscript%3Ealert(1)%3C%2Fscript%3E&event=e1"}) {
    SCOPED_TRACE(uri);
    Reply r = send("GET", uri, "abe");
    EXPECT_EQ(r.status, 200);
    EXPECT_THAT(r.body, Not(HasSubstr("<script")));
    EXPECT_THAT(r.body, HasSubstr(std::string("mal") + kEvilEscaped));         // nick
    EXPECT_THAT(r.body, HasSubstr(std::string("you idiot ") + kEvilEscaped));  // body
    EXPECT_THAT(r.body, HasSubstr(std::string("insult ") + kEvilEscaped));     // reason
    EXPECT_THAT(r.body, HasSubstr(kEvilEscaped));                              // the case
  }
}

TEST_F(AbuseWorkspace, RetractedMessagesShowTheirOriginalAndWhoRemovedThem) {
  Reply r = send("GET", "/abuse/context?case=C-1&event=e1", "abe");
  EXPECT_THAT(r.body, HasSubstr("class=\"anchor retracted\""));
  EXPECT_THAT(r.body, HasSubstr("Retracted</span> by mod@cam.example&#x2F;desk"));
  EXPECT_THAT(r.body, HasSubstr("This is the original text"));
  EXPECT_THAT(r.body, HasSubstr("removed mallory@cam.example from the room (kick)"));
  // Stable links: the event, the message's stanza-id, the room at that time.
  EXPECT_THAT(r.body, HasSubstr("&#x2F;abuse&#x2F;context?event=e1<"));
  EXPECT_THAT(r.body, HasSubstr("context?stanza_id=s1&amp;room=lobby@conference.cam.example<"));
  EXPECT_THAT(r.body,
              HasSubstr("context?room=lobby@conference.cam.example&amp;at=2026-11-24T10:01:00"));
}

TEST_F(AbuseWorkspace, AContextLinkWithoutACaseAsksForOneAndReadsNothing) {
  Reply r = send("GET", "/abuse/context?event=e1", "abe");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("Which case is this for?"));
  EXPECT_THAT(r.body, HasSubstr("name=\"event\" value=\"e1\""));
  EXPECT_THAT(desk_.calls(), IsEmpty());
}

TEST_F(AbuseWorkspace, RefusedQueriesSayWhy) {
  Reply r = send("GET", "/abuse?case=C&words=!!!", "abe");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("has no word to search for"));
  r = send("GET", "/abuse/context?case=C&event=nope", "abe");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("no event has the id nope"));
  r = send("GET", "/abuse/context?case=C&event=e1&before=5000", "abe");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("from 0 to 200"));
}

TEST_F(AbuseWorkspace, InputsHaveSizeLimits) {
  const std::string long_case(201, 'x');
  Reply r = send("GET", "/abuse?words=a&case=" + long_case, "abe");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("The case reference is too long"));
  std::string users;
  for (int i = 0; i < 21; ++i) users += "u" + std::to_string(i) + "%40cam.example+";
  r = send("GET", "/abuse?case=C&user=" + users, "abe");
  EXPECT_EQ(r.status, 400);
  EXPECT_THAT(r.body, HasSubstr("at most 20"));
  r = send("POST", "/abuse/bans/place", "abe",
           "csrf=csrf-abe&subject=x%40cam.example&reason=" + std::string(1001, 'r'));
  EXPECT_EQ(r.status, 409);
  EXPECT_THAT(r.body, HasSubstr("The reason is too long"));
  EXPECT_THAT(desk_.calls(), IsEmpty());
}

TEST_F(AbuseWorkspace, TheExportIsADownloadNamedAfterTheCase) {
  Reply r = send("POST", "/abuse/export", "abe", "csrf=csrf-abe&case=ABUSE%2F17%20x&user=m%40c");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.getContentType(), "application/x-tar");
  EXPECT_EQ(r.headers.get("Content-Disposition", ""),
            "attachment; filename=\"evidence-ABUSE_17_x-0123456789ab.tar\"");
  EXPECT_EQ(r.body, "tar bytes");
  EXPECT_THAT(desk_.calls(), ElementsAre("export abe ABUSE/17 x"));
  // Without the session's token nothing is exported (and nothing audited).
  EXPECT_EQ(send("POST", "/abuse/export", "abe", "case=C&user=m%40c").status, 403);
  EXPECT_EQ(send("GET", "/abuse/export?case=C&user=m%40c", "abe").status, 405);
  EXPECT_EQ(desk_.calls().size(), 1u);
}

TEST_F(AbuseWorkspace, BansArePlacedAndLiftedWithTheTokenAndSayWhatHappened) {
  EXPECT_EQ(send("POST", "/abuse/bans/place", "abe", "subject=m%40cam.example&reason=spam").status,
            403);
  Reply r = send("POST", "/abuse/bans/place", "abe",
                 "csrf=csrf-abe&subject=m%40cam.example&reason=spam&case=C-9");
  EXPECT_EQ(r.status, 303);
  r = send("GET", r.headers.get("Location"), "abe");
  EXPECT_THAT(r.body, HasSubstr("m@cam.example is banned from every room"));
  EXPECT_THAT(r.body, HasSubstr("Lift ban on m@cam.example"));
  // Twice: refused with the reason, the form keeps what was typed.
  r = send("POST", "/abuse/bans/place", "abe",
           "csrf=csrf-abe&subject=m%40cam.example&reason=spam%20again");
  EXPECT_EQ(r.status, 409);
  EXPECT_THAT(r.body, HasSubstr("Nothing was changed: m@cam.example is already banned"));
  EXPECT_THAT(r.body, HasSubstr("value=\"spam again\""));
  r = send("POST", "/abuse/bans/lift", "abe", "csrf=csrf-abe&subject=m%40cam.example");
  EXPECT_EQ(r.status, 303);
  EXPECT_THAT(send("GET", r.headers.get("Location"), "abe").body,
              HasSubstr("The ban on m@cam.example is lifted"));
  EXPECT_THAT(desk_.calls(), ElementsAre("ban m@cam.example abe C-9", "ban m@cam.example abe ",
                                         "lift m@cam.example abe "));
}

TEST_F(AbuseWorkspace, AHoldIsPreviewedThenPlacedAndWarnsWhenItKeepsNothing) {
  Reply r = send("POST", "/abuse/holds/preview", "abe",
                 "csrf=csrf-abe&kind=user&subject=m%40cam.example&reason=case&case=C-3");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("would keep <strong>12 logged event(s) (3 by or about them"));
  EXPECT_THAT(r.body, HasSubstr("Place the hold"));
  r = send("POST", "/abuse/holds/preview", "abe",
           "csrf=csrf-abe&kind=user&subject=nobody%40cam.example&reason=case");
  EXPECT_THAT(r.body, HasSubstr("This hold would keep nothing"));
  EXPECT_EQ(
      send("POST", "/abuse/holds/place", "abe", "kind=user&subject=m%40cam.example&reason=case")
          .status,
      403);
  r = send("POST", "/abuse/holds/place", "abe",
           "csrf=csrf-abe&kind=user&subject=m%40cam.example&reason=case&case=C-3");
  EXPECT_EQ(r.status, 303);
  r = send("GET", r.headers.get("Location"), "abe");
  EXPECT_THAT(r.body, HasSubstr("The hold on user m@cam.example is placed. It keeps 12 logged"));
  EXPECT_THAT(r.body, HasSubstr("Release hold on m@cam.example"));
  r = send("POST", "/abuse/holds/place", "abe",
           "csrf=csrf-abe&kind=user&subject=nobody%40cam.example&reason=case");
  EXPECT_THAT(send("GET", r.headers.get("Location"), "abe").body, HasSubstr("WARNING"));
  r = send("POST", "/abuse/holds/preview", "abe", "csrf=csrf-abe&kind=planet&subject=x");
  EXPECT_EQ(r.status, 409);
  EXPECT_THAT(r.body, HasSubstr("on a room or on a user"));
  EXPECT_THAT(desk_.calls(),
              ElementsAre("preview m@cam.example abe C-3", "preview nobody@cam.example abe ",
                          "hold m@cam.example abe C-3", "hold nobody@cam.example abe "));
}

TEST_F(AbuseWorkspace, TheNavigationOffersTheWorkspaceToAbuseStaffOnly) {
  EXPECT_THAT(send("GET", "/", "abe").body, HasSubstr("<a href=\"/abuse\">Search the log</a>"));
  EXPECT_THAT(send("GET", "/", "aud").body, Not(HasSubstr("/abuse")));
}

TEST_F(AbuseWorkspace, AuditorsSeeACasesTrailWithItsQuery) {
  Reply r = send("GET", "/audit?case=C-1", "aud");
  EXPECT_EQ(r.status, 200);
  EXPECT_THAT(r.body, HasSubstr("Audit trail of case C-1"));
  EXPECT_THAT(r.body, HasSubstr("<code>words: idiot</code>"));
  EXPECT_THAT(r.body, HasSubstr("<td>1</td>"));
}

}  // namespace
}  // namespace commonroom::admin_web
