// [admin-web] sign-in keys: public URL, session limits, Raven keys, the trusted proxy.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "tests/unit/app/config_file_fixture.hpp"

namespace commonroom::app {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class AdminWebConfig : public ConfigFileTest {
 protected:
  std::string file(const std::string& name, const std::string& text) {
    auto p = dir_ / name;
    std::ofstream(p) << text;
    std::filesystem::permissions(
        p, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
    return p.string();
  }
};

TEST_F(AdminWebConfig, DefaultsSignNobodyInByRavenOrProxy) {
  auto r = load("");
  ASSERT_TRUE(r.config);
  const auto& s = r.config->admin_sign_in;
  EXPECT_EQ(s.public_url, "");
  EXPECT_EQ(s.session_idle_seconds, 30 * 60);
  EXPECT_EQ(s.session_max_seconds, 12 * 3600);
  EXPECT_EQ(s.login_link_seconds, 10 * 60);
  EXPECT_EQ(s.raven_wls_url, "");
  EXPECT_EQ(s.proxy_user_header, "");
}

TEST_F(AdminWebConfig, EveryKeyIsRead) {
  const std::string key =
      file("wls.pem", "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
  const std::string secret = file("proxy.secret", "s3cret\n");
  auto r = load(
      "[admin-web]\npublic_url = https://chat-admin.cam.ac.uk/\n"
      "session_idle_minutes = 15\nsession_max_hours = 8\nlogin_link_minutes = 5\n"
      "raven_url = https://raven.cam.ac.uk/auth/authenticate.html\n"
      "raven_keys = 2=" +
      key +
      "\nraven_skew_seconds = 90\n"
      "proxy_user_header = X-Remote-User\nproxy_addresses = 127.0.0.1, ::1\n"
      "proxy_secret_header = X-Secret\nproxy_secret_file = " +
      secret + "\n");
  ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors[0].to_string());
  const auto& s = r.config->admin_sign_in;
  EXPECT_EQ(s.public_url, "https://chat-admin.cam.ac.uk");
  EXPECT_EQ(s.session_idle_seconds, 15 * 60);
  EXPECT_EQ(s.session_max_seconds, 8 * 3600);
  EXPECT_EQ(s.login_link_seconds, 5 * 60);
  EXPECT_EQ(s.raven_skew_seconds, 90);
  ASSERT_EQ(s.raven_keys.count("2"), 1u);
  EXPECT_THAT(s.raven_keys.at("2"), HasSubstr("BEGIN PUBLIC KEY"));
  EXPECT_THAT(s.proxy_addresses, ElementsAre("127.0.0.1", "::1"));
  EXPECT_EQ(s.proxy_secret, "s3cret");
}

TEST_F(AdminWebConfig, RavenWithoutKeysIsAnError) {
  EXPECT_THAT(errors("[admin-web]\nraven_url = https://raven.cam.ac.uk/auth/authenticate.html\n"),
              ElementsAre(HasSubstr("raven_url is set but no raven_keys")));
  EXPECT_THAT(errors("[admin-web]\nraven_url = https://raven.example/\nraven_keys = 2=nope.pem\n"),
              ElementsAre(HasSubstr("cannot read a PEM public key or certificate from")));
}

TEST_F(AdminWebConfig, AProxyNeedsAddressesAndASharedSecret) {
  EXPECT_THAT(errors("[admin-web]\nproxy_user_header = X-Remote-User\n"),
              ElementsAre(HasSubstr("any local process can reach the admin web's port")));
}

TEST_F(AdminWebConfig, PublicUrlIsASiteAddressWithoutAPath) {
  EXPECT_THAT(errors("[admin-web]\npublic_url = chat-admin.cam.ac.uk\n"),
              ElementsAre(HasSubstr("expected the site's address")));
  EXPECT_THAT(errors("[admin-web]\npublic_url = https://example.ac.uk/admin\n"),
              ElementsAre(HasSubstr("no path")));
}

}  // namespace
}  // namespace commonroom::app
