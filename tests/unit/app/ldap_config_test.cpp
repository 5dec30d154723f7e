// The [ldap] section of commonroom.ini: defaults, every key, and precise errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace commonroom::app {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using namespace std::chrono_literals;

class LdapConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "commonroom-ldap-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "commonroom.ini").string();
    unsetenv("COMMONROOM_LDAP_URI");
    unsetenv("COMMONROOM_LDAP_PAGE_SIZE");
  }
  void TearDown() override {
    unsetenv("COMMONROOM_LDAP_URI");
    unsetenv("COMMONROOM_LDAP_PAGE_SIZE");
    fs::remove_all(dir_);
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

  std::vector<std::string> errors(const std::string& ini) {
    std::vector<std::string> out;
    for (const auto& e : load(ini).errors) {
      std::string s = e.to_string();
      if (s.starts_with(path_)) s = "commonroom.ini" + s.substr(path_.size());
      out.push_back(s);
    }
    return out;
  }

  directory::LdapSettings valid(const std::string& ini) {
    auto r = load(ini);
    for (const auto& e : r.errors) ADD_FAILURE() << e.to_string();
    if (!r.config || !r.config->ldap) {
      ADD_FAILURE() << "no [ldap] settings";
      return {};
    }
    return *r.config->ldap;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(LdapConfigTest, NoSectionMeansNoSync) {
  auto r = load("[database]\nuri = postgresql://postgres@127.0.0.1/commonroom\n");
  ASSERT_TRUE(r.config);
  EXPECT_FALSE(r.config->ldap);
}

TEST_F(LdapConfigTest, EmptySectionUsesLookupDefaults) {
  auto l = valid("[ldap]\n");
  EXPECT_EQ(l.uri, "ldaps://ldap.lookup.cam.ac.uk");
  EXPECT_EQ(l.bind_dn, "");
  EXPECT_EQ(l.people_base, "ou=people,o=University of Cambridge,dc=cam,dc=ac,dc=uk");
  EXPECT_EQ(l.people_filter, "(uid=*)");
  EXPECT_EQ(l.groups_base, "ou=groups,o=University of Cambridge,dc=cam,dc=ac,dc=uk");
  EXPECT_EQ(l.jid_template, "{uid}@cam.ac.uk");
  EXPECT_EQ(l.attributes.affiliation, "misAffiliation");
  EXPECT_EQ(l.max_delete_percent, 20);
  EXPECT_TRUE(l.scheduled);
}

TEST_F(LdapConfigTest, EveryKeyIsRead) {
  write("ldap.password", "s3cret-pw\n");
  write("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  auto l = valid(R"([ldap]
uri = ldap://ldap.example.ac.uk:389
starttls = true
ca_file = ca.pem
bind_dn = cn=chat,ou=services,dc=example,dc=ac,dc=uk
password_file = ldap.password
people_base = ou=staff,dc=example,dc=ac,dc=uk
people_filter = objectClass=person
institutions_base = ou=units,dc=example,dc=ac,dc=uk
institutions_filter = (objectClass=organizationalUnit)
groups_base = ou=lists,dc=example,dc=ac,dc=uk
groups_filter = (&(objectClass=groupOfNames)(cn=chat-*))
jid_template = {uid}@chat.example.ac.uk
page_size = 250
network_timeout_seconds = 5
operation_timeout_seconds = 30
full_sync_interval_minutes = 720
incremental_interval_minutes = 0
timestamp_skew_seconds = 60
retry_initial_seconds = 10
retry_max_seconds = 600
max_delete_percent = 5
batch_size = 500
schedule = false
attr.uid = sAMAccountName
attr.affiliation = eduPersonAffiliation
attr.group_member = memberUid
)");
  EXPECT_EQ(l.uri, "ldap://ldap.example.ac.uk:389");
  EXPECT_TRUE(l.starttls);
  EXPECT_EQ(l.ca_file, (dir_ / "ca.pem").string());
  EXPECT_EQ(l.bind_dn, "cn=chat,ou=services,dc=example,dc=ac,dc=uk");
  EXPECT_EQ(l.password, "s3cret-pw");
  EXPECT_EQ(l.people_base, "ou=staff,dc=example,dc=ac,dc=uk");
  EXPECT_EQ(l.people_filter, "(objectClass=person)");
  EXPECT_EQ(l.groups_filter, "(&(objectClass=groupOfNames)(cn=chat-*))");
  EXPECT_EQ(l.jid_template, "{uid}@chat.example.ac.uk");
  EXPECT_EQ(l.page_size, 250);
  EXPECT_EQ(l.network_timeout, 5s);
  EXPECT_EQ(l.operation_timeout, 30s);
  EXPECT_EQ(l.full_sync_interval, 720min);
  EXPECT_EQ(l.incremental_interval, 0s);
  EXPECT_EQ(l.timestamp_skew, 60s);
  EXPECT_EQ(l.retry_initial, 10s);
  EXPECT_EQ(l.retry_max, 600s);
  EXPECT_EQ(l.max_delete_percent, 5);
  EXPECT_EQ(l.batch_size, 500u);
  EXPECT_FALSE(l.scheduled);
  EXPECT_EQ(l.attributes.uid, "sAMAccountName");
  EXPECT_EQ(l.attributes.affiliation, "eduPersonAffiliation");
  EXPECT_EQ(l.attributes.group_member, "memberUid");
  EXPECT_EQ(l.attributes.cn, "cn");  // unchanged fields keep Lookup's names
}

TEST_F(LdapConfigTest, BadValuesNameTheKey) {
  EXPECT_THAT(errors("[ldap]\nuri = http://lookup\n"),
              ElementsAre(HasSubstr("commonroom.ini:2: [ldap] uri: expected ldap://")));
  EXPECT_THAT(errors("[ldap]\nuri = ldaps://x\nstarttls = true\n"),
              ElementsAre(HasSubstr("[ldap] starttls: StartTLS is for ldap:// URIs")));
  EXPECT_THAT(errors("[ldap]\nstarttls = maybe\n"),
              ElementsAre(HasSubstr("[ldap] starttls: expected true or false, got \"maybe\"")));
  EXPECT_THAT(errors("[ldap]\npeople_filter = (uid=*\n"),
              ElementsAre(HasSubstr("[ldap] people_filter: expected an LDAP filter")));
  EXPECT_THAT(errors("[ldap]\npeople_filter = (uid=*)(cn=x)\n"),
              ElementsAre(HasSubstr("[ldap] people_filter: expected an LDAP filter")));
  EXPECT_THAT(errors("[ldap]\npeople_base = people\n"),
              ElementsAre(HasSubstr("[ldap] people_base: expected a DN")));
  EXPECT_THAT(errors("[ldap]\njid_template = user@cam.ac.uk\n"),
              ElementsAre(HasSubstr("[ldap] jid_template: must contain {uid}")));
  EXPECT_THAT(errors("[ldap]\nmax_delete_percent = 150\n"),
              ElementsAre(HasSubstr("[ldap] max_delete_percent: expected an integer 0-100")));
  EXPECT_THAT(errors("[ldap]\nretry_initial_seconds = 60\nretry_max_seconds = 30\n"),
              ElementsAre(HasSubstr("retry_max_seconds (30) must be at least")));
  EXPECT_THAT(errors("[ldap]\nattr.mail = not an attribute\n"),
              ElementsAre(HasSubstr("[ldap] attr.mail: expected an LDAP attribute name")));
  EXPECT_THAT(errors("[ldap]\nca_file = /nonexistent/ca.pem\n"),
              ElementsAre(HasSubstr("[ldap] ca_file: cannot read CA file /nonexistent/ca.pem")));
}

TEST_F(LdapConfigTest, UnknownKeysGetSuggestions) {
  EXPECT_THAT(errors("[ldap]\npagesize = 10\n"),
              ElementsAre(HasSubstr("unknown key; did you mean \"page_size\"?")));
  EXPECT_THAT(errors("[ldap]\nattr.email = mail\n"),
              ElementsAre(HasSubstr("unknown directory field \"email\"")));
}

TEST_F(LdapConfigTest, BindNeedsAPasswordFileAndNoOtherWay) {
  EXPECT_THAT(errors("[ldap]\nbind_dn = cn=x,dc=y\n"),
              ElementsAre(HasSubstr("[ldap] password_file: missing; bind_dn needs password_file")));
  write("pw", "x\n");
  EXPECT_THAT(errors("[ldap]\npassword_file = pw\n"),
              ElementsAre(HasSubstr("[ldap] password_file: set without bind_dn")));
  EXPECT_THAT(errors("[ldap]\nbind_dn = cn=x,dc=y\npassword_file = missing.pw\n"),
              ElementsAre(HasSubstr("[ldap] password_file: cannot read")));
  // The password never appears in messages, whatever goes wrong.
  write("two-lines", "secret-one\nsecret-two\n");
  for (const auto& e : errors("[ldap]\nbind_dn = cn=x,dc=y\npassword_file = two-lines\n"))
    EXPECT_THAT(e, ::testing::Not(HasSubstr("secret-one")));
}

TEST_F(LdapConfigTest, EnvironmentOverridesTheFile) {
  setenv("COMMONROOM_LDAP_URI", "ldap://127.0.0.1:38900", 1);
  setenv("COMMONROOM_LDAP_PAGE_SIZE", "50", 1);
  auto l = valid("[ldap]\nuri = ldaps://ldap.lookup.cam.ac.uk\n");
  EXPECT_EQ(l.uri, "ldap://127.0.0.1:38900");
  EXPECT_EQ(l.page_size, 50);
}

}  // namespace
}  // namespace commonroom::app
