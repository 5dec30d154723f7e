// "directory:staff": the campus policy asks the directory's people index who is staff.
#include <gtest/gtest.h>

#include "app/directory_staff.hpp"
#include "directory/people_index.hpp"
#include "xmpp/jid.hpp"

namespace commonroom::app {
namespace {

directory::Person person(std::string uid, directory::Affiliation a) {
  directory::Person p;
  p.uid = uid;
  p.jid = uid + "@cam.example";
  p.cn = p.display_name = "Person " + uid;
  p.sn = uid;
  p.affiliation = a;
  return p;
}

TEST(IndexStaffDirectory, StaffAreWhoTheDirectorySaysAreStaff) {
  directory::PeopleIndexHolder holder;
  IndexStaffDirectory staff(holder);
  auto jid = [](const char* s) { return xmpp::Jid::parse(s); };
  // Before the index is loaded nobody is staff (persistent rooms wait, they are not opened).
  EXPECT_FALSE(staff.is_staff(jid("abc123@cam.example")));

  holder.publish(directory::PeopleIndex::build({person("abc123", directory::Affiliation::staff),
                                                person("def456", directory::Affiliation::student),
                                                person("zz999", directory::Affiliation::other)},
                                               {}));
  EXPECT_TRUE(staff.is_staff(jid("abc123@cam.example")));
  EXPECT_TRUE(staff.is_staff(jid("ABC123@cam.example/laptop"))) << "any session, any case";
  EXPECT_FALSE(staff.is_staff(jid("def456@cam.example")));
  EXPECT_FALSE(staff.is_staff(jid("zz999@cam.example")));
  EXPECT_FALSE(staff.is_staff(jid("abc123@elsewhere.example")));

  // A later sync that changes someone's affiliation takes effect with the next index.
  holder.publish(directory::PeopleIndex::build({person("abc123", directory::Affiliation::student),
                                                person("def456", directory::Affiliation::staff)},
                                               {}));
  EXPECT_FALSE(staff.is_staff(jid("abc123@cam.example")));
  EXPECT_TRUE(staff.is_staff(jid("def456@cam.example")));
}

}  // namespace
}  // namespace commonroom::app
