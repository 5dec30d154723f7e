// Who may see what: every route x every role x no session, CSRF tokens, the Host check, and
// escaping of what people type (room names, nicks, subjects, directory fields).
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>

#include <map>
#include <string>

#include "admin-web/directory_actions.hpp"
#include "admin-web/room_commands.hpp"
#include "admin-web/server.hpp"
#include "tests/unit/admin-web/fake_abuse_desk.hpp"
#include "tests/unit/admin-web/fake_admin_store.hpp"

namespace commonroom::admin_web {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kEvil = "<script>alert(1)</script>";
constexpr const char* kEvilEscaped = "&lt;script&gt;alert(1)&lt;&#x2F;script&gt;";

struct Reply {
  int status = 0;
  std::string body;
  Poco::Net::HTTPResponse headers;
};

RoomDetail room(const std::string& jid, const std::string& link) {
  RoomDetail d;
  d.room.jid = jid;
  d.room.name = std::string("Common room ") + kEvil;
  d.room.subject = std::string("Subject ") + kEvil;
  d.room.linked = {link};
  d.affiliations.push_back({"crispin@cam.example", "owner", std::string("nick") + kEvil, ""});
  d.config.push_back({"name", std::string("\"") + kEvil + "\""});
  d.registration_requests.push_back({"newbie@cam.example", std::string("new") + kEvil, "now"});
  return d;
}

// Records the changes asked for; answers as the engine would for a room with one occupant.
class FakeRoomCommands : public RoomCommands {
 public:
  std::optional<LiveCounts> live_counts() override { return LiveCounts{2, 1, 7}; }
  std::optional<std::vector<LiveRoom>> live_rooms() override {
    return std::vector<LiveRoom>{
        {"trinity@conference.cam.example", "", 6, true, true, {"inst:TRIN"}},
        {"kings@conference.cam.example", "", 9, true, true, {"inst:KINGS"}},
        {"pop-up@conference.cam.example", kEvil, 1, false, false, {}}};
  }
  std::optional<std::vector<OccupantRow>> occupants(const std::string& room) override {
    if (room != "trinity@conference.cam.example" && room != "pop-up@conference.cam.example" &&
        room != "kings@conference.cam.example")
      return std::nullopt;
    return std::vector<OccupantRow>{
        {std::string("hag") + kEvil, "wiccarocks@cam.example", "participant", "none"}};
  }
  std::string rooms_domain() const override { return "conference.cam.example"; }
  // A small form of the engine's shape: text, boolean, list, lines and a secret.
  std::optional<std::vector<ConfigField>> config_form(const std::string& room, const std::string&,
                                                      std::string*) override {
    if (!occupants(room)) return std::nullopt;
    return std::vector<ConfigField>{
        {"FORM_TYPE", "hidden", "", "", {"http://jabber.org/protocol/muc#roomconfig"}, {}},
        {"muc#roomconfig_roomname",
         "text-single",
         "Natural-Language Room Name",
         "",
         {std::string("Common room ") + kEvil},
         {}},
        {"muc#roomconfig_membersonly", "boolean", "Make Room Members-Only?", "", {"0"}, {}},
        {"muc#roomconfig_whois",
         "list-single",
         "Who May Discover Real JIDs?",
         "Fixed by the service's policy",
         {"anyone"},
         {{"anyone", "Anyone"}}},
        {"x-commonroom#linked", "text-multi", "Linked institutions", "", {"inst:TRIN"}, {}},
        {"muc#roomconfig_roomsecret", "text-private", "Password", "", {"sesame"}, {}}};
  }
  CommandResult create(const std::string& room, const std::string& nick,
                       const std::vector<std::pair<std::string, std::string>>& fields,
                       const std::string& actor) override {
    if (room.starts_with("taken@")) return {false, "the room name \"taken\" is reserved"};
    std::string text = "create " + room + " as " + nick + " by " + actor + ":";
    for (const auto& [k, v] : fields) text += " " + k + "=" + v;
    // Saved as the rooms engine's writer would (the page waits for it).
    if (store) {
      RoomDetail saved;
      saved.room.jid = room;
      store->add_room(saved);
    }
    return record(text);
  }
  CommandResult answer_registration(const std::string& room, const std::string& jid, bool approve,
                                    const std::string& nick, const std::string& actor) override {
    return record(std::string(approve ? "approve " : "decline ") + room + " " + jid + " as " +
                  nick + " by " + actor);
  }
  CommandResult configure(const std::string& room,
                          const std::vector<std::pair<std::string, std::string>>& fields,
                          const std::string& actor) override {
    std::string text = "configure " + room + " by " + actor + ":";
    for (const auto& [k, v] : fields) text += " " + k + "=" + v;
    return record(text);
  }
  CommandResult kick(const std::string& room, const std::string& nick, const std::string& reason,
                     const std::string& actor) override {
    if (nick == "nobody") return {false, "no occupant has that nick"};
    return record("kick " + room + " " + nick + " (" + reason + ") by " + actor);
  }
  CommandResult set_affiliation(const std::string& room, const std::string& jid,
                                const std::string& affiliation, const std::string&,
                                const std::string& actor) override {
    return record("affiliation " + room + " " + jid + "=" + affiliation + " by " + actor);
  }
  CommandResult destroy(const std::string& room, const std::string& reason,
                        const std::string& actor) override {
    return record("destroy " + room + " (" + reason + ") by " + actor);
  }
  std::vector<std::string> done;
  FakeAdminStore* store = nullptr;

