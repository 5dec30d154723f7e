// The search keys of [directory] in commonroom.ini: defaults, every key, precise errors.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

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

class DirectorySearchConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "commonroom-search-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    path_ = (dir_ / "commonroom.ini").string();
  }
  void TearDown() override { fs::remove_all(dir_); }

  ConfigResult load(const std::string& directory_keys) {
    std::ofstream(path_) << "[directory]\ndomain = directory.cam.example\nsecret = s3cret\n"
                         << directory_keys;
    chmod(path_.c_str(), 0600);
    return load_config(path_);
  }
  std::vector<std::string> errors(const std::string& keys) {
    std::vector<std::string> out;
    for (const auto& e : load(keys).errors)
      out.push_back(e.section + " " + e.key + ": " + e.message);
    return out;
  }

  fs::path dir_;
  std::string path_;
};

TEST_F(DirectorySearchConfigTest, DefaultsWhenNoSearchKeysAreGiven) {
  auto r = load("");
  ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors.front().to_string());
  const auto& s = r.config->directory_search;
  EXPECT_EQ(s.max_results, 50u);
  EXPECT_EQ(s.page_size, 20u);
  EXPECT_EQ(s.min_chars, 2u);
  EXPECT_TRUE(s.allowed_domains.empty());
  EXPECT_EQ(s.rate_limit, 60u);
  EXPECT_EQ(s.rate_burst, 10u);
  EXPECT_EQ(s.refresh_interval, std::chrono::seconds(10));
}

TEST_F(DirectorySearchConfigTest, ReadsEveryKey) {
  auto r = load(
      "max_results = 20\npage_size = 10\nmin_chars = 3\nallowed_domains = CAM.ac.uk, cam.example  "
      "partner.example\n"
      "rate_limit = 0\nrate_burst = 4\nrefresh_seconds = 60\n");
  ASSERT_TRUE(r.config) << (r.errors.empty() ? "" : r.errors.front().to_string());
  const auto& s = r.config->directory_search;
  EXPECT_EQ(s.max_results, 20u);
  EXPECT_EQ(s.page_size, 10u);
  EXPECT_EQ(s.min_chars, 3u);
  EXPECT_EQ(s.allowed_domains,
            (std::vector<std::string>{"cam.ac.uk", "cam.example", "partner.example"}));
  EXPECT_EQ(s.rate_limit, 0u);
  EXPECT_EQ(s.rate_burst, 4u);
  EXPECT_EQ(s.refresh_interval, std::chrono::seconds(60));
}

TEST_F(DirectorySearchConfigTest, NamesTheKeyAndTheProblem) {
  EXPECT_THAT(errors("max_results = 0\n"),
              ElementsAre("directory max_results: expected an integer 1-1000, got \"0\""));
  EXPECT_THAT(errors("min_chars = two\n"),
              ElementsAre("directory min_chars: expected an integer 1-16, got \"two\""));
  EXPECT_THAT(errors("allowed_domains = cam.example, user@evil.example\n"),
              ElementsAre(HasSubstr("directory allowed_domains: expected domains like "
                                    "cam.example separated by commas, got \"user@evil.example\"")));
  EXPECT_THAT(errors("allowed_domains = ,\n"), ElementsAre(HasSubstr("is empty")));
  EXPECT_THAT(errors("rate_limt = 5\n"), ElementsAre(HasSubstr("rate_limit")));  // typo hint
}

}  // namespace
}  // namespace commonroom::app
