// The rooms' outcomes waiting for the abuse log: nothing leaves before its events are
// durable, everything leaves in the order the engine produced it (across rooms too), an
// outcome with nothing to log never overtakes one that waits, and what waits is bounded by
// the bytes it holds.
#include "app/waiting_outcomes.hpp"

#include <gtest/gtest.h>

#include "xmpp/parse_element.hpp"
#include "xmpp/serializer.hpp"

using commonroom::app::WaitingOutcomes;
using commonroom::muc::Effects;
using commonroom::muc::Fanout;
using commonroom::muc::RoomEvent;
using commonroom::xmpp::FanoutStanza;
using commonroom::xmpp::Jid;
using commonroom::xmpp::parse_element;

namespace {

// A groupchat message in `room` to `occupants`, with its event when `logged`.
Effects message(const std::string& room, const std::string& body, int occupants,
                bool logged = true) {
  Effects fx;
  Fanout f;
  f.stanza = std::make_shared<const FanoutStanza>(parse_element(
      "<message from='" + room + "/bob' type='groupchat'><body>" + body + "</body></message>"));
  for (int i = 0; i < occupants; ++i)
    f.recipients.push_back(Jid::parse("user" + std::to_string(i) + "@x/r"));
  fx.fanouts.push_back(std::move(f));
  if (logged) {
    RoomEvent e;
    e.room = room;
    e.body = body;
    fx.events.push_back(e);
  }
  return fx;
}

Effects pong(const std::string& to) {
  Effects fx;
  fx.outbound.push_back(parse_element("<iq type='result' id='ping' to='" + to + "'/>"));
  return fx;
}

// What the caller would send for each released outcome, one stanza per string.
struct Sent {
  std::vector<std::string> stanzas;
  std::function<void(Effects&)> sender() {
    return [this](Effects& fx) {
      commonroom::muc::write_in_order(fx, [&](std::string_view s) { stanzas.emplace_back(s); });
    };
  }
  // The bodies (or "pong") in the order they were sent, once per outcome.
  std::vector<std::string> bodies() const {
    std::vector<std::string> out;
    for (const auto& s : stanzas) {
      std::string b = "pong";
      if (auto at = s.find("<body>"); at != std::string::npos)
        b = s.substr(at + 6, s.find("</body>") - at - 6);
      if (out.empty() || out.back() != b || b == "pong") out.push_back(b);
    }
    return out;
  }
};

}  // namespace

TEST(WaitingOutcomes, NothingLeavesBeforeItsTicketIsDurableThenAllInOrder) {
  WaitingOutcomes waiting;
  Sent sent;
  waiting.push(1, message("a@rooms.x", "one", 3));
  waiting.push(2, message("a@rooms.x", "two", 3));
  waiting.push(3, message("a@rooms.x", "three", 3));
  EXPECT_EQ(waiting.release(0, sent.sender()), 0u);
  EXPECT_TRUE(sent.stanzas.empty());
  EXPECT_EQ(waiting.release(2, sent.sender()), 2u);
  EXPECT_EQ(sent.bodies(), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(waiting.oldest_ticket(), 3u);
  EXPECT_EQ(waiting.release(3, sent.sender()), 1u);
  EXPECT_EQ(sent.bodies(), (std::vector<std::string>{"one", "two", "three"}));
  EXPECT_TRUE(waiting.empty());
}

TEST(WaitingOutcomes, EveryRecipientGetsTheStanzaItWouldHaveGotWithoutTheWait) {
  Effects direct = message("a@rooms.x", "hi &amp; bye", 50);
  Sent expected;
  expected.sender()(direct);
  WaitingOutcomes waiting;
  waiting.push(7, message("a@rooms.x", "hi &amp; bye", 50));
  Sent sent;
  waiting.release(7, sent.sender());
  ASSERT_EQ(sent.stanzas.size(), 50u);
  EXPECT_EQ(sent.stanzas, expected.stanzas);
  EXPECT_EQ(sent.stanzas[49],
            "<message to='user49@x/r' from='a@rooms.x/bob' type='groupchat'><body>hi &amp; "
            "bye</body></message>");
}

TEST(WaitingOutcomes, RoomsLeaveInTheOrderTheEngineHandledThem) {
  WaitingOutcomes waiting;
  waiting.push(1, message("a@rooms.x", "a1", 2));
  waiting.push(2, message("b@rooms.x", "b1", 2));
  waiting.push(3, message("a@rooms.x", "a2", 2));
  Sent sent;
  waiting.release(3, sent.sender());
  EXPECT_EQ(sent.bodies(), (std::vector<std::string>{"a1", "b1", "a2"}));
}

TEST(WaitingOutcomes, AnOutcomeWithNothingToLogNeverOvertakesOneThatWaits) {
  WaitingOutcomes waiting;
  // Nothing waits: a reply with nothing to log may go at once, a logged message may not.
  EXPECT_TRUE(waiting.may_send_now(pong("u@x/r")));
  EXPECT_FALSE(waiting.may_send_now(message("a@rooms.x", "one", 1)));
  waiting.push(1, message("a@rooms.x", "one", 1));
  // Now the ping answered after the message waits behind it (a client that pings to know
  // its message went out, or asks the archive for it, must find it there).
  EXPECT_FALSE(waiting.may_send_now(pong("u@x/r")));
  waiting.push(0, pong("u@x/r"));
  waiting.push(2, message("a@rooms.x", "two", 1));
  EXPECT_EQ(waiting.newest_ticket(), 2u);
  Sent sent;
  EXPECT_EQ(waiting.release(0, sent.sender()), 0u);
  EXPECT_EQ(waiting.release(1, sent.sender()), 2u);  // the message, then the pong
  EXPECT_EQ(sent.bodies(), (std::vector<std::string>{"one", "pong"}));
  waiting.release(2, sent.sender());
  EXPECT_EQ(sent.bodies(), (std::vector<std::string>{"one", "pong", "two"}));
  EXPECT_TRUE(waiting.may_send_now(pong("u@x/r")));
}

TEST(WaitingOutcomes, CountsTheBytesItHoldsUntilTheyLeave) {
  WaitingOutcomes waiting;
  EXPECT_EQ(waiting.held_bytes(), 0u);
  waiting.push(1, message("a@rooms.x", "one", 1000));
  const auto one = waiting.held_bytes();
  // At least every recipient's address, which now lives in the outcome.
  EXPECT_GE(one, 1000u * std::string("user999@x/r").size() / 2);
  waiting.push(2, message("a@rooms.x", "two", 10));
  EXPECT_GT(waiting.held_bytes(), one);
  Sent sent;
  waiting.release(1, sent.sender());
  EXPECT_LT(waiting.held_bytes(), one);
  waiting.release(2, sent.sender());
  EXPECT_EQ(waiting.held_bytes(), 0u);
  waiting.push(3, message("a@rooms.x", "three", 10));
  waiting.clear();
  EXPECT_EQ(waiting.held_bytes(), 0u);
  EXPECT_TRUE(waiting.empty());
}