 private:
  CommandResult record(std::string what) {
    done.push_back(std::move(what));
    return {true, ""};
  }
};

// Records the directory changes asked for.
// As the service stores a CRSid: without surrounding spaces, in lower case.
std::string stored_uid(std::string uid) {
  uid.erase(0, uid.find_first_not_of(' '));
  uid.erase(uid.find_last_not_of(' ') + 1);
  for (char& c : uid) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return uid;
}

class FakeDirectoryActions : public DirectoryActions {
 public:
  DirectoryActionResult start_sync(bool full) override {
    done.push_back(full ? "sync full" : "sync incremental");
    return {true, true, "started", ""};
  }
  bool sync_running() override { return !done.empty(); }
  DirectoryActionResult opt_out(const std::string& uid, const std::string& note) override {
    if (uid == "not a crsid") return {false, false, "\"not a crsid\" is not a CRSid", ""};
    done.push_back("opt-out " + uid + " (" + note + ")");
    return {true, uid != "again1", "opted out", stored_uid(uid)};
  }
  DirectoryActionResult opt_in(const std::string& uid) override {
    done.push_back("opt-in " + uid);
    return {true, true, "opted back in", stored_uid(uid)};
  }
  std::vector<std::string> done;
};

class AdminWebAccess : public ::testing::Test {
 protected:
  void SetUp() override {
    store_.grant("ada", "admin");
    store_.grant("rita", "room-manager", "inst:TRIN");
    store_.grant("abe", "abuse");
    store_.grant("aud", "auditor");
    store_.add_room(room("trinity@conference.cam.example", "inst:TRIN"));
    store_.add_room(room("kings@conference.cam.example", "inst:KINGS"));
    PersonRow p;
    p.uid = "spqr1";
    p.jid = "spqr1@cam.example";
    p.display_name = std::string("Sam ") + kEvil;
    p.mail = std::string("spqr1@cam.example") + kEvil;
    p.institutions = {kEvil};
    store_.add_person(p);
    for (const char* who : {"ada", "rita", "abe", "aud"}) cookies_[who] = store_.open_session(who);
    ServerOptions options;
    options.port = 0;
    options.store = &store_;
    options.room_commands = &commands_;
    commands_.store = &store_;
    options.directory_actions = &directory_;
    options.abuse_desk = &abuse_;
    server_ = std::make_unique<Server>(
        options, StatusSource([] { return std::vector<HostConnectionStatus>{}; }));
    server_->start();
  }

