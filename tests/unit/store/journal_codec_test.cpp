#include "store/journal_codec.hpp"

#include <gtest/gtest.h>

#include "store_test_support.hpp"

namespace commonroom::store {
namespace {

using testing::message;

TEST(Crc32c, MatchesTheStandardCheckValue) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(""), 0u);
  // Incremental use gives the same answer as one call (odd split, not a multiple of 8).
  EXPECT_EQ(crc32c("6789", crc32c("12345")), 0xE3069283u);
}

TEST(JournalCodec, EveryFieldSurvivesARoundTrip) {
  muc::RoomEvent e = message(7, "tab\there, newline\nthere, é ü 漢字");
  e.body.append(std::string("\0binary\xff", 8));
  e.kind = muc::RoomEventKind::kick;
  e.target = "mallory@cam.example";
  e.detail = R"({"reason":"spam"})";
  e.occurred_at = std::chrono::system_clock::time_point(std::chrono::microseconds(-5));
  std::string out;
  append_event_frame(out, e);
  std::string_view payload;
  size_t size = 0;
  ASSERT_EQ(read_frame(out, payload, size), FrameStatus::ok);
  EXPECT_EQ(size, out.size());
  muc::RoomEvent back;
  ASSERT_TRUE(decode_event(payload, back));
  EXPECT_EQ(back.id, e.id);
  EXPECT_EQ(back.room, e.room);
  EXPECT_EQ(back.stanza_id, e.stanza_id);
  EXPECT_EQ(back.occurred_at, e.occurred_at);
  EXPECT_EQ(back.kind, muc::RoomEventKind::kick);
  EXPECT_EQ(back.actor_jid, e.actor_jid);
  EXPECT_EQ(back.actor_nick, e.actor_nick);
  EXPECT_EQ(back.target, e.target);
  EXPECT_EQ(back.body, e.body);
  EXPECT_EQ(back.detail, e.detail);
  EXPECT_EQ(back.raw, e.raw);
}

TEST(JournalCodec, ReadFrameTellsTornFromCorrupt) {
  std::string frames;
  append_event_frame(frames, message(1));
  std::string_view payload;
  size_t size = 0;
  for (size_t cut : {size_t{0}, size_t{3}, kFrameHeaderBytes, frames.size() - 1}) {
    EXPECT_EQ(read_frame(std::string_view(frames).substr(0, cut), payload, size),
              FrameStatus::incomplete)
        << "cut at " << cut;
  }
  std::string flipped = frames;
  flipped[kFrameHeaderBytes + 20] ^= 0x01;
  EXPECT_EQ(read_frame(flipped, payload, size), FrameStatus::bad_crc);
  // Zeros are where the writer stopped (the end marker, or a segment's zero-filled space); a
  // zero length with a CRC is damage.
  EXPECT_EQ(read_frame(std::string(16, '\0'), payload, size), FrameStatus::end);
  std::string zero_length(16, '\0');
  zero_length[5] = '\x01';
  EXPECT_EQ(read_frame(zero_length, payload, size), FrameStatus::bad_length);
  std::string huge = frames;
  huge[3] = '\x7f';  // length far above kMaxRecordBytes
  EXPECT_EQ(read_frame(huge, payload, size), FrameStatus::bad_length);
}

TEST(JournalCodec, DecodeRefusesWhatItCannotRepresent) {
  std::string frame;
  append_event_frame(frame, message(1));
  std::string payload = frame.substr(kFrameHeaderBytes);
  muc::RoomEvent out;
  ASSERT_TRUE(decode_event(payload, out));
  std::string version = payload;
  version[0] = 99;
  EXPECT_FALSE(decode_event(version, out));
  std::string kind = payload;
  kind[1] = static_cast<char>(200);
  EXPECT_FALSE(decode_event(kind, out));
  EXPECT_FALSE(decode_event(std::string_view(payload).substr(0, payload.size() - 1), out));
  EXPECT_FALSE(decode_event(payload + "x", out));
  // A time the clock cannot hold (it overflowed into undefined behaviour; found by
  // fuzz_journal) is refused, not wrapped.
  std::string time = payload;
  for (int i = 2; i < 10; ++i) time[i] = '\x7f';
  EXPECT_FALSE(decode_event(time, out));
  for (int i = 2; i < 10; ++i) time[i] = '\x80';
  EXPECT_FALSE(decode_event(time, out));
}

}  // namespace
}  // namespace commonroom::store
