#include "app/config.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

extern char** environ;

namespace commonroom::app {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Each test gets its own directory with commonroom.ini in it, and a clean environment.
class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "commonroom-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "commonroom.ini").string();
    clear_environment();
  }
  void TearDown() override {
    clear_environment();
    fs::remove_all(dir_);
  }

  static void clear_environment() {
    std::vector<std::string> names;
    for (char** e = environ; *e; ++e) {
      std::string var(*e);
      std::string name = var.substr(0, var.find('='));
      for (const char* prefix :
           {"COMMONROOM_LINKS_", "COMMONROOM_MUC_", "COMMONROOM_DIRECTORY_", "COMMONROOM_DATABASE_",
            "COMMONROOM_ADMIN_WEB_", "COMMONROOM_LOGGING_"})
        if (name.starts_with(prefix)) names.push_back(name);
    }
    for (const auto& n : names) unsetenv(n.c_str());
  }

  std::string write(const std::string& name, const std::string& content, mode_t mode = 0600) {
    fs::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << content;
    chmod(p.c_str(), mode);
    return p.string();
  }

  ConfigResult load(const std::string& ini) {
    write("commonroom.ini", ini);
    return load_config(path_);
  }

  // Every error as the user sees it, with the file path shortened to "commonroom.ini".
  std::vector<std::string> errors(const std::string& ini) { return shown(load(ini).errors); }

  std::vector<std::string> shown(const std::vector<ConfigError>& list) {
    std::vector<std::string> out;
    for (const auto& e : list) {
      std::string s = e.to_string();
      if (s.starts_with(path_)) s = "commonroom.ini" + s.substr(path_.size());
      out.push_back(s);
    }
    return out;
  }

  Config valid(const std::string& ini) {
    auto r = load(ini);
    EXPECT_THAT(shown(r.errors), IsEmpty());
    if (!r.config) return Config{};
    return *r.config;
  }

  fs::path dir_;
  std::string path_;
};

// Rooms need the abuse log (decision 0018): tests of other things give them a database.
const std::string kDatabase = "[database]\nuri = postgresql://h/db\n";

TEST_F(ConfigTest, TheDocumentedExampleLoadsWithEveryValue) {
  write("directory.secret", "dir-secret\n");
  Config c = valid(R"([links]
host = 127.0.0.1            ; the host server's component listener
port = 5348
keepalive_seconds = 30      ; whitespace keepalive
backoff_initial_ms = 250
backoff_max_ms = 30000
max_stanza_bytes = 131072
max_depth = 24
[muc]
domain = conference.cam.example
secret = s3cret             ; exactly one of secret / secret_file
; secret_file = /etc/commonroom/muc.secret
[directory]
domain = directory.cam.example
secret_file = directory.secret
[database]
uri = postgresql://postgres@127.0.0.1:54320/commonroom
[admin-web]
listen = 127.0.0.1:8481
[logging]
channel = console
level = notice
level.link = debug
level.admin-web = warning
)");
  EXPECT_EQ(c.path, path_);
  EXPECT_EQ(c.host_server.host, "127.0.0.1");
  EXPECT_EQ(c.host_server.port, 5348);
  EXPECT_EQ(c.host_server.keepalive, std::chrono::seconds(30));
  EXPECT_EQ(c.host_server.backoff_initial, std::chrono::milliseconds(250));
  EXPECT_EQ(c.host_server.backoff_max, std::chrono::milliseconds(30000));
  EXPECT_EQ(c.host_server.limits.max_stanza_bytes, 131072u);
  EXPECT_EQ(c.host_server.limits.max_depth, 24u);
  ASSERT_TRUE(c.muc);
  EXPECT_EQ(c.muc->domain, "conference.cam.example");
  EXPECT_EQ(c.muc->secret, "s3cret");
  ASSERT_TRUE(c.directory);
  EXPECT_EQ(c.directory->domain, "directory.cam.example");
  EXPECT_EQ(c.directory->secret, "dir-secret");
  EXPECT_EQ(c.database_uri, "postgresql://postgres@127.0.0.1:54320/commonroom");
  EXPECT_EQ(c.admin_host, "127.0.0.1");
  EXPECT_EQ(c.admin_port, 8481);
  EXPECT_EQ(c.logging.channel, "console");
  EXPECT_EQ(c.logging.level, "notice");
  EXPECT_EQ(c.logging.levels,
            (std::map<std::string, std::string>{{"admin-web", "warning"}, {"link", "debug"}}));
}