  Reply send(const std::string& method, const std::string& uri, const std::string& who = "",
             const std::string& body = "", const std::string& host = "") {
    Poco::Net::HTTPClientSession session("127.0.0.1", server_->port());
    session.setTimeout(Poco::Timespan(5, 0));
    Poco::Net::HTTPRequest req(method, uri, Poco::Net::HTTPMessage::HTTP_1_1);
    if (!host.empty()) req.setHost(host);
    if (!who.empty()) req.set("Cookie", "commonroom_session=" + cookies_.at(who));
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
  FakeRoomCommands commands_;
  FakeDirectoryActions directory_;
  FakeAbuseDesk abuse_;
  std::map<std::string, std::string> cookies_;
  std::unique_ptr<Server> server_;
};

TEST_F(AdminWebAccess, EveryRouteAnswersEveryRoleAsTheTableSays) {
  // "" is no session: pages send the browser to sign in.
  const std::vector<std::string> who = {"", "ada", "rita", "abe", "aud"};
  struct Row {
    std::string uri;
    std::vector<int> status;  // in the order of `who`
  };
  const std::vector<Row> table = {
      {"/", {302, 200, 200, 200, 200}},
      {"/rooms", {302, 200, 200, 200, 403}},
      {"/rooms?q=trinity", {302, 200, 200, 200, 403}},
      {"/rooms/trinity@conference.cam.example", {302, 200, 200, 200, 403}},
      // Not rita's college: as if it did not exist.
      {"/rooms/kings@conference.cam.example", {302, 200, 404, 200, 403}},
      {"/directory", {302, 200, 200, 200, 403}},
      {"/directory?q=Sam", {302, 200, 200, 200, 403}},
      {"/directory/spqr1", {302, 200, 200, 200, 403}},
      {"/directory/sync", {302, 200, 200, 200, 403}},
      {"/audit", {302, 200, 403, 403, 200}},
      {"/policy", {302, 200, 200, 200, 200}},
      {"/rooms/new", {302, 200, 200, 200, 403}},
      {"/sign-in", {200, 200, 200, 200, 200}},
      {"/style.css", {200, 200, 200, 200, 200}},
      {"/healthz", {200, 200, 200, 200, 200}},
      {"/metrics", {200, 200, 200, 200, 200}},
      {"/auth/link?token=00", {403, 403, 403, 403, 403}},
      {"/auth/raven", {404, 404, 404, 404, 404}},  // not configured here
      {"/auth/proxy", {404, 404, 404, 404, 404}},
      // The abuse workspace: admin and abuse staff only.
      {"/abuse", {302, 200, 403, 200, 403}},
      {"/abuse?case=C-1&words=idiot", {302, 200, 403, 200, 403}},
      {"/abuse/context?case=C-1&event=e1", {302, 200, 403, 200, 403}},
      {"/abuse/bans", {302, 200, 403, 200, 403}},
      {"/abuse/holds", {302, 200, 403, 200, 403}},
  };
  for (const auto& row : table)
    for (size_t i = 0; i < who.size(); ++i) {
      SCOPED_TRACE(row.uri + " as " + (who[i].empty() ? "nobody" : who[i]));
      Reply r = send("GET", row.uri, who[i]);
      EXPECT_EQ(r.status, row.status[i]);
      if (r.status == 302) {
        std::string next;
        for (char c : row.uri)
          next += c == '?'   ? std::string("%3F")
                  : c == '=' ? std::string("%3D")
                  : c == '&' ? std::string("%26")
                             : std::string(1, c);
        EXPECT_EQ(r.headers.get("Location", ""), "/sign-in?next=" + next);
      }
    }
  // Room changes: 303 back to the room when allowed; a room manager's other rooms do not
  // exist for them; without a session, or without the rooms role, 403.
  const std::vector<std::pair<std::string, std::vector<int>>> posts = {
      {"/rooms/trinity@conference.cam.example/kick", {403, 303, 303, 303, 403}},
      {"/rooms/kings@conference.cam.example/kick", {403, 303, 404, 303, 403}},
      {"/rooms/trinity@conference.cam.example/configure", {403, 303, 303, 303, 403}},
      {"/rooms/trinity@conference.cam.example/affiliation", {403, 303, 303, 303, 403}},
      {"/rooms/kings@conference.cam.example/destroy", {403, 303, 404, 303, 403}},
      {"/rooms/trinity@conference.cam.example/"
       "registration?jid=newbie%40cam.example&decision=approve",
       {403, 303, 303, 303, 403}},
      {"/rooms/kings@conference.cam.example/registration?jid=newbie%40cam.example&decision=decline",
       {403, 303, 404, 303, 403}},
      // Creating: admins and abuse staff may create any room; rita only Trinity's (below).
      {"/rooms/new?address=jcr&owners=ann%40cam.example&linked=inst%3ATRIN",
       {403, 303, 303, 303, 403}},
      // Directory changes are for service admins only.
      {"/directory/sync", {403, 303, 403, 403, 403}},
      {"/directory/opt-outs?uid=spqr1", {403, 303, 403, 403, 403}},
      {"/abuse/export", {403, 200, 403, 200, 403}},
      {"/abuse/bans/place", {403, 303, 403, 409, 403}},  // abe: ada banned x a moment ago
      {"/abuse/bans/lift", {403, 303, 403, 409, 403}},   // abe: ada lifted it already
      {"/abuse/holds/preview", {403, 200, 403, 200, 403}},
      {"/abuse/holds/place", {403, 303, 403, 303, 403}},
      {"/abuse/holds/release", {403, 303, 403, 303, 403}},
  };
  for (const auto& [uri, status] : posts)
    for (size_t i = 0; i < who.size(); ++i) {
      SCOPED_TRACE("POST " + uri + " as " + (who[i].empty() ? "nobody" : who[i]));
      EXPECT_EQ(
          send("POST", uri, who[i],
               "nick=x&reason=r&case=C-1&words=w&subject=x%40cam.example&kind=user&csrf=csrf-" +
                   who[i])
              .status,
          status[i]);
    }
  // The one state-changing route: with the session's token, each role may sign out.
  EXPECT_EQ(send("POST", "/sign-out", "", "csrf=x").status, 403);
  for (const char* w : {"ada", "rita", "abe", "aud"}) {
    SCOPED_TRACE(w);
    EXPECT_EQ(send("POST", "/sign-out", w, std::string("csrf=csrf-") + w).status, 302);
  }
}

TEST_F(AdminWebAccess, SignOutWithoutOrWithAWrongCsrfTokenIs403AndTheSessionStays) {
  Reply missing = send("POST", "/sign-out", "ada", "");
  EXPECT_EQ(missing.status, 403);
  EXPECT_THAT(missing.body, HasSubstr("CSRF"));
  EXPECT_EQ(send("POST", "/sign-out", "ada", "csrf=csrf-rita").status, 403);
  EXPECT_TRUE(store_.session_open(cookies_["ada"]));
  Reply ok = send("POST", "/sign-out", "ada", "csrf=csrf-ada");
  EXPECT_EQ(ok.status, 302);
  EXPECT_EQ(ok.headers.get("Location", ""), "/sign-in");
  EXPECT_FALSE(store_.session_open(cookies_["ada"]));
  EXPECT_EQ(send("GET", "/", "ada").status, 302) << "the cookie is worth nothing after sign-out";
}

TEST_F(AdminWebAccess, RoomChangesNeedTheCsrfTokenAndNameTheSignedInUser) {
  const std::string kick = "/rooms/trinity@conference.cam.example/kick";
  EXPECT_EQ(send("POST", kick, "rita", "nick=hag&reason=spam").status, 403);
  EXPECT_EQ(send("POST", kick, "rita", "nick=hag&reason=spam&csrf=csrf-ada").status, 403);
  EXPECT_TRUE(commands_.done.empty()) << "nothing may change without the session's token";
  Reply ok = send("POST", kick, "rita", "nick=hag&reason=spam&csrf=csrf-rita");
  EXPECT_EQ(ok.status, 303);
  EXPECT_EQ(ok.headers.get("Location", ""), "/rooms/trinity@conference.cam.example?done=kick");
  ASSERT_EQ(commands_.done.size(), 1u);
  EXPECT_EQ(commands_.done[0], "kick trinity@conference.cam.example hag (spam) by rita");
  const auto audit = store_.audit_log();
  ASSERT_FALSE(audit.empty());
  EXPECT_EQ(audit.back().actor, "rita");
  EXPECT_EQ(audit.back().action, "room.kick");
  EXPECT_EQ(audit.back().object, "trinity@conference.cam.example");
  // A name typed into the form is not the actor.
  send("POST", "/rooms/trinity@conference.cam.example/configure", "rita",
       "muc%23roomconfig_roomname=Trinity&actor=ada&csrf=csrf-rita");
  EXPECT_EQ(commands_.done.back(),
            "configure trinity@conference.cam.example by rita: muc#roomconfig_roomname=Trinity");
}

TEST_F(AdminWebAccess, ARefusedRoomChangeSaysWhyAndIsAudited) {
  Reply r = send("POST", "/rooms/trinity@conference.cam.example/kick", "ada",
                 "nick=nobody&csrf=csrf-ada");
  EXPECT_EQ(r.status, 409);
  EXPECT_THAT(r.body, HasSubstr("no occupant has that nick"));
  EXPECT_THAT(store_.audit_log().back().detail, HasSubstr("\"ok\":false"));
}

TEST_F(AdminWebAccess, GetCannotSignOutOrChangeAnything) {
  EXPECT_EQ(send("GET", "/sign-out", "ada").status, 405);
  EXPECT_TRUE(store_.session_open(cookies_["ada"]));
  EXPECT_EQ(send("GET", "/rooms/trinity@conference.cam.example/destroy", "ada").status, 404);
  EXPECT_TRUE(commands_.done.empty());
}

TEST_F(AdminWebAccess, TemporaryRoomsAreListedAndOpenForThoseWhoSeeEveryRoom) {
  Reply list = send("GET", "/rooms", "abe");
  EXPECT_THAT(list.body, HasSubstr("Temporary rooms open now"));
  EXPECT_THAT(list.body, HasSubstr("pop-up@conference.cam.example"));
  EXPECT_THAT(list.body, Not(HasSubstr("<script")));
  EXPECT_EQ(send("GET", "/rooms/pop-up@conference.cam.example", "abe").status, 200);
  EXPECT_EQ(send("POST", "/rooms/pop-up@conference.cam.example/destroy", "abe",
                 "reason=spam&csrf=csrf-abe")
                .status,
            303);
  // A room manager's rooms are their stored ones.
  EXPECT_THAT(send("GET", "/rooms", "rita").body, Not(HasSubstr("pop-up@")));
  EXPECT_EQ(send("GET", "/rooms/pop-up@conference.cam.example", "rita").status, 404);
  EXPECT_EQ(send("POST", "/rooms/pop-up@conference.cam.example/destroy", "rita",
                 "reason=spam&csrf=csrf-rita")
                .status,
            404);
  EXPECT_EQ(send("GET", "/rooms/gone@conference.cam.example", "ada").status, 404);
}

TEST_F(AdminWebAccess, TheDashboardCountsTheRoomsAndOccupantsOfNow) {
  EXPECT_THAT(send("GET", "/", "aud").body,
              HasSubstr("Now: 2 open room(s) (1 temporary), 7 occupant(s)."));
}

TEST_F(AdminWebAccess, TheDashboardShowsMessagesPerHourOfTheLastDay) {
  const std::string page = send("GET", "/", "aud").body;
  EXPECT_THAT(page, HasSubstr("Room messages in the last 24 hours (276 in all)"));
  EXPECT_THAT(page, HasSubstr("<td>23:00</td><td>23</td>"));
}

TEST_F(AdminWebAccess, TheRoomsListSortsByOccupantsNowWithinTheViewersScope) {
  const std::string all = send("GET", "/rooms?sort=occupants", "ada").body;
  const auto kings = all.find("kings@"), trinity = all.find("trinity@"),
             popup = all.find("pop-up@");
  ASSERT_NE(kings, std::string::npos);
  EXPECT_LT(kings, trinity) << "9 people before 6";
  EXPECT_LT(trinity, popup) << "6 before 1";
  EXPECT_THAT(all, HasSubstr("<td>1 (temporary room)</td>"));
  const std::string rita = send("GET", "/rooms?sort=occupants", "rita").body;
  EXPECT_THAT(rita, HasSubstr("trinity@"));
  EXPECT_THAT(rita, Not(HasSubstr("kings@")));
  EXPECT_THAT(rita, Not(HasSubstr("pop-up@")));
  EXPECT_EQ(send("GET", "/rooms?sort=name", "ada").status, 200);
  EXPECT_EQ(send("GET", "/rooms?sort=activity&after_key=x&quiet=1", "ada").status, 200);
  EXPECT_EQ(send("GET", "/rooms?q=" + std::string(300, 'a'), "ada").status, 400);
}

TEST_F(AdminWebAccess, PagesCarryTheCsrfTokenInTheirSignOutForm) {
  EXPECT_THAT(send("GET", "/", "rita").body,
              HasSubstr("<input type=\"hidden\" name=\"csrf\" value=\"csrf-rita\">"));
}

TEST_F(AdminWebAccess, AForeignHostHeaderIsRefused) {
  // DNS rebinding: a page on evil.example whose name now resolves to 127.0.0.1.
  const std::string port = std::to_string(server_->port());
  EXPECT_EQ(send("GET", "/", "ada", "", "evil.example:" + port).status, 421);
  EXPECT_EQ(send("GET", "/healthz", "", "", "evil.example").status, 421);
  EXPECT_EQ(send("GET", "/", "ada", "", "localhost:" + port).status, 200);
}

TEST_F(AdminWebAccess, ARoomManagerListsOnlyTheirCollegesRooms) {
  Reply r = send("GET", "/rooms", "rita");
  EXPECT_THAT(r.body, HasSubstr("trinity@conference.cam.example"));
  EXPECT_THAT(r.body, Not(HasSubstr("kings@conference.cam.example")));
  EXPECT_THAT(r.body, HasSubstr("You manage these rooms: inst:TRIN"));
  Reply all = send("GET", "/rooms", "abe");
  EXPECT_THAT(all.body, HasSubstr("kings@conference.cam.example"));
}

TEST_F(AdminWebAccess, ScriptInRoomNameNickSubjectAndDirectoryFieldsRendersAsText) {
  EXPECT_THAT(send("GET", "/rooms/trinity@conference.cam.example", "ada").body,
              HasSubstr(std::string("hag") + kEvilEscaped));
  for (const char* uri : {"/rooms", "/rooms/trinity@conference.cam.example", "/directory?q=Sam",
                          "/directory/spqr1", "/directory?q=%3Cscript%3E", "/directory/sync"}) {
    SCOPED_TRACE(uri);
    Reply r = send("GET", uri, "ada");
    EXPECT_EQ(r.status, 200);
    EXPECT_THAT(r.body, Not(HasSubstr("<script")));
  }
  EXPECT_THAT(send("GET", "/rooms", "ada").body, HasSubstr(std::string("Subject ") + kEvilEscaped));
  const std::string page = send("GET", "/rooms/trinity@conference.cam.example", "ada").body;
  EXPECT_THAT(page, HasSubstr(std::string("nick") + kEvilEscaped));
  EXPECT_THAT(page, HasSubstr(std::string("new") + kEvilEscaped));
  EXPECT_THAT(page, HasSubstr(std::string("Common room ") + kEvilEscaped));
  EXPECT_THAT(send("GET", "/directory/spqr1", "ada").body,
              HasSubstr(std::string("Sam ") + kEvilEscaped));
}

TEST_F(AdminWebAccess, ARoomIsCreatedThroughTheRoomsEngineAndAudited) {
  Reply form = send("GET", "/rooms/new", "ada");
  EXPECT_THAT(form.body, HasSubstr("@conference.cam.example"));
  EXPECT_THAT(form.body, HasSubstr("name=\"csrf\" value=\"csrf-ada\""));
  EXPECT_EQ(send("POST", "/rooms/new", "ada", "address=jcr&owners=ann%40cam.example").status, 403)
      << "no CSRF token";
  Reply ok = send("POST", "/rooms/new", "ada",
                  "address=JCR&name=Junior+Common+Room&linked=inst%3ATRIN%0Agroup%3A1"
                  "&members_only=1&public_room=0&owners=ann%40cam.example%0Abob%40cam.example"
                  "&csrf=csrf-ada");
  EXPECT_EQ(ok.status, 303);
  EXPECT_EQ(ok.headers.get("Location", ""), "/rooms/jcr@conference.cam.example?done=create");
  ASSERT_FALSE(commands_.done.empty());
  EXPECT_EQ(commands_.done.back(),
            "create jcr@conference.cam.example as ada by ada: muc#roomconfig_roomname=Junior "
            "Common Room muc#roomconfig_roomdesc= muc#roomconfig_membersonly=1 "
            "muc#roomconfig_publicroom=0 x-commonroom#linked=inst:TRIN\ngroup:1 "
            "muc#roomconfig_roomowners=ann@cam.example muc#roomconfig_roomowners=bob@cam.example");
  EXPECT_EQ(store_.audit_log().back().action, "room.create");
  EXPECT_EQ(store_.audit_log().back().object, "jcr@conference.cam.example");
  EXPECT_THAT(store_.audit_log().back().detail, HasSubstr("\"ok\":true"));
}

TEST_F(AdminWebAccess, ARefusedCreationSaysWhyKeepsTheFormAndIsAudited) {
  Reply r = send("POST", "/rooms/new", "ada",
                 "address=taken&name=%3Cscript%3Ealert(1)%3C%2Fscript%3E&owners=ann%40cam.example"
                 "&csrf=csrf-ada");
  EXPECT_EQ(r.status, 409);
  EXPECT_THAT(r.body, HasSubstr("refused to create taken@conference.cam.example: the room name "
                                "&quot;taken&quot; is reserved"));
  EXPECT_THAT(r.body, HasSubstr(kEvilEscaped)) << "what was typed comes back, as text";
  EXPECT_THAT(r.body, Not(HasSubstr("<script")));
  EXPECT_THAT(store_.audit_log().back().detail, HasSubstr("\"ok\":false"));
  // Checked before the engine is asked: an owner is needed, and an address.
  const auto before = commands_.done.size();
  EXPECT_THAT(send("POST", "/rooms/new", "ada", "address=x&csrf=csrf-ada").body,
              HasSubstr("give at least one owner"));
  EXPECT_THAT(send("POST", "/rooms/new", "ada", "address=a%2Fb&owners=a%40b&csrf=csrf-ada").body,
              HasSubstr("may not contain"));
  EXPECT_EQ(send("POST", "/rooms/new", "ada",
                 "address=" + std::string(300, 'a') + "&owners=a%40b&csrf=csrf-ada")
                .status,
            400);
  EXPECT_EQ(commands_.done.size(), before);
}

TEST_F(AdminWebAccess, ARoomManagerCreatesOnlyRoomsLinkedToWhatTheyManage) {
  const auto before = commands_.done.size();
  Reply other = send("POST", "/rooms/new", "rita",
                     "address=kcr&linked=inst%3AKINGS&owners=ann%40cam.example&csrf=csrf-rita");
  EXPECT_EQ(other.status, 400);
  EXPECT_THAT(other.body, HasSubstr("you manage rooms of inst:TRIN, not of inst:KINGS"));
  Reply unlinked =
      send("POST", "/rooms/new", "rita", "address=kcr&owners=ann%40cam.example&csrf=csrf-rita");
  EXPECT_EQ(unlinked.status, 400);
  EXPECT_THAT(unlinked.body, HasSubstr("link the room to inst:TRIN"));
  EXPECT_EQ(commands_.done.size(), before);
  EXPECT_EQ(send("POST", "/rooms/new", "rita",
                 "address=tcr&linked=inst%3Atrin&owners=ann%40cam.example&csrf=csrf-rita")
                .status,
            303);
  // Nor may they move one of their rooms out of their scope.
  EXPECT_EQ(send("POST", "/rooms/trinity@conference.cam.example/configure", "rita",
                 "x-commonroom%23linked=inst%3ATRIN%0Ainst%3AKINGS&csrf=csrf-rita")
                .status,
            403);
}

TEST_F(AdminWebAccess, TheConfigurationFormIsTheEnginesWithoutItsSecrets) {
  const std::string page = send("GET", "/rooms/trinity@conference.cam.example", "rita").body;
  EXPECT_THAT(page, HasSubstr("Natural-Language Room Name"));
  EXPECT_THAT(page, HasSubstr("name=\"muc#roomconfig_membersonly\""));
  EXPECT_THAT(page, HasSubstr("Fixed by the service&#39;s policy"));
  EXPECT_THAT(page, HasSubstr("<option value=\"anyone\" selected>Anyone</option>"));
  EXPECT_THAT(page, HasSubstr("name=\"muc#roomconfig_roomsecret\" type=\"password\""));
  EXPECT_THAT(page, Not(HasSubstr("sesame"))) << "the room password is never shown";
  EXPECT_THAT(page, HasSubstr(std::string("value=\"Common room ") + kEvilEscaped));
  // Every field of the form comes back; lines become values; a blank password is kept.
  Reply ok = send("POST", "/rooms/trinity@conference.cam.example/configure", "rita",
                  "muc%23roomconfig_roomname=JCR&muc%23roomconfig_membersonly=1"
                  "&muc%23roomconfig_whois=anyone&x-commonroom%23linked=inst%3ATRIN%0D%0A"
                  "&muc%23roomconfig_roomsecret=&unknown=1&csrf=csrf-rita");
  EXPECT_EQ(ok.status, 303);
  EXPECT_EQ(commands_.done.back(),
            "configure trinity@conference.cam.example by rita: muc#roomconfig_roomname=JCR "
            "muc#roomconfig_membersonly=1 muc#roomconfig_whois=anyone "
            "x-commonroom#linked=inst:TRIN");
  send("POST", "/rooms/trinity@conference.cam.example/configure", "ada",
       "muc%23roomconfig_roomsecret=hunter2&csrf=csrf-ada");
  EXPECT_EQ(commands_.done.back(),
            "configure trinity@conference.cam.example by ada: muc#roomconfig_roomsecret=hunter2");
  EXPECT_THAT(store_.audit_log().back().detail, Not(HasSubstr("hunter2")));
  // A temporary room open now has the same form.
  EXPECT_THAT(send("GET", "/rooms/pop-up@conference.cam.example", "ada").body,
              HasSubstr("name=\"muc#roomconfig_roomname\""));
}

TEST_F(AdminWebAccess, RegistrationRequestsAreAnsweredFromTheRoomPageAndAudited) {
  const std::string page = send("GET", "/rooms/trinity@conference.cam.example", "rita").body;
  EXPECT_THAT(page, HasSubstr("Approve newbie@cam.example"));
  Reply ok = send("POST", "/rooms/trinity@conference.cam.example/registration", "rita",
                  "jid=newbie%40cam.example&nick=Newbie&decision=approve&csrf=csrf-rita");
  EXPECT_EQ(ok.status, 303);
  EXPECT_EQ(ok.headers.get("Location", ""),
            "/rooms/trinity@conference.cam.example?done=approve&who=newbie@cam.example");
  EXPECT_EQ(commands_.done.back(),
            "approve trinity@conference.cam.example newbie@cam.example as Newbie by rita");
  EXPECT_EQ(store_.audit_log().back().action, "room.registration_approve");
  send("POST", "/rooms/trinity@conference.cam.example/registration", "rita",
       "jid=newbie%40cam.example&decision=decline&csrf=csrf-rita");
  EXPECT_EQ(store_.audit_log().back().action, "room.registration_decline");
  EXPECT_THAT(
      send("GET", "/rooms/trinity@conference.cam.example?done=approve&who=x%40y", "rita").body,
      HasSubstr("The registration request of x@y is approved"));
  EXPECT_EQ(send("POST", "/rooms/trinity@conference.cam.example/registration", "rita",
                 "jid=newbie%40cam.example&decision=maybe&csrf=csrf-rita")
                .status,
            400);
}

TEST_F(AdminWebAccess, AdminsSyncTheDirectoryAndChangeOptOutsAudited) {
  const std::string page = send("GET", "/directory/sync", "ada").body;
  EXPECT_THAT(page, HasSubstr("Sync now"));
  EXPECT_THAT(page, HasSubstr("Leave out of the directory"));
  EXPECT_THAT(send("GET", "/directory/sync", "rita").body, Not(HasSubstr("Sync now")))
      << "room managers read the sync page, without its buttons";
  Reply sync = send("POST", "/directory/sync", "ada", "kind=full&csrf=csrf-ada");
  EXPECT_EQ(sync.status, 303);
  EXPECT_EQ(sync.headers.get("Location", ""), "/directory/sync?started=full");
  EXPECT_EQ(directory_.done.back(), "sync full");
  EXPECT_EQ(store_.audit_log().back().action, "directory.sync");
  EXPECT_THAT(send("GET", "/directory/sync?started=full", "ada").body,
              HasSubstr("A full sync from LDAP has started."));

  Reply out = send("POST", "/directory/opt-outs", "ada",
                   "uid=spqr1&note=ticket+42%3Cscript%3E&change=out&csrf=csrf-ada");
  EXPECT_EQ(out.status, 303);
  EXPECT_EQ(out.headers.get("Location", ""), "/directory/sync?done=opted-out&uid=spqr1");
  EXPECT_EQ(directory_.done.back(), "opt-out spqr1 (ticket 42<script>)");
  EXPECT_EQ(store_.audit_log().back().action, "directory.opt_out");
  EXPECT_EQ(store_.audit_log().back().object, "spqr1");
  EXPECT_THAT(send("GET", "/directory/sync?done=opted-out&uid=spqr1", "ada").body,
              HasSubstr("spqr1 is out of the directory now"));
  EXPECT_EQ(send("POST", "/directory/opt-outs", "ada", "uid=spqr1&change=in&csrf=csrf-ada")
                .headers.get("Location", ""),
            "/directory/sync?done=opted-in&uid=spqr1");
  EXPECT_EQ(directory_.done.back(), "opt-in spqr1");
  // Typed with spaces and capitals: the trail and the page name the CRSid as stored.
  Reply typed = send("POST", "/directory/opt-outs", "ada", "uid=+SPQR2+&change=out&csrf=csrf-ada");
  EXPECT_EQ(typed.headers.get("Location", ""), "/directory/sync?done=opted-out&uid=spqr2");
  EXPECT_EQ(store_.audit_log().back().object, "spqr2");
  EXPECT_THAT(store_.audit_log().back().detail, HasSubstr("\"typed\":\" SPQR2 \""));
  Reply bad = send("POST", "/directory/opt-outs", "ada", "uid=not+a+crsid&csrf=csrf-ada");
  EXPECT_EQ(bad.status, 400);
  EXPECT_THAT(bad.body, HasSubstr("is not a CRSid"));
  EXPECT_EQ(send("POST", "/directory/opt-outs", "ada",
                 "uid=spqr1&note=" + std::string(1001, 'x') + "&csrf=csrf-ada")
                .status,
            400);
}

TEST_F(AdminWebAccess, SignInPageKeepsOnlyLocalNextPaths) {
  EXPECT_THAT(send("GET", "/sign-in?next=//evil.example/").body, Not(HasSubstr("evil.example")));
}

}  // namespace
}  // namespace commonroom::admin_web
