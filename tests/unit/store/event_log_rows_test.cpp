#include "store/event_log_rows.hpp"

#include <gtest/gtest.h>

#include <optional>

#include "store_test_support.hpp"

namespace commonroom::store {
namespace {

using testing::message;

// Reads a one-dimensional array literal the way PostgreSQL's array input does for quoted
// elements and NULL (the only forms EventRows writes); nullopt is NULL.
std::vector<std::optional<std::string>> elements(const std::string& literal) {
  std::vector<std::optional<std::string>> out;
  EXPECT_GE(literal.size(), 2u);
  EXPECT_EQ(literal.front(), '{');
  EXPECT_EQ(literal.back(), '}');
  size_t i = 1;
  const size_t end = literal.size() - 1;
  while (i < end) {
    if (literal.compare(i, 4, "NULL") == 0) {
      out.emplace_back(std::nullopt);
      i += 4;
    } else {
      EXPECT_EQ(literal[i], '"') << literal;
      std::string value;
      for (++i; i < end && literal[i] != '"'; ++i) {
        if (literal[i] == '\\') ++i;
        value += literal[i];
      }
      ++i;  // closing quote
      out.emplace_back(value);
    }
    if (i < end) {
      EXPECT_EQ(literal[i], ',') << literal;
      ++i;
    }
  }
  return out;
}

TEST(EventRows, OneArrayPerColumnWithOneElementPerEventInOrder) {
  EventRows rows;
  auto a = message(1);
  auto b = message(2);
  rows.add(a);
  rows.add(b);
  rows.finish();
  EXPECT_EQ(rows.rows, 2u);
  for (const auto& column : rows.columns) EXPECT_EQ(elements(column).size(), 2u) << column;
  EXPECT_EQ(rows.columns[0], "{\"ev-1\",\"ev-2\"}");
  EXPECT_EQ(elements(rows.columns[1])[1], "physics@conference.cam.example");
  EXPECT_EQ(elements(rows.columns[3])[0], "2025-11-25 15:27:13.932105+00");
  EXPECT_EQ(elements(rows.columns[4])[1], "groupchat");
  EXPECT_EQ(elements(rows.columns[8])[1], "hello 2");
  EXPECT_EQ(elements(rows.columns[10])[0],
            "<message type='groupchat'><body>hello 1</body></message>");
}

TEST(EventRows, EmptyOptionalFieldsAreNullAndAnEmptyBatchIsAnEmptyArray) {
  EventRows rows;
  muc::RoomEvent e;
  e.id = "x";
  e.room = "r@conference.cam.example";
  e.kind = muc::RoomEventKind::room_created;
  rows.add(e);
  rows.finish();
  EXPECT_EQ(elements(rows.columns[2])[0], std::nullopt);
  for (size_t c : {5, 6, 7, 8, 9, 10}) EXPECT_EQ(elements(rows.columns[c])[0], std::nullopt) << c;
  EXPECT_EQ(elements(rows.columns[4])[0], "room_created");

  EventRows none;
  none.finish();
  for (const auto& column : none.columns) EXPECT_EQ(column, "{}");
}

TEST(EventRows, TextThatLooksLikeArraySyntaxOrNullComesBackAsItWas) {
  // A body quoting, escaping, separating or pretending to be NULL must not split the
  // element or end the array early.
  const std::string body = "say \"hi\", {then} \\ leave\tnow\nNULL";
  auto e = message(1, body);
  e.actor_nick = "NULL";
  EventRows rows;
  rows.add(e);
  rows.add(message(2));
  rows.finish();
  auto bodies = elements(rows.columns[8]);
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0], body);
  EXPECT_EQ(bodies[1], "hello 2");
  EXPECT_EQ(elements(rows.columns[6])[0], "NULL");  // the nick "NULL", quoted, not a NULL
}

TEST(EventRows, NeverSendsBytesPostgresqlWouldRejectForTheWholeBatch) {
  std::string body = "ok \xC3\xA9 bad \xFF overlong \xC0\xAF cut \xE6\xBC";
  body += std::string("nul\0end", 7);
  EventRows rows;
  rows.add(message(1, body));
  rows.add(message(2, "漢字 emoji \xF0\x9F\x98\x80"));
  rows.finish();
  const std::string r = "\xEF\xBF\xBD";
  auto bodies = elements(rows.columns[8]);
  EXPECT_EQ(bodies[0], "ok \xC3\xA9 bad " + r + " overlong " + r + r + " cut " + r + r + "nulend");
  EXPECT_EQ(bodies[1], "漢字 emoji \xF0\x9F\x98\x80");  // valid multi-byte text is untouched
}

}  // namespace
}  // namespace commonroom::store