TEST_F(ConfigTest, AnEmptyFileGivesTheDefaultsAndNoServices) {
  Config c = valid("; nothing configured\n\n# at all\n");
  EXPECT_EQ(c.host_server.host, "127.0.0.1");
  EXPECT_EQ(c.host_server.port, 5347);
  EXPECT_EQ(c.host_server.keepalive, std::chrono::seconds(60));
  EXPECT_EQ(c.host_server.backoff_initial, std::chrono::milliseconds(500));
  EXPECT_EQ(c.host_server.backoff_max, std::chrono::milliseconds(60000));
  EXPECT_EQ(c.host_server.limits.max_stanza_bytes, 262144u);
  EXPECT_EQ(c.host_server.limits.max_depth, 32u);
  EXPECT_FALSE(c.muc);
  EXPECT_FALSE(c.directory);
  EXPECT_EQ(c.database_uri, "");
  EXPECT_EQ(c.admin_host, "127.0.0.1");
  EXPECT_EQ(c.admin_port, 8480);
  EXPECT_EQ(c.logging.channel, "console");
  EXPECT_EQ(c.logging.level, "information");
}

TEST_F(ConfigTest, AMissingFileIsAnError) {
  auto r = load_config((dir_ / "nope.ini").string());
  EXPECT_FALSE(r.config);
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_EQ(r.errors[0].to_string(),
            (dir_ / "nope.ini").string() + ": cannot read the configuration file: no such file");
}

TEST_F(ConfigTest, PortMustBeAnIntegerInRange) {
  EXPECT_THAT(
      errors("[links]\nport = abc\n"),
      ElementsAre(R"(commonroom.ini:2: [links] port: expected an integer 1-65535, got "abc")"));
  EXPECT_THAT(
      errors("[links]\nport = 0\n"),
      ElementsAre(R"(commonroom.ini:2: [links] port: expected an integer 1-65535, got "0")"));
  EXPECT_THAT(
      errors("[links]\nport = 65536\n"),
      ElementsAre(R"(commonroom.ini:2: [links] port: expected an integer 1-65535, got "65536")"));
  EXPECT_THAT(errors("[links]\nport = -1\n"), ElementsAre(HasSubstr("got \"-1\"")));
  EXPECT_THAT(errors("[links]\nport = 5347x\n"), ElementsAre(HasSubstr("got \"5347x\"")));
  EXPECT_THAT(errors("[links]\nport =\n"), ElementsAre(HasSubstr("got \"\"")));
  EXPECT_THAT(errors("[links]\nport = 99999999999999999999999\n"),
              ElementsAre(HasSubstr("expected an integer 1-65535")));
}

TEST_F(ConfigTest, DurationsAndLimitsHaveSaneRanges) {
  EXPECT_THAT(
      errors("[links]\nkeepalive_seconds = 0\n"),
      ElementsAre(
          R"(commonroom.ini:2: [links] keepalive_seconds: expected an integer 1-3600, got "0")"));
  EXPECT_THAT(errors("[links]\nbackoff_initial_ms = 0\n"),
              ElementsAre(HasSubstr("[links] backoff_initial_ms: expected an integer 1-600000")));
  EXPECT_THAT(errors("[links]\nbackoff_max_ms = 3600001\n"),
              ElementsAre(HasSubstr("[links] backoff_max_ms: expected an integer 1-3600000")));
  EXPECT_THAT(
      errors("[links]\nmax_stanza_bytes = 9999\n"),
      ElementsAre(HasSubstr("[links] max_stanza_bytes: expected an integer 10000-67108864")));
  EXPECT_THAT(errors("[links]\nmax_depth = 7\n"),
              ElementsAre(HasSubstr("[links] max_depth: expected an integer 8-1024")));
  EXPECT_THAT(
      errors("[links]\nhandshake_timeout_ms = 50\n"),
      ElementsAre(HasSubstr("[links] handshake_timeout_ms: expected an integer 100-600000")));
  EXPECT_THAT(errors("[links]\nconnect_timeout_ms = soon\n"),
              ElementsAre(HasSubstr("[links] connect_timeout_ms: expected an integer 100-600000")));
  auto r = load("[links]\nconnect_timeout_ms = 1500\nhandshake_timeout_ms = 2500\n");
  ASSERT_TRUE(r.config.has_value());
  EXPECT_EQ(r.config->host_server.connect_timeout, std::chrono::milliseconds(1500));
  EXPECT_EQ(r.config->host_server.handshake_timeout, std::chrono::milliseconds(2500));
  EXPECT_THAT(
      errors("[links]\nhost = my host\n"),
      ElementsAre(
          R"(commonroom.ini:2: [links] host: expected a host name or IP address, got "my host")"));
}

