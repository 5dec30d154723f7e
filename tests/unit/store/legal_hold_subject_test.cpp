#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "store/legal_holds.hpp"

namespace commonroom::store {
namespace {

using ::testing::HasSubstr;

std::string error_of(const std::string& kind, const std::string& text) {
  try {
    prepare_hold_subject(kind, text);
  } catch (const HoldError& e) {
    return e.what();
  }
  return "(no error)";
}

// The abuse log stores prepared JIDs; a hold must name them the same way or it keeps nothing.
TEST(HoldSubject, IsTheBareJidPreparedAsTheAbuseLogStoresIt) {
  EXPECT_EQ(prepare_hold_subject("user", "Mallory@CAM.example"), "mallory@cam.example");
  EXPECT_EQ(prepare_hold_subject("room", "Lobby@Conference.cam.example"),
            "lobby@conference.cam.example");
  EXPECT_EQ(prepare_hold_subject("user", "mallory@cam.example"), "mallory@cam.example");
}

TEST(HoldSubject, FoldsNonAsciiCaseAndNormalisesComposedForms) {
  EXPECT_EQ(prepare_hold_subject("user", "Dörte@cam.example"), "dörte@cam.example");
  EXPECT_EQ(prepare_hold_subject("user", "DÖRTE@CAM.EXAMPLE"), "dörte@cam.example");
  // "o" + U+0308 COMBINING DIAERESIS is the same user as the precomposed ö (NFKC).
  EXPECT_EQ(prepare_hold_subject("user", "do\xCC\x88rte@cam.example"), "dörte@cam.example");
  // An IDNA domain typed in its ASCII form is the Unicode domain the rooms engine logs.
  EXPECT_EQ(prepare_hold_subject("room", "Café@xn--mnchen-3ya.example"), "café@münchen.example");
}

TEST(HoldSubject, RefusesWhatIsNotABareJidOfTheRightShape) {
  EXPECT_THAT(error_of("user", "mallory cam.example@x"), HasSubstr("is not a JID: node"));
  EXPECT_THAT(error_of("user", "mallory@"), HasSubstr("is not a JID"));
  EXPECT_THAT(error_of("user", "mallory@cam.example/phone"),
              HasSubstr("has a resource (/phone); a hold is on a bare JID (mallory@cam.example)"));
  EXPECT_THAT(error_of("user", "cam.example"), HasSubstr("a user hold needs the user's bare JID"));
  EXPECT_THAT(error_of("room", "conference.cam.example"),
              HasSubstr("a room hold needs the room's bare JID"));
  EXPECT_THAT(error_of("user", ""), HasSubstr("a user hold needs a JID"));
  EXPECT_THAT(error_of("server", "x@y"), HasSubstr("a hold is on a room or a user"));
}

}  // namespace
}  // namespace commonroom::store
