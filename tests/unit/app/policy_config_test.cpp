// The [policy] section of commonroom.ini (the campus rules for rooms, docs/policies.md).
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

class PolicyConfig : public ConfigFileTest {};

TEST_F(PolicyConfig, WithoutASectionLocalUsersAreTheMucDomainsParent) {
  auto r = load(kMuc);
  ASSERT_THAT(r.errors, IsEmpty());
  const auto& p = r.config->policy;
  EXPECT_THAT(p.local_domains, ElementsAre("cam.example"));
  EXPECT_EQ(p.room_quota, 10u);
  EXPECT_EQ(p.max_users_default, 100u);
  EXPECT_EQ(p.max_users_ceiling, 1000u);
  EXPECT_THAT(p.persistent_creators, IsEmpty());
  EXPECT_THAT(p.denied_domains, IsEmpty());
}

TEST_F(PolicyConfig, ReadsEveryKey) {
  auto r = load(std::string(kMuc) +
                "[policy]\n"
                "local_domains = cam.example, staff.cam.example\n"
                "persistent_creators = staff.cam.example abc123@cam.example\n"
                "room_quota = 3\n"
                "room_name_pattern = [a-z]+\n"
                "room_name_min_length = 3\n"
                "room_name_max_length = 20\n"
                "reserved_room_names = Helpdesk, admin\n"
                "reserved_nicks = Room Bot, admin\n"
                "denied_domains = spam.example\n"
                "service_admins = root@cam.example\n"
                "max_users_default = 50\n"
                "max_users = 500\n");
  ASSERT_THAT(r.errors, IsEmpty());
  const auto& p = r.config->policy;
  EXPECT_THAT(p.local_domains, ElementsAre("cam.example", "staff.cam.example"));
  EXPECT_THAT(p.persistent_creators, ElementsAre("staff.cam.example", "abc123@cam.example"));
  EXPECT_EQ(p.room_quota, 3u);
  EXPECT_EQ(p.room_name_pattern, "[a-z]+");
  EXPECT_EQ(p.room_name_min, 3u);
  EXPECT_EQ(p.room_name_max, 20u);
  EXPECT_THAT(p.reserved_room_names, ElementsAre("helpdesk", "admin"));
  EXPECT_THAT(p.reserved_nicks, ElementsAre("Room Bot", "admin"));  // nicks may hold spaces
  EXPECT_THAT(p.denied_domains, ElementsAre("spam.example"));
  EXPECT_THAT(p.service_admins, ElementsAre("root@cam.example"));
  EXPECT_EQ(p.max_users_default, 50u);
  EXPECT_EQ(p.max_users_ceiling, 500u);
}

TEST_F(PolicyConfig, ReadsTheLimits) {
  auto r = load(std::string(kMuc) +
                "[policy]\nmax_rooms = 50\nmax_message_bytes = 4096\nmessages_per_minute = 0\n"
                "message_burst = 4\npresences_per_minute = 30\npresence_burst = 3\n"
                "max_links = 5\n");
  ASSERT_THAT(r.errors, IsEmpty());
  const auto& p = r.config->policy;
  EXPECT_EQ(p.max_rooms, 50u);
  EXPECT_EQ(p.max_message_bytes, 4096u);
  EXPECT_EQ(p.messages_per_minute, 0u);  // no message rate limit
  EXPECT_EQ(p.message_burst, 4u);
  EXPECT_EQ(p.presences_per_minute, 30u);
  EXPECT_EQ(p.presence_burst, 3u);
  EXPECT_EQ(p.max_links, 5u);
  EXPECT_THAT(errors(std::string(kMuc) + "[policy]\nmax_message_bytes = 0\n"),
              ElementsAre("commonroom.ini:7: [policy] max_message_bytes: expected an integer "
                          "1-262144, got \"0\""));
  EXPECT_THAT(errors(std::string(kMuc) + "[policy]\nmax_links = 1001\n"),
              ElementsAre("commonroom.ini:7: [policy] max_links: expected an integer "
                          "0-1000, got \"1001\""));
}

TEST_F(PolicyConfig, ReportsEveryBadValueWithItsLine) {
  EXPECT_THAT(
      errors(std::string(kMuc) + "[policy]\n"
                                 "local_domains = abc@cam.example\n"
                                 "room_name_pattern = [a-z\n"
                                 "service_admins = cam.example\n"
                                 "room_quota = lots\n"
                                 "max_users_default = 2000\n"
                                 "colour = blue\n"),
      ElementsAre(
          "commonroom.ini:7: [policy] local_domains: expected domains like cam.example separated "
          "by commas, got \"abc@cam.example\"",
          ::testing::StartsWith("commonroom.ini:8: [policy] room_name_pattern: is not a valid "
                                "regular expression: \"[a-z\""),
          "commonroom.ini:9: [policy] service_admins: expected bare JIDs like abc123@cam.example, "
          "got the domain \"cam.example\"",
          "commonroom.ini:10: [policy] room_quota: expected an integer 0-100000, got \"lots\"",
          "commonroom.ini:11: [policy] max_users_default: is greater than max_users (2000 > "
          "1000)",
          ::testing::StartsWith("commonroom.ini:12: [policy] colour: unknown key")));
}
TEST_F(PolicyConfig, DirectoryStaffMayOwnPersistentRoomsWhenListed) {
  const std::string with_index =
      std::string(kMuc) + "[directory]\ndomain = directory.cam.example\nsecret = y\n";
  auto r =
      load(with_index + "[policy]\npersistent_creators = directory:staff, abc123@cam.example\n");
  ASSERT_THAT(r.errors, IsEmpty());
  EXPECT_TRUE(r.config->policy.directory_staff_may_persist);
  EXPECT_THAT(r.config->policy.persistent_creators, ElementsAre("abc123@cam.example"));

  auto plain = load(with_index + "[policy]\npersistent_creators = abc123@cam.example\n");
  ASSERT_THAT(plain.errors, IsEmpty());
  EXPECT_FALSE(plain.config->policy.directory_staff_may_persist);

  EXPECT_THAT(errors(with_index + "[policy]\npersistent_creators = directory:students\n"),
              ElementsAre("commonroom.ini:10: [policy] persistent_creators: unknown directory "
                          "role \"directory:students\"; the directory names staff only "
                          "(directory:staff)"));
  // Without the people index there is nobody to ask.
  EXPECT_THAT(errors(std::string(kMuc) + "[policy]\npersistent_creators = directory:staff\n"),
              ElementsAre("commonroom.ini:7: [policy] persistent_creators: directory:staff needs "
                          "[directory] and [database]: staff are looked up in the directory's "
                          "people index"));
}

}  // namespace
}  // namespace commonroom::app