TEST_F(ConfigTest, BackoffMaxMustNotBeBelowInitial) {
  EXPECT_THAT(errors("[links]\nbackoff_initial_ms = 2000\nbackoff_max_ms = 1000\n"),
              ElementsAre("commonroom.ini:3: [links] backoff_max_ms: backoff_max_ms (1000) must be "
                          "at least backoff_initial_ms (2000)"));
  // Against the default maximum too.
  EXPECT_THAT(errors("[links]\nbackoff_initial_ms = 90000\n"),
              ElementsAre(HasSubstr("[links] backoff_initial_ms: backoff_max_ms (60000) must be at "
                                    "least backoff_initial_ms (90000)")));
}

TEST_F(ConfigTest, UnknownKeySuggestsTheClosestKnownKey) {
  EXPECT_THAT(
      errors("[links]\nkeepalive = 30\n"),
      ElementsAre(
          R"(commonroom.ini:2: [links] keepalive: unknown key; did you mean "keepalive_seconds"?)"));
  EXPECT_THAT(errors("[links]\nkeepalive_secnds = 30\n"),
              ElementsAre(HasSubstr("did you mean \"keepalive_seconds\"?")));
  EXPECT_THAT(errors("[links]\nprot = 1\n"), ElementsAre(HasSubstr("did you mean \"port\"?")));
  EXPECT_THAT(errors("[links]\nPort = 1\n"), ElementsAre(HasSubstr("did you mean \"port\"?")));
}

TEST_F(ConfigTest, UnknownKeyFromAnotherSectionSaysWhereItBelongs) {
  EXPECT_THAT(
      errors("[muc]\ndomain = conference.cam.example\nsecret = x\nuri = postgresql://x/y\n" +
             kDatabase),
      ElementsAre(R"(commonroom.ini:4: [muc] uri: unknown key; "uri" belongs in [database])"));
}

TEST_F(ConfigTest, UnknownKeyWithNothingCloseListsTheKnownKeys) {
  EXPECT_THAT(
      errors("[database]\nfrobnicate = 1\nuri = postgresql://h/db\n"),
      ElementsAre("commonroom.ini:2: [database] frobnicate: unknown key (known keys: uri)"));
}

TEST_F(ConfigTest, UnknownSectionSuggestsTheClosestSectionAndSkipsItsKeys) {
  EXPECT_THAT(errors("[link]\nport = 1\nwhatever = 2\n"),
              ElementsAre("commonroom.ini:1: [link]: unknown section; did you mean [links]?"));
  EXPECT_THAT(errors("[zzz]\n"),
              ElementsAre("commonroom.ini:1: [zzz]: unknown section (known sections: [links] "
                          "[muc] [directory] [database] [admin-web] [logging] [abuse-log] "
                          "[policy] [ldap])"));
}

TEST_F(ConfigTest, DuplicateKeysAndSectionsAreErrors) {
  EXPECT_THAT(errors("[links]\nport = 1\nport = 2\n"),
              ElementsAre("commonroom.ini:3: [links] port: duplicate key (first set at line 2)"));
  EXPECT_THAT(errors("[links]\nport = 1\n[database]\nuri = postgresql://a/b\n[links]\nhost = x\n"),
              ElementsAre("commonroom.ini:5: [links]: section appears twice (first at line 1); "
                          "merge them"));
}

