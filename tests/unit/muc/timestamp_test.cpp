// XEP-0082 date-times as history and delays use them.
#include <gtest/gtest.h>

#include "muc/timestamp.hpp"

using namespace commonroom::muc;

TEST(Timestamp, FormatsUtcWithoutFractionWhenThereIsNone) {
  auto t = parse_timestamp("2002-10-13T23:58:37Z");
  ASSERT_TRUE(t);
  EXPECT_EQ(format_timestamp(*t), "2002-10-13T23:58:37Z");
  EXPECT_EQ(format_timestamp(*t + std::chrono::milliseconds(250)), "2002-10-13T23:58:37.250Z");
}

TEST(Timestamp, ParsesOffsetsAndFractions) {
  EXPECT_EQ(parse_timestamp("2002-10-14T01:58:37+02:00"), parse_timestamp("2002-10-13T23:58:37Z"));
  EXPECT_EQ(parse_timestamp("2002-10-13T18:58:37-05:00"), parse_timestamp("2002-10-13T23:58:37Z"));
  EXPECT_EQ(*parse_timestamp("1970-01-01T00:00:00.5Z") - std::chrono::system_clock::time_point{},
            std::chrono::milliseconds(500));
}

TEST(Timestamp, RefusesMalformedDateTimes) {
  for (const char* bad :
       {"", "2002-10-13", "2002-10-13T23:58:37", "2002-13-01T00:00:00Z", "2002-02-30T00:00:00Z",
        "2002-10-13T24:00:00Z", "2002-10-13T23:58:37Zjunk", "2002-10-13T23:58:37.Z",
        "20021013T235837Z"}) {
    EXPECT_FALSE(parse_timestamp(bad)) << bad;
  }
}
