// The Raven (Ucam WebAuth 3) response parser on inputs the fuzzer found.
#include "admin-web/raven.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <string>

namespace commonroom::admin_web {
namespace {

RavenResult check_at_2026(const std::string& response) {
  static const std::map<std::string, std::string> keys;  // nothing trusted: never accepted
  RavenCheck check;
  check.expected_url = "https://admin.example/auth/raven";
  check.keys = &keys;
  return verify_raven_response(
      response, check, std::chrono::system_clock::time_point(std::chrono::seconds(1767225600)));
}

std::string response_issued(const std::string& issue) {
  return "3!200!!" + issue +
         "!1!https%3A%2F%2Fadmin.example%2Fauth%2Fraven!ab123!current!pwd!!36000!x!901!AAAA";
}

TEST(RavenResponse, AnIssueYearBeyondTheClocksRangeIsMalformedNotAnOverflow) {
  // Found by fuzz_raven_response: year 2602 overflowed system_clock's nanoseconds (UB).
  for (const char* issue : {"26020101T000000Z", "99991231T235959Z", "00000101T000000Z"}) {
    RavenResult r = check_at_2026(response_issued(issue));
    EXPECT_FALSE(r.accepted) << issue;
    EXPECT_EQ(r.refusal, RavenRefusal::malformed) << issue;
    EXPECT_NE(r.message.find("issue time"), std::string::npos) << issue;
  }
}

TEST(RavenResponse, ABadSignatureEncodingIsRefusedWithoutLeaking) {
  // Found by fuzz_raven_response (LeakSanitizer): the base64 decoder threw mid-string.
  static const std::map<std::string, std::string> keys{{"901", "not a key"}};
  RavenCheck check;
  check.expected_url = "https://admin.example/auth/raven";
  check.keys = &keys;
  const std::string head =
      "3!200!!20260101T000000Z!1!https%3A%2F%2Fadmin.example%2Fauth%2Fraven!ab123!current!pwd!!"
      "36000!x!901!";
  for (std::string sig : {std::string("c") + std::string(40, '.') + "\xff\xff`\x90",
                          std::string("-._"), std::string("AAAA\x01"), std::string("")}) {
    RavenResult r = verify_raven_response(
        head + sig, check, std::chrono::system_clock::time_point(std::chrono::seconds(1767225600)));
    EXPECT_FALSE(r.accepted);
    EXPECT_EQ(r.refusal, RavenRefusal::bad_signature);
  }
}

TEST(RavenResponse, AnIssueTimeNearNowGoesOnToTheKeyCheck) {
  RavenResult r = check_at_2026(response_issued("20260101T000010Z"));
  EXPECT_FALSE(r.accepted);
  EXPECT_EQ(r.refusal, RavenRefusal::unknown_key);
}

TEST(RavenResponse, AnIssueTimeAYearOffIsStale) {
  RavenResult r = check_at_2026(response_issued("20250101T000000Z"));
  EXPECT_EQ(r.refusal, RavenRefusal::stale);
}

}  // namespace
}  // namespace commonroom::admin_web
