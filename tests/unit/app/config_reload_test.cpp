// Which changed keys a SIGHUP reload applies and which it names as needing a restart.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "app/config_reload.hpp"
#include "tests/unit/app/config_file_fixture.hpp"

namespace commonroom::app {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

class ConfigReload : public ConfigFileTest {
 protected:
  RawSettings raw(const std::string& ini) {
    load(ini);
    return read_raw_settings(path_);
  }
};

TEST_F(ConfigReload, ReadsValuesAsTheConfigReaderDoes) {
  auto r =
      raw("; comment\n[policy]\nroom_quota = 5   ; inline\nroom_name_pattern = \"a ;b\"\n"
          "reserved_nicks = \"say \\\"hi\\\" \\\\ bye\" ; x\n");
  EXPECT_EQ((r[{"policy", "room_quota"}]), "5");
  EXPECT_EQ((r[{"policy", "room_name_pattern"}]), "a ;b");
  EXPECT_EQ((r[{"policy", "reserved_nicks"}]), "say \"hi\" \\ bye");
}

TEST_F(ConfigReload, PolicyLogLevelsAndSyncScheduleAreApplied) {
  auto before =
      raw("[logging]\nlevel = information\n[policy]\nmax_message_bytes = 1000\n"
          "[ldap]\nfull_sync_interval_minutes = 1440\nuri = ldap://a\n");
  auto after =
      raw("[logging]\nlevel = debug\nlevel.muc = trace\n[policy]\nmax_message_bytes = 200\n"
          "[ldap]\nfull_sync_interval_minutes = 60\nuri = ldap://a\n");
  auto plan = plan_reload(before, after);
  EXPECT_THAT(plan.applied, ElementsAre("[ldap] full_sync_interval_minutes", "[logging] level",
                                        "[logging] level.muc", "[policy] max_message_bytes"));
  EXPECT_THAT(plan.needs_restart, IsEmpty());
  EXPECT_TRUE(plan.log_levels);
  EXPECT_TRUE(plan.policy);
  EXPECT_TRUE(plan.sync_schedule);
}

TEST_F(ConfigReload, EverythingElseNeedsARestart) {
  auto before =
      raw("[links]\nport = 5347\n[policy]\nretention_days = 0\n[ldap]\nuri = ldap://a\n"
          "[logging]\nchannel = console\n");
  auto after =
      raw("[links]\nport = 5348\n[policy]\nretention_days = 30\n[ldap]\nuri = ldap://b\n"
          "[logging]\nchannel = file\nfile = /tmp/x.log\n[database]\nuri = postgresql:///x\n");
  auto plan = plan_reload(before, after);
  EXPECT_THAT(plan.applied, IsEmpty());
  EXPECT_THAT(plan.needs_restart,
              ElementsAre("[database] uri", "[ldap] uri", "[links] port", "[logging] channel",
                          "[logging] file", "[policy] retention_days"));
  EXPECT_FALSE(plan.policy);
}

TEST_F(ConfigReload, UnchangedFileChangesNothing) {
  auto same = raw("[muc]\ndomain = conference.cam.example\n[policy]\nroom_quota = 3\n");
  auto plan = plan_reload(same, same);
  EXPECT_THAT(plan.applied, IsEmpty());
  EXPECT_THAT(plan.needs_restart, IsEmpty());
}

}  // namespace
}  // namespace commonroom::app
