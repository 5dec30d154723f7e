// The [policy] retention_days and retention_check_hours keys (docs/policies.md).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "app/config.hpp"
#include "tests/unit/app/config_file_fixture.hpp"

namespace commonroom::app {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// Rooms need [database] (decision 0018).
constexpr const char* kMuc =
    "[database]\nuri = postgresql://commonroom@127.0.0.1/cr\n"
    "[muc]\ndomain = conference.cam.example\nsecret = x\n";

class RetentionConfig : public ConfigFileTest {};

TEST_F(RetentionConfig, DefaultsKeepEverything) {
  auto r = load(kMuc);
  ASSERT_THAT(r.errors, IsEmpty());
  EXPECT_EQ(r.config->retention.days, 0);
  EXPECT_EQ(r.config->retention.check_interval, std::chrono::hours(24));
}

TEST_F(RetentionConfig, ReadsBothKeys) {
  auto r = load(std::string(kMuc) + "[policy]\nretention_days = 365\nretention_check_hours = 6\n");
  ASSERT_THAT(r.errors, IsEmpty());
  EXPECT_EQ(r.config->retention.days, 365);
  EXPECT_EQ(r.config->retention.check_interval, std::chrono::hours(6));
}

TEST_F(RetentionConfig, ZeroDaysMeansKeepForever) {
  auto r = load(std::string(kMuc) + "[policy]\nretention_days = 0\n");
  ASSERT_THAT(r.errors, IsEmpty());
  EXPECT_EQ(r.config->retention.days, 0);
}

TEST_F(RetentionConfig, RejectsBadValues) {
  EXPECT_THAT(errors(std::string(kMuc) + "[policy]\nretention_days = -1\n"),
              ElementsAre(::testing::HasSubstr("retention_days")));
  EXPECT_THAT(errors(std::string(kMuc) + "[policy]\nretention_days = forever\n"),
              ElementsAre(::testing::HasSubstr("expected an integer 0-36500, got")));
  EXPECT_THAT(errors(std::string(kMuc) + "[policy]\nretention_days = 36501\n"),
              ElementsAre(::testing::HasSubstr("expected an integer 0-36500")));
  EXPECT_THAT(errors(std::string(kMuc) + "[policy]\nretention_check_hours = 0\n"),
              ElementsAre(::testing::HasSubstr("retention_check_hours")));
  EXPECT_THAT(errors(std::string(kMuc) + "[policy]\nretention_check_hours = 8761\n"),
              ElementsAre(::testing::HasSubstr("expected an integer 1-8760")));
}

TEST_F(RetentionConfig, ReportsBothErrors) {
  auto e = errors(std::string(kMuc) + "[policy]\nretention_days = x\nretention_check_hours = y\n");
  EXPECT_EQ(e.size(), 2u);
}

}  // namespace
}  // namespace commonroom::app
