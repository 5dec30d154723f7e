#include "store/event_log_copy.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store_test_support.hpp"

namespace commonroom::store {
namespace {

using testing::message;

std::vector<std::string> fields(const std::string& row) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : row) {
    if (c == '\t' || c == '\n') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  return out;
}

TEST(CopyRow, HasOneFieldPerColumnAndEndsTheLine) {
  std::string row;
  append_copy_row(row, message(1));
  ASSERT_EQ(row.back(), '\n');
  EXPECT_EQ(std::count(row.begin(), row.end(), '\n'), 1);
  auto f = fields(row);
  ASSERT_EQ(f.size(), 11u);
  EXPECT_EQ(f[0], "ev-1");
  EXPECT_EQ(f[1], "physics@conference.cam.example");
  EXPECT_EQ(f[2], "sid-1");
  EXPECT_EQ(f[3], "2025-11-25 15:27:13.932105+00");
  EXPECT_EQ(f[4], "groupchat");
  EXPECT_EQ(f[5], "abc123@cam.example/laptop");
  EXPECT_EQ(f[8], "hello 1");
}

TEST(CopyRow, EmptyOptionalFieldsAreNull) {
  muc::RoomEvent e;
  e.id = "x";
  e.room = "r@conference.cam.example";
  e.kind = muc::RoomEventKind::room_created;
  std::string row;
  append_copy_row(row, e);
  auto f = fields(row);
  ASSERT_EQ(f.size(), 11u);
  EXPECT_EQ(f[2], "\\N");
  EXPECT_EQ(f[3], "1970-01-01 00:00:00.000000+00");
  EXPECT_EQ(f[4], "room_created");
  for (size_t i : {5, 6, 7, 8, 9, 10}) EXPECT_EQ(f[i], "\\N") << i;
}

TEST(CopyRow, EscapesWhatCopyTextGivesMeaningTo) {
  std::string row;
  append_copy_row(row, message(1, "a\tb\nc\\d\re"));
  auto f = fields(row);
  ASSERT_EQ(f.size(), 11u);  // no stray field or line breaks
  EXPECT_EQ(f[8], "a\\tb\\nc\\\\d\\re");
}

TEST(CopyRow, NeverSendsBytesPostgresqlWouldRejectForTheWholeBatch) {
  std::string body =
      "ok \xC3\xA9 bad \xFF\xFE overlong \xC0\xAF surrogate \xED\xA0\x80 cut \xE6\xBC";
  body += std::string("nul\0end", 7);
  std::string row;
  append_copy_row(row, message(1, body));
  auto f = fields(row);
  ASSERT_EQ(f.size(), 11u);
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(f[8], "ok \xC3\xA9 bad " + r + r + " overlong " + r + r + " surrogate " + r + r + r +
                      " cut " + r + r + "nulend");
  // Valid multi-byte text is untouched.
  std::string cjk;
  append_copy_row(cjk, message(2, "漢字 emoji \xF0\x9F\x98\x80"));
  EXPECT_EQ(fields(cjk)[8], "漢字 emoji \xF0\x9F\x98\x80");
}

TEST(CopyTimestamp, IsUtcWithMicroseconds) {
  using namespace std::chrono;
  std::string out;
  append_copy_timestamp(out, sys_days{2024y / February / 29} + 23h + 59min + 59s + 999999us);
  EXPECT_EQ(out, "2024-02-29 23:59:59.999999+00");
  out.clear();
  // Sub-microsecond parts are cut, never rounded into the next second.
  append_copy_timestamp(
      out, system_clock::time_point(sys_days{2030y / January / 1}) + nanoseconds(1999));
  EXPECT_EQ(out, "2030-01-01 00:00:00.000001+00");
}

}  // namespace
}  // namespace commonroom::store
