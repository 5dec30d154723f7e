// Request smuggling shapes sent over a raw socket: a body whose end is ambiguous must never
// be read as a second request on the same connection.
#include "admin-web/request_framing.hpp"

#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <regex>
#include <string>
#include <vector>

#include "admin-web/server.hpp"

namespace commonroom::admin_web {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

struct Exchange {
  std::vector<int> statuses;  // one per response seen on the connection, in order
  std::string text;
  bool closed_by_server = false;  // false: still open when the client gave up waiting
};

class RequestFramingTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ServerOptions options;
    options.port = 0;
    options.timeout = std::chrono::seconds(10);
    server_ = std::make_unique<Server>(
        options, StatusSource([] { return std::vector<HostConnectionStatus>{}; }));
    server_->start();
    host_ = "127.0.0.1:" + std::to_string(server_->port());
  }

  // Sends raw bytes, then reads until the server closes or 3 s pass without a byte.
  Exchange send_raw(const std::string& bytes) {
    Poco::Net::StreamSocket socket(Poco::Net::SocketAddress("127.0.0.1", server_->port()));
    socket.setReceiveTimeout(Poco::Timespan(3, 0));
    socket.sendBytes(bytes.data(), static_cast<int>(bytes.size()));
    Exchange out;
    char buf[4096];
    for (;;) {
      int n = 0;
      try {
        n = socket.receiveBytes(buf, sizeof buf);
      } catch (const Poco::TimeoutException&) {
        break;
      } catch (const Poco::Net::ConnectionResetException&) {
        n = 0;  // closed with our unread body still queued: a close all the same
      }
      if (n <= 0) {
        out.closed_by_server = true;
        break;
      }
      out.text.append(buf, static_cast<size_t>(n));
    }
    static const std::regex status_line("HTTP/1\\.[01] ([0-9]{3}) ");
    for (auto it = std::sregex_iterator(out.text.begin(), out.text.end(), status_line);
         it != std::sregex_iterator(); ++it)
      out.statuses.push_back(std::stoi((*it)[1].str()));
    return out;
  }

  // A well-formed request for a page that does not exist: if it is ever answered (404), a
  // body was taken for a request.
  std::string smuggled() const { return "GET /smuggled HTTP/1.1\r\nHost: " + host_ + "\r\n\r\n"; }

  std::unique_ptr<Server> server_;
  std::string host_;
};

TEST_F(RequestFramingTest, PipelinedPlainRequestsAreEachAnsweredOnOneConnection) {
  // The control: the reading method sees every response when framing is clean.
  Exchange e =
      send_raw("GET /healthz HTTP/1.1\r\nHost: " + host_ + "\r\n\r\n" +
               "GET /smuggled HTTP/1.1\r\nHost: " + host_ + "\r\nConnection: close\r\n\r\n");
  EXPECT_THAT(e.statuses, ::testing::ElementsAre(200, 404));
  EXPECT_TRUE(e.closed_by_server);
}

TEST_F(RequestFramingTest, AnUnknownTransferEncodingIs501AndEndsTheConnection) {
  Exchange e = send_raw("POST /sign-out HTTP/1.1\r\nHost: " + host_ +
                        "\r\nTransfer-Encoding: gzip\r\n\r\n" + smuggled());
  EXPECT_THAT(e.statuses, ::testing::ElementsAre(501));
  EXPECT_TRUE(e.closed_by_server);
}

TEST_F(RequestFramingTest, AChunkedListThatIsNotJustChunkedIs501) {
  for (const char* te : {"gzip, chunked", "chunked, identity", "xchunked", "identity"}) {
    Exchange e = send_raw("GET /healthz HTTP/1.1\r\nHost: " + host_ +
                          "\r\nTransfer-Encoding: " + te + "\r\n\r\n" + smuggled());
    EXPECT_THAT(e.statuses, ::testing::ElementsAre(501)) << te;
    EXPECT_TRUE(e.closed_by_server) << te;
  }
}

TEST_F(RequestFramingTest, ContentLengthWithTransferEncodingIs400AndEndsTheConnection) {
  // CL.TE: a front end that trusts Content-Length forwards "0\r\n\r\n" + the rest as one body.
  const std::string rest = smuggled();
  Exchange e = send_raw("POST /sign-out HTTP/1.1\r\nHost: " + host_ +
                        "\r\nContent-Length: " + std::to_string(5 + rest.size()) +
                        "\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n" + rest);
  EXPECT_THAT(e.statuses, ::testing::ElementsAre(400));
  EXPECT_TRUE(e.closed_by_server);
}

TEST_F(RequestFramingTest, TransferEncodingTwiceIs400) {
  Exchange e = send_raw("POST /sign-out HTTP/1.1\r\nHost: " + host_ +
                        "\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: cow\r\n\r\n" +
                        "0\r\n\r\n" + smuggled());
  EXPECT_THAT(e.statuses, ::testing::ElementsAre(400));
  EXPECT_TRUE(e.closed_by_server);
}

