// The [abuse-log] section of commonroom.ini (the durable writer of room events).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "app/config.hpp"

namespace commonroom::app {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

class AbuseLogConfig : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "commonroom-abuselog-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    for (const char* v :
         {"COMMONROOM_ABUSE_LOG_JOURNAL_DIR", "COMMONROOM_ABUSE_LOG_MODE", "STATE_DIRECTORY"}) {
      unsetenv(v);
    }
  }
  void TearDown() override {
    unsetenv("COMMONROOM_ABUSE_LOG_MODE");
    unsetenv("STATE_DIRECTORY");
    fs::remove_all(dir_);
  }

  ConfigResult load(const std::string& ini) {
    path_ = (dir_ / "commonroom.ini").string();
    std::ofstream(path_) << ini;
    return load_config(path_);
  }

  std::vector<std::string> errors(const std::string& ini) {
    std::vector<std::string> out;
    for (const auto& e : load(ini).errors) {
      std::string s = e.to_string();
      if (s.starts_with(path_)) s = "commonroom.ini" + s.substr(path_.size());
      out.push_back(s);
    }
    return out;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(AbuseLogConfig, DefaultsKeepTheJournalBesideTheConfigurationFile) {
  auto r = load("[database]\nuri = postgresql://x@127.0.0.1/db\n");
  ASSERT_THAT(r.errors, IsEmpty());
  const auto& a = r.config->abuse_log;
  EXPECT_EQ(a.journal_dir, (dir_ / "abuse-log-journal").string());
  EXPECT_TRUE(a.journal_first);  // decision 0077
  EXPECT_EQ(a.max_batch_events, 10000u);
  EXPECT_EQ(a.database_timeout, std::chrono::milliseconds(1000));
  EXPECT_EQ(a.segment_bytes, 64ull << 20);
  EXPECT_EQ(a.replay_interval, std::chrono::milliseconds(1000));
}

TEST_F(AbuseLogConfig, UnderSystemdTheDefaultIsInTheStateDirectory) {
  setenv("STATE_DIRECTORY", "/var/lib/commonroom:/var/lib/other", 1);
  auto r = load("[links]\nport = 5347\n");
  ASSERT_THAT(r.errors, IsEmpty());
  EXPECT_EQ(r.config->abuse_log.journal_dir, "/var/lib/commonroom/abuse-log-journal");
}

TEST_F(AbuseLogConfig, EveryKeyIsRead) {
  auto r = load(
      "[abuse-log]\njournal_dir = /var/lib/commonroom/journal\nmode = journal-first\n"
      "max_batch_events = 500\ndatabase_timeout_ms = 250\nsegment_mb = 8\n"
      "replay_interval_ms = 0\n");
  ASSERT_THAT(r.errors, IsEmpty());
  const auto& a = r.config->abuse_log;
  EXPECT_EQ(a.journal_dir, "/var/lib/commonroom/journal");
  EXPECT_TRUE(a.journal_first);
  EXPECT_EQ(a.max_batch_events, 500u);
  EXPECT_EQ(a.database_timeout, std::chrono::milliseconds(250));
  EXPECT_EQ(a.segment_bytes, 8ull << 20);
  EXPECT_EQ(a.replay_interval, std::chrono::milliseconds(0));
}

TEST_F(AbuseLogConfig, RelativeJournalDirIsRelativeToTheConfigurationFile) {
  auto r = load("[abuse-log]\njournal_dir = state/journal\n");
  ASSERT_THAT(r.errors, IsEmpty());
  EXPECT_EQ(r.config->abuse_log.journal_dir, (dir_ / "state" / "journal").string());
}

TEST_F(AbuseLogConfig, BadValuesNameTheKey) {
  EXPECT_THAT(errors("[abuse-log]\nmode = fast\nmax_batch_events = 0\nsegment_mb = x\n"
                     "replay_interval_ms = 60001\n"),
              ElementsAre("commonroom.ini:2: [abuse-log] mode: expected database-first or "
                          "journal-first, got \"fast\"",
                          "commonroom.ini:3: [abuse-log] max_batch_events: expected an integer "
                          "1-100000, got \"0\"",
                          "commonroom.ini:4: [abuse-log] segment_mb: expected an integer "
                          "1-4096, got \"x\"",
                          "commonroom.ini:5: [abuse-log] replay_interval_ms: expected an "
                          "integer 0-60000, got \"60001\""));
}

TEST_F(AbuseLogConfig, TheEnvironmentCanChooseTheMode) {
  setenv("COMMONROOM_ABUSE_LOG_MODE", "database-first", 1);
  auto r = load("[links]\nport = 5347\n");
  ASSERT_THAT(r.errors, IsEmpty());
  EXPECT_FALSE(r.config->abuse_log.journal_first);
}

}  // namespace
}  // namespace commonroom::app
