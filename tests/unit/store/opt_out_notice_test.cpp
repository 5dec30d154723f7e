// The payload an opt-out NOTIFYs: what the running search reads to drop the person at once.
#include <gtest/gtest.h>

#include "store/directory_store.hpp"

using commonroom::store::OptOutNotice;
using commonroom::store::parse_opt_out_notice;
using commonroom::store::to_payload;

TEST(OptOutNotice, RoundTripsTheVersionAndTheUid) {
  EXPECT_EQ(to_payload(OptOutNotice{42, "sk202"}), "opt-out 42 sk202");
  auto back = parse_opt_out_notice(to_payload(OptOutNotice{9007199254740993, "a.b-c_d"}));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->version, 9007199254740993);
  EXPECT_EQ(back->uid, "a.b-c_d");
}

TEST(OptOutNotice, AnythingElseIsNotAnOptOut) {
  for (const char* payload :
       {"", "opt-out", "opt-out ", "opt-out 12", "opt-out 12 ", "opt-out x12 sk202",
        "opt-out  sk202", "opt-in 12 sk202", "opt-out 99999999999999999999 sk202"})
    EXPECT_FALSE(parse_opt_out_notice(payload).has_value()) << '"' << payload << '"';
}
