// A fixture for config tests: writes an INI into a fresh temp directory and loads it.
#pragma once
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "app/config.hpp"

namespace commonroom::app {

class ConfigFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "commonroom-config-XXXXXX").string();
    ASSERT_NE(mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  ConfigResult load(const std::string& ini) {
    path_ = (dir_ / "commonroom.ini").string();
    std::ofstream(path_) << ini;
    return load_config(path_);
  }
  // Every error as printed, with the temp path shortened to "commonroom.ini".
  std::vector<std::string> errors(const std::string& ini) {
    std::vector<std::string> out;
    for (const auto& e : load(ini).errors) {
      std::string s = e.to_string();
      if (s.starts_with(path_)) s = "commonroom.ini" + s.substr(path_.size());
      out.push_back(s);
    }
    return out;
  }

  std::filesystem::path dir_;
  std::string path_;
};

}  // namespace commonroom::app