TEST_F(ConfigTest, SyntaxErrorsNameTheLine) {
  EXPECT_THAT(errors("port = 1\n"),
              ElementsAre("commonroom.ini:1: port: key outside any section; put it under a "
                          "[section] header"));
  EXPECT_THAT(
      errors("[links]\njust words\n"),
      ElementsAre(R"(commonroom.ini:2: [links]: expected "key = value", got "just words")"));
  EXPECT_THAT(
      errors("[links\n"),
      ElementsAre(R"(commonroom.ini:1: malformed section header "[links"; expected [name])"));
  EXPECT_THAT(errors("[links]\nhost = \"open\n"),
              ElementsAre("commonroom.ini:2: [links] host: unterminated quoted value"));
}

TEST_F(ConfigTest, EveryErrorIsReportedInFileOrder) {
  auto r = load(
      "[links]\nport = abc\nkeepalive = 1\n[muc]\ndomain = conference.cam.example\n"
      "[logging]\nlevel = loud\n[bogus]\n");
  EXPECT_FALSE(r.config);
  EXPECT_THAT(shown(r.errors),
              ElementsAre(HasSubstr(":2: [links] port:"), HasSubstr(":3: [links] keepalive:"),
                          "commonroom.ini:4: [muc] secret: missing; set secret or secret_file (the "
                          "component secret shared with the XMPP server)",
                          HasSubstr(":7: [logging] level:"), HasSubstr(":8: [bogus]:"),
                          HasSubstr("commonroom.ini: [database]: missing; the rooms service")));
}

TEST_F(ConfigTest, InlineCommentsQuotesAndCrlfAreUnderstood) {
  Config c = valid(
      "[muc]\r\ndomain = conference.cam.example ; the rooms\r\n"
      "secret = \"with ;semicolon and \\\"quote\\\"\" ; comment\r\n"
      "[directory]\ndomain = directory.cam.example\nsecret = a;b#c\n" +
      kDatabase);
  EXPECT_EQ(c.muc->domain, "conference.cam.example");
  EXPECT_EQ(c.muc->secret, "with ;semicolon and \"quote\"");
  EXPECT_EQ(c.directory->secret, "a;b#c");
}

TEST_F(ConfigTest, ServiceDomainIsPreparedAndMustBeABareDomain) {
  Config c = valid("[muc]\ndomain = Conference.CAM.Example\nsecret = x\n" + kDatabase);
  EXPECT_EQ(c.muc->domain, "conference.cam.example");
  EXPECT_THAT(errors("[muc]\ndomain = rooms@conference.cam.example\nsecret = x\n" + kDatabase),
              ElementsAre("commonroom.ini:2: [muc] domain: expected a bare domain like "
                          "muc.cam.example, got \"rooms@conference.cam.example\""));
  EXPECT_THAT(errors("[muc]\ndomain = conference.cam.example/x\nsecret = x\n" + kDatabase),
              ElementsAre(HasSubstr("expected a bare domain")));
  EXPECT_THAT(errors("[directory]\ndomain = bad domain\nsecret = x\n"),
              ElementsAre(HasSubstr(
                  "commonroom.ini:2: [directory] domain: not a valid domain \"bad domain\": ")));
  EXPECT_THAT(errors("[muc]\nsecret = x\n" + kDatabase),
              ElementsAre("commonroom.ini:1: [muc] domain: missing; [muc] needs the component "
                          "domain (or remove the section to run without this service)"));
}

TEST_F(ConfigTest, TheTwoServiceDomainsMustDiffer) {
  EXPECT_THAT(errors("[muc]\ndomain = chat.cam.example\nsecret = a\n"
                     "[directory]\ndomain = CHAT.cam.example\nsecret = b\n" +
                     kDatabase),
              ElementsAre("commonroom.ini:5: [directory] domain: must differ from [muc] domain "
                          "(both are \"chat.cam.example\"); each service needs its own component "
                          "domain"));
}

TEST_F(ConfigTest, ExactlyOneOfSecretAndSecretFile) {
  write("s", "x\n");
  EXPECT_THAT(errors("[muc]\ndomain = c.example\nsecret = a\nsecret_file = s\n" + kDatabase),
              ElementsAre("commonroom.ini:4: [muc] secret_file: set either secret or secret_file, "
                          "not both"));
  EXPECT_THAT(errors("[muc]\ndomain = c.example\nsecret =\n" + kDatabase),
              ElementsAre("commonroom.ini:3: [muc] secret: is empty"));
}

TEST_F(ConfigTest, SecretFileIsReadTrimmedAndRelativeToTheConfigFile) {
  write("muc.secret", "s3cret\r\n");
  std::string absolute = write("dir.secret", "other");
  Config c = valid(
      "[muc]\ndomain = c.example\nsecret_file = muc.secret\n[directory]\n"
      "domain = d.example\nsecret_file = " +
      absolute + "\n" + kDatabase);
  EXPECT_EQ(c.muc->secret, "s3cret");
  EXPECT_EQ(c.directory->secret, "other");
}

TEST_F(ConfigTest, SecretFileProblemsAreErrors) {
  std::string missing = (dir_ / "missing").string();
  EXPECT_THAT(errors("[muc]\ndomain = c.example\nsecret_file = missing\n" + kDatabase),
              ElementsAre("commonroom.ini:3: [muc] secret_file: cannot read " + missing +
                          ": no such file"));
  write("empty", "\n");
  EXPECT_THAT(errors("[muc]\ndomain = c.example\nsecret_file = empty\n" + kDatabase),
              ElementsAre("commonroom.ini:3: [muc] secret_file: " + (dir_ / "empty").string() +
                          " is empty"));
  write("two", "a\nb\n");
  EXPECT_THAT(errors("[muc]\ndomain = c.example\nsecret_file = two\n" + kDatabase),
              ElementsAre(HasSubstr("two has more than one line; it must hold only the secret")));
  write("big", std::string(5000, 'x'));
  EXPECT_THAT(errors("[muc]\ndomain = c.example\nsecret_file = big\n" + kDatabase),
              ElementsAre(HasSubstr("big is larger than 4 KiB")));
  fs::create_directory(dir_ / "adir");
  EXPECT_THAT(errors("[muc]\ndomain = c.example\nsecret_file = adir\n" + kDatabase),
              ElementsAre(HasSubstr("adir: not a regular file")));
  if (geteuid() != 0) {  // root reads anything
    write("locked", "x", 0000);
    EXPECT_THAT(errors("[muc]\ndomain = c.example\nsecret_file = locked\n" + kDatabase),
                ElementsAre(HasSubstr("cannot read " + (dir_ / "locked").string() + ": ")));
  }
}

TEST_F(ConfigTest, AWorldReadableSecretIsAWarningNotAnError) {
  write("open.secret", "x\n", 0644);
  auto r = load("[muc]\ndomain = c.example\nsecret_file = open.secret\n" + kDatabase);
  ASSERT_TRUE(r.config);
  EXPECT_THAT(
      shown(r.warnings),
      ElementsAre("commonroom.ini:3: [muc] secret_file: " + (dir_ / "open.secret").string() +
                  " is readable by every user; chmod 600 (or 640 with a group)"));
  write("closed.secret", "x\n", 0640);
  EXPECT_THAT(load("[muc]\ndomain = c.example\nsecret_file = closed.secret\n" + kDatabase).warnings,
              IsEmpty());
}

TEST_F(ConfigTest, AnInlineSecretInAWorldReadableFileIsAWarning) {
  write("commonroom.ini", "[muc]\ndomain = c.example\nsecret = x\n" + kDatabase, 0644);
  auto r = load_config(path_);
  ASSERT_TRUE(r.config);
  EXPECT_THAT(shown(r.warnings),
              ElementsAre(HasSubstr("commonroom.ini:3: [muc] secret: the configuration file is "
                                    "readable by every user")));
}

TEST_F(ConfigTest, DatabaseSectionNeedsAPostgresqlUri) {
  EXPECT_EQ(valid("[database]\nuri = postgres://u@h/db\n").database_uri, "postgres://u@h/db");
  EXPECT_THAT(errors("[database]\n"),
              ElementsAre("commonroom.ini:1: [database] uri: missing; [database] needs uri = "
                          "postgresql://..."));
  EXPECT_THAT(errors("[database]\nuri = mysql://h/db\n"),
              ElementsAre("commonroom.ini:2: [database] uri: expected a postgresql:// URI, e.g. "
                          "postgresql://commonroom@127.0.0.1:5432/commonroom"));
}

TEST_F(ConfigTest, RoomsWithoutADatabaseAreRefusedNamingTheSectionAndTheWayOut) {
  const std::string refusal =
      "commonroom.ini: [database]: missing; the rooms service ([muc]) logs every room for "
      "abuse handling and keeps the log in PostgreSQL, so it does not start without it. Add "
      "[database] with uri = postgresql://... (then run commonroom migrate), or, for "
      "development only, set [muc] unlogged_rooms_for_development = true";
  EXPECT_THAT(errors("[muc]\ndomain = c.example\nsecret = x\n"), ElementsAre(refusal));
  EXPECT_THAT(
      errors("[muc]\ndomain = c.example\nsecret = x\nunlogged_rooms_for_development = false\n"),
      ElementsAre(refusal));
  // The directory alone keeps nothing that claims to be logged.
  EXPECT_FALSE(
      valid("[directory]\ndomain = d.example\nsecret = x\n").unlogged_rooms_for_development);
  Config logged = valid("[muc]\ndomain = c.example\nsecret = x\n" + kDatabase);
  EXPECT_FALSE(logged.unlogged_rooms_for_development);
}

TEST_F(ConfigTest, TheDevelopmentSettingRunsUnloggedRoomsWithAWarning) {
  auto r = load("[muc]\ndomain = c.example\nsecret = x\nunlogged_rooms_for_development = true\n");
  ASSERT_TRUE(r.config) << shown(r.errors).at(0);
  EXPECT_TRUE(r.config->unlogged_rooms_for_development);
  EXPECT_THAT(shown(r.warnings),
              ElementsAre("commonroom.ini:4: [muc] unlogged_rooms_for_development: rooms are NOT "
                          "logged (no abuse log, no archive, persistent rooms lost on restart); "
                          "they say so to everyone who enters. For development only, never for "
                          "real users"));
  EXPECT_THAT(
      errors("[muc]\ndomain = c.example\nsecret = x\nunlogged_rooms_for_development = true\n" +
             kDatabase),
      ElementsAre("commonroom.ini:4: [muc] unlogged_rooms_for_development: rooms are logged "
                  "whenever [database] is configured; remove this setting"));
  EXPECT_THAT(
      errors("[muc]\ndomain = c.example\nsecret = x\nunlogged_rooms_for_development = maybe\n"),
      ElementsAre("commonroom.ini:4: [muc] unlogged_rooms_for_development: expected true or "
                  "false, got \"maybe\"",
                  HasSubstr("commonroom.ini: [database]: missing;")));
}

TEST_F(ConfigTest, AdminWebListenAcceptsIpv4Ipv6AndHostNames) {
  Config v6 = valid("[admin-web]\nlisten = [::1]:8490\n");
  EXPECT_EQ(v6.admin_host, "::1");
  EXPECT_EQ(v6.admin_port, 8490);
  Config any = valid("[admin-web]\nlisten = localhost:0\n");
  EXPECT_EQ(any.admin_host, "localhost");
  EXPECT_EQ(any.admin_port, 0);
  const std::string expected =
      "commonroom.ini:2: [admin-web] listen: expected host:port such as "
      "127.0.0.1:8480 or [::1]:8480, got ";
  EXPECT_THAT(errors("[admin-web]\nlisten = 8480\n"), ElementsAre(expected + "\"8480\" (no port)"));
  EXPECT_THAT(errors("[admin-web]\nlisten = ::1:8480\n"),
              ElementsAre(expected + "\"::1:8480\" (put an IPv6 address in brackets)"));
  EXPECT_THAT(errors("[admin-web]\nlisten = [::g]:8480\n"),
              ElementsAre(expected + "\"[::g]:8480\" (not an IPv6 address)"));
  EXPECT_THAT(errors("[admin-web]\nlisten = 127.0.0.1:65536\n"),
              ElementsAre(expected + "\"127.0.0.1:65536\" (port must be 0-65535)"));
  EXPECT_THAT(errors("[admin-web]\nlisten = 127.0.0.1:http\n"),
              ElementsAre(expected + "\"127.0.0.1:http\" (port must be 0-65535)"));
}

TEST_F(ConfigTest, LoggingChannelLevelsAndLoggersAreChecked) {
  EXPECT_THAT(
      errors("[logging]\nchannel = syslog\n"),
      ElementsAre(
          R"(commonroom.ini:2: [logging] channel: expected console or file, got "syslog")"));
  EXPECT_THAT(errors("[logging]\nchannel = file\n"),
              ElementsAre("commonroom.ini:2: [logging] file: required with channel = file"));
  EXPECT_THAT(errors("[logging]\nchannel = file\nfile = /nonexistent-dir/x.log\n"),
              ElementsAre("commonroom.ini:3: [logging] file: directory /nonexistent-dir does not "
                          "exist"));
  EXPECT_THAT(errors("[logging]\nlevel = debg\n"),
              ElementsAre("commonroom.ini:2: [logging] level: expected one of fatal critical error "
                          "warning notice information debug trace, got \"debg\"; did you mean "
                          "\"debug\"?"));
  EXPECT_THAT(errors("[logging]\nlevel.lnk = debug\n"),
              ElementsAre("commonroom.ini:2: [logging] level.lnk: unknown logger \"lnk\" (loggers: "
                          "app link muc directory store admin-web); did you mean \"level.link\"?"));
  EXPECT_THAT(errors("[logging]\nlevel.link = verbose\n"),
              ElementsAre(HasSubstr("[logging] level.link: expected one of")));
}

TEST_F(ConfigTest, RelativePathsWorkWhenTheConfigIsGivenByABareFileName) {
  write("muc.secret", "s3cret\n");
  write("commonroom.ini",
        "[muc]\ndomain = c.example\nsecret_file = muc.secret\n[logging]\n"
        "channel = file\nfile = commonroom.log\n" +
            kDatabase);
  const fs::path before = fs::current_path();
  fs::current_path(dir_);
  auto r = load_config("commonroom.ini");
  fs::current_path(before);
  ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors[0].to_string());
  EXPECT_EQ(r.config->muc->secret, "s3cret");
  EXPECT_EQ(r.config->logging.file, (dir_ / "commonroom.log").string());
}