TEST_F(RequestFramingTest, ContentLengthTwiceIs400) {
  Exchange e = send_raw("POST /sign-out HTTP/1.1\r\nHost: " + host_ +
                        "\r\nContent-Length: 0\r\nContent-Length: 40\r\n\r\n" + smuggled());
  EXPECT_THAT(e.statuses, ::testing::ElementsAre(400));
  EXPECT_TRUE(e.closed_by_server);
}

TEST_F(RequestFramingTest, WhitespaceBeforeTheColonIs400) {
  // Other parsers read "Transfer-Encoding : chunked" as chunked; POCO keeps the space in
  // the name and would see no body at all.
  Exchange e = send_raw("POST /sign-out HTTP/1.1\r\nHost: " + host_ +
                        "\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\n" + smuggled());
  EXPECT_THAT(e.statuses, ::testing::ElementsAre(400));
  EXPECT_TRUE(e.closed_by_server);
}

TEST_F(RequestFramingTest, ANegativeOrMalformedContentLengthIs400) {
  for (const char* cl : {"-5", "+5", "5, 5", "0x10", "99999999999999999999"}) {
    Exchange e = send_raw("POST /sign-out HTTP/1.1\r\nHost: " + host_ +
                          "\r\nContent-Length: " + cl + "\r\n\r\nhello" + smuggled());
    EXPECT_THAT(e.text, Not(HasSubstr("404 "))) << cl;
    EXPECT_TRUE(e.closed_by_server) << cl;
    // POCO itself may refuse the request before we see it; then it just closes.
    for (int s : e.statuses) EXPECT_EQ(s, 400) << cl;
  }
}

TEST_F(RequestFramingTest, AChunkedBodyOnAGetIsAnsweredOnceThenTheConnectionEnds) {
  const std::string inner = smuggled();
  char size[16];
  std::snprintf(size, sizeof size, "%zx", inner.size());
  Exchange e = send_raw("GET /healthz HTTP/1.1\r\nHost: " + host_ +
                        "\r\nTransfer-Encoding: chunked\r\n\r\n" + size + "\r\n" + inner +
                        "\r\n0\r\n\r\n" + smuggled());
  EXPECT_THAT(e.statuses, ::testing::ElementsAre(200));
  EXPECT_TRUE(e.closed_by_server);
}

TEST_F(RequestFramingTest, ALengthBodyOnAGetIsAnsweredOnceThenTheConnectionEnds) {
  const std::string inner = smuggled();
  Exchange e = send_raw("GET /healthz HTTP/1.1\r\nHost: " + host_ + "\r\nContent-Length: " +
                        std::to_string(inner.size()) + "\r\n\r\n" + inner + smuggled());
  EXPECT_THAT(e.statuses, ::testing::ElementsAre(200));
  EXPECT_TRUE(e.closed_by_server);
}

TEST_F(RequestFramingTest, AnUnreadFormBodyIsNotTakenForTheNextRequest) {
  // A POST refused before its form is read (no session): the body stays unread.
  const std::string inner = smuggled();
  Exchange e = send_raw("POST /sign-out HTTP/1.1\r\nHost: " + host_ +
                        "\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " +
                        std::to_string(inner.size()) + "\r\n\r\n" + inner);
  ASSERT_EQ(e.statuses.size(), 1u);
  EXPECT_NE(e.statuses[0], 404);
  EXPECT_TRUE(e.closed_by_server);
}

TEST_F(RequestFramingTest, CaseAndSpacesAroundChunkedAreAccepted) {
  Exchange e = send_raw("GET /healthz HTTP/1.1\r\nHost: " + host_ +
                        "\r\nTransfer-Encoding: Chunked \r\n\r\n0\r\n\r\n");
  EXPECT_THAT(e.statuses, ::testing::ElementsAre(200));
}

TEST_F(RequestFramingTest, ARequestWithoutHostIs400NotAnInternalError) {
  // Found by fuzz_admin_request: the Host check threw, and POCO answered 500.
  for (const char* version : {"HTTP/1.0", "HTTP/1.1"}) {
    Exchange e = send_raw(std::string("GET /healthz ") + version + "\r\nConnection: close\r\n\r\n");
    EXPECT_THAT(e.statuses, ::testing::ElementsAre(400)) << version;
    EXPECT_THAT(e.text, HasSubstr("names no host")) << version;
  }
}

TEST(RequestFraming, ACleanRequestHasNoFaultAndNoBody) {
  Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, "/");
  EXPECT_FALSE(framing_fault(request));
  EXPECT_FALSE(announces_body(request));
  request.set("Content-Length", "0");
  EXPECT_FALSE(announces_body(request));
  request.set("Content-Length", "12");
  EXPECT_FALSE(framing_fault(request));
  EXPECT_TRUE(announces_body(request));
}

}  // namespace
}  // namespace commonroom::admin_web
