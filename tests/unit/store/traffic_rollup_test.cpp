#include "store/traffic_rollup.hpp"

#include <gtest/gtest.h>

namespace commonroom::store {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;
using Time = TrafficRollup::Time;

// 2026-12-06 20:00:00 UTC.
const Time kEight = Time(seconds(1796587200));

TEST(TrafficRollup, KeepsEachRoomsNewestMessageAndCountsByMinute) {
  TrafficRollup r;
  EXPECT_TRUE(r.empty());
  r.add("b@conference.cam.example", kEight + seconds(70));
  r.add("a@conference.cam.example", kEight + seconds(5));
  r.add("b@conference.cam.example", kEight + seconds(10));  // older than b's newest
  r.add("a@conference.cam.example", kEight + minutes(61) + seconds(1));
  EXPECT_EQ(r.messages(), 4u);
  EXPECT_EQ(r.rooms_literal(), "{\"a@conference.cam.example\",\"b@conference.cam.example\"}");
  EXPECT_EQ(r.last_message_literal(),
            "{\"2026-12-06 21:01:01.000000+00\",\"2026-12-06 20:01:10.000000+00\"}");
  // 20:00 twice (b at 20:00:10, a at 20:00:05), 20:01 once, 21:01 once.
  EXPECT_EQ(r.minutes_literal(),
            "{\"2026-12-06 20:00:00.000000+00\",\"2026-12-06 20:01:00.000000+00\","
            "\"2026-12-06 21:01:00.000000+00\"}");
  EXPECT_EQ(r.counts_literal(), "{2,1,1}");
  EXPECT_EQ(r.entries(), 5u);
}

TEST(TrafficRollup, AFailedFlushMergedBackCountsEveryMessageOnce) {
  TrafficRollup sent;
  sent.add("a@conference.cam.example", kEight + seconds(1));
  sent.add("a@conference.cam.example", kEight + seconds(2));
  TrafficRollup since;
  since.add("a@conference.cam.example", kEight + seconds(30));
  since.add("c@conference.cam.example", kEight + minutes(2));
  since.merge(sent);
  EXPECT_EQ(since.messages(), 4u);
  EXPECT_EQ(since.counts_literal(), "{3,1}");
  EXPECT_EQ(since.last_message_literal(),
            "{\"2026-12-06 20:00:30.000000+00\",\"2026-12-06 20:02:00.000000+00\"}");
  since.clear();
  EXPECT_TRUE(since.empty());
  EXPECT_EQ(since.rooms_literal(), "{}");
  EXPECT_EQ(since.counts_literal(), "{}");
}

TEST(TrafficRollup, QuotesRoomNamesAsArrayElements) {
  TrafficRollup r;
  r.add("odd\"name\\@conference.cam.example", kEight);
  EXPECT_EQ(r.rooms_literal(), "{\"odd\\\"name\\\\@conference.cam.example\"}");
}

TEST(TrafficRollup, MessagesBeforeTheEpochFallInTheirOwnMinute) {
  TrafficRollup r;
  r.add("a@conference.cam.example", Time(seconds(-30)));
  EXPECT_EQ(r.minutes_literal(), "{\"1969-12-31 23:59:00.000000+00\"}");
}

}  // namespace
}  // namespace commonroom::store
