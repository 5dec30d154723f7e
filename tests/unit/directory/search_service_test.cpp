#include <gtest/gtest.h>

#include "directory/search_service.hpp"
#include "xmpp/parse_element.hpp"
#include "xmpp/serializer.hpp"

using commonroom::directory::Effects;
using commonroom::directory::SearchService;
using commonroom::directory::SearchServiceConfig;
using commonroom::xmpp::parse_element;
using commonroom::xmpp::to_string;

namespace {

class SearchServiceTest : public ::testing::Test {
 protected:
  SearchService service_{SearchServiceConfig{"directory.cam.example", "0.1.0"}};

  Effects send(const std::string& xml) {
    return service_.handle(parse_element(xml), std::chrono::system_clock::time_point{});
  }
  std::string reply(const std::string& xml) {
    Effects fx = send(xml);
    EXPECT_TRUE(fx.dropped.empty()) << fx.dropped.front();
    if (fx.outbound.size() != 1) {
      ADD_FAILURE() << "expected one reply, got " << fx.outbound.size();
      return {};
    }
    return to_string(fx.outbound.front());
  }
};

}  // namespace

TEST_F(SearchServiceTest, DescribesItselfAsTheUniversityDirectoryWithoutSearchYet) {
  EXPECT_EQ(reply("<iq from='abc123@cam.example/laptop' to='directory.cam.example' id='d1' "
                  "type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"),
            "<iq to='abc123@cam.example/laptop' from='directory.cam.example' id='d1' "
            "type='result'><query xmlns='http://jabber.org/protocol/disco#info'><identity "
            "category='directory' type='user' name='University directory'/>"
            "<feature var='http://jabber.org/protocol/disco#info'/>"
            "<feature var='http://jabber.org/protocol/disco#items'/>"
            "<feature var='urn:xmpp:ping'/><feature var='jabber:iq:version'/></query></iq>");
}

TEST_F(SearchServiceTest, AnswersPingVersionAndEmptyItems) {
  EXPECT_EQ(reply("<iq from='abc123@cam.example/laptop' to='directory.cam.example' id='p1' "
                  "type='get'><ping xmlns='urn:xmpp:ping'/></iq>"),
            "<iq to='abc123@cam.example/laptop' from='directory.cam.example' id='p1' "
            "type='result'/>");
  EXPECT_EQ(reply("<iq from='abc123@cam.example/laptop' to='directory.cam.example' id='v1' "
                  "type='get'><query xmlns='jabber:iq:version'/></iq>"),
            "<iq to='abc123@cam.example/laptop' from='directory.cam.example' id='v1' "
            "type='result'><query xmlns='jabber:iq:version'><name>commonroom</name>"
            "<version>0.1.0</version></query></iq>");
  EXPECT_EQ(reply("<iq from='abc123@cam.example/laptop' to='directory.cam.example' id='i1' "
                  "type='get'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>"),
            "<iq to='abc123@cam.example/laptop' from='directory.cam.example' id='i1' "
            "type='result'><query xmlns='http://jabber.org/protocol/disco#items'/></iq>");
}

TEST_F(SearchServiceTest, AnswersSearchWithServiceUnavailableUntilItIsImplemented) {
  EXPECT_EQ(reply("<iq from='abc123@cam.example/laptop' to='directory.cam.example' id='s1' "
                  "type='get'><query xmlns='jabber:iq:search'/></iq>"),
            "<iq to='abc123@cam.example/laptop' from='directory.cam.example' id='s1' "
            "type='error'><error type='cancel'><service-unavailable "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
}

TEST_F(SearchServiceTest, NeverAnswersResultsOrErrors) {
  EXPECT_TRUE(send("<iq from='a@cam.example/r' to='directory.cam.example' id='1' "
                   "type='result'/>")
                  .outbound.empty());
  EXPECT_TRUE(send("<iq from='a@cam.example/r' to='x@directory.cam.example' id='1' "
                   "type='error'/>")
                  .outbound.empty());
  EXPECT_TRUE(send("<message from='a@cam.example/r' to='x@directory.cam.example' "
                   "type='error'/>")
                  .outbound.empty());
}

TEST_F(SearchServiceTest, NobodyLivesAtUserAtDirectory) {
  EXPECT_EQ(reply("<message from='a@cam.example/r' to='abc123@directory.cam.example' id='m1'>"
                  "<body>hi</body></message>"),
            "<message to='a@cam.example/r' from='abc123@directory.cam.example' id='m1' "
            "type='error'><body>hi</body><error type='cancel'><service-unavailable "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>");
  EXPECT_EQ(reply("<iq from='a@cam.example/r' to='abc123@directory.cam.example' id='q1' "
                  "type='get'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>"),
            "<iq to='a@cam.example/r' from='abc123@directory.cam.example' id='q1' "
            "type='error'><error type='cancel'><service-unavailable "
            "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>");
  EXPECT_TRUE(send("<presence from='a@cam.example/r' to='abc123@directory.cam.example' "
                   "type='subscribe'/>")
                  .outbound.empty());
}

TEST_F(SearchServiceTest, LeavesMessagesAndPresencesToTheDomainUnanswered) {
  Effects fx = send(
      "<message from='a@cam.example/r' to='directory.cam.example'><body>hi"
      "</body></message>");
  EXPECT_TRUE(fx.outbound.empty());
  EXPECT_TRUE(fx.dropped.empty());
}

TEST_F(SearchServiceTest, DropsStanzasWithoutAValidFrom) {
  Effects fx = send(
      "<iq to='directory.cam.example' id='1' type='get'><ping "
      "xmlns='urn:xmpp:ping'/></iq>");
  EXPECT_TRUE(fx.outbound.empty());
  ASSERT_EQ(fx.dropped.size(), 1u);
  EXPECT_EQ(fx.dropped.front(), "iq without a 'from' address");
}