TEST_F(ConfigTest, LogFileIsResolvedAgainstTheConfigDirectory) {
  Config c = valid("[logging]\nchannel = file\nfile = commonroom.log\n");
  EXPECT_EQ(c.logging.channel, "file");
  EXPECT_EQ(c.logging.file, (dir_ / "commonroom.log").string());
  auto r = load("[logging]\nfile = x.log\n");
  EXPECT_THAT(shown(r.warnings),
              ElementsAre("commonroom.ini:2: [logging] file: ignored because channel is not file"));
}

TEST_F(ConfigTest, EnvironmentOverridesTheFile) {
  setenv("COMMONROOM_LINKS_PORT", "6000", 1);
  setenv("COMMONROOM_ADMIN_WEB_LISTEN", "[::1]:9000", 1);
  setenv("COMMONROOM_LOGGING_LEVEL_ADMIN_WEB", "debug", 1);
  setenv("COMMONROOM_DATABASE_URI", "postgresql://env@db/x", 1);
  Config c = valid("[links]\nport = 5347\n[admin-web]\nlisten = 127.0.0.1:8480\n");
  EXPECT_EQ(c.host_server.port, 6000);
  EXPECT_EQ(c.admin_host, "::1");
  EXPECT_EQ(c.admin_port, 9000);
  EXPECT_EQ(c.logging.levels.at("admin-web"), "debug");
  EXPECT_EQ(c.database_uri, "postgresql://env@db/x");  // a section the file did not have
}

