// Helpers for the store/ unit tests: a scratch directory and sample room events.
#pragma once
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "muc/room_event.hpp"

namespace commonroom::store::testing {

// A fresh directory under $TMPDIR, removed with everything in it at the end of the test.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cr-store-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) std::abort();
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline muc::RoomEvent message(int n, std::string body = "") {
  muc::RoomEvent e;
  e.id = "ev-" + std::to_string(n);
  e.room = "physics@conference.cam.example";
  e.stanza_id = "sid-" + std::to_string(n);
  e.occurred_at = std::chrono::system_clock::time_point(
      std::chrono::microseconds(1764084433932104LL + n));  // 2025-11-25T15:27:13.932104Z
  e.kind = muc::RoomEventKind::groupchat;
  e.actor_jid = "abc123@cam.example/laptop";
  e.actor_nick = "alice";
  e.body = body.empty() ? "hello " + std::to_string(n) : body;
  e.raw = "<message type='groupchat'><body>" + e.body + "</body></message>";
  return e;
}

inline std::vector<std::string> ids(const std::vector<muc::RoomEvent>& events) {
  std::vector<std::string> out;
  for (const auto& e : events) out.push_back(e.id);
  return out;
}

inline std::vector<std::filesystem::path> segment_files(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() == ".journal") out.push_back(entry.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace commonroom::store::testing