TEST_F(ConfigTest, AnInvalidEnvironmentValueNamesTheVariable) {
  setenv("COMMONROOM_LINKS_PORT", "many", 1);
  EXPECT_THAT(errors("[links]\nport = 5347\n"),
              ElementsAre("commonroom.ini: [links] port (from COMMONROOM_LINKS_PORT): expected an "
                          "integer 1-65535, got \"many\""));
}

TEST_F(ConfigTest, AnEmptyEnvironmentVariableCountsAsUnset) {
  setenv("COMMONROOM_LINKS_PORT", "", 1);
  EXPECT_EQ(valid("[links]\nport = 5400\n").host_server.port, 5400);
}

TEST_F(ConfigTest, AnEnvironmentSecretReplacesTheFilesSecretFile) {
  setenv("COMMONROOM_MUC_SECRET", "from-env", 1);
  Config c = valid("[muc]\ndomain = c.example\nsecret_file = /does/not/exist\n" + kDatabase);
  EXPECT_EQ(c.muc->secret, "from-env");
}

TEST_F(ConfigTest, EnvironmentCanAddAServiceButItMustBeComplete) {
  setenv("COMMONROOM_DIRECTORY_SECRET", "x", 1);
  EXPECT_THAT(errors(""), ElementsAre("commonroom.ini: [directory] domain: missing; [directory] "
                                      "needs the component domain (or remove the section to run "
                                      "without this service)"));
  setenv("COMMONROOM_DIRECTORY_DOMAIN", "directory.cam.example", 1);
  EXPECT_EQ(valid("").directory->domain, "directory.cam.example");
}

TEST_F(ConfigTest, KnownLoggersAreTheDocumentedOnes) {
  EXPECT_THAT(known_loggers(),
              ElementsAre("app", "link", "muc", "directory", "store", "admin-web"));
}

}  // namespace
}  // namespace commonroom::app
