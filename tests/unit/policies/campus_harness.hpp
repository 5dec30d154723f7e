// Scenario tests for the campus policy: the real rooms service with CampusPolicy plugged in.
#pragma once
#include <memory>
#include <string>

#include "policies/campus_policy.hpp"
#include "tests/unit/muc/room_harness.hpp"

namespace commonroom::policies::test {

using namespace commonroom::muc::test;

// kCrone, kHag, kWicca and kHecate come from the muc harness.
inline constexpr const char* kWiz = "wiz@shakespeare.lit/laptop";
inline constexpr const char* kRemote = "romeo@montague.lit/orchard";
inline constexpr const char* kDenied = "troll@spam.example/x";

// Local domain shakespeare.lit; everything else as the defaults say.
inline PolicySettings campus_settings() {
  PolicySettings s;
  s.local_domains = {"shakespeare.lit"};
  return s;
}

inline muc::test::RoomHarness campus_rooms(PolicySettings s = campus_settings(),
                                           std::shared_ptr<const StaffDirectory> staff = {}) {
  return muc::test::RoomHarness(muc::test::default_config(),
                                std::make_shared<CampusPolicy>(std::move(s), std::move(staff)));
}

// The <text/> of an error stanza ("" when none).
inline std::string error_text(const xmpp::Element& stanza) {
  const xmpp::Element* e = stanza.find_child("error", stanza.xmlns());
  return e ? xmpp::parse_stanza_error(*e).text : std::string();
}

// Whether `out` holds a self-presence (status 110) for `who`: the user is in the room.
inline bool entered(const Stanzas& out, std::string_view who) {
  for (const auto& s : sent_to(out, who)) {
    auto codes = status_codes(s);
    if (s.name() == "presence" && !s.has_attr("type") &&
        std::find(codes.begin(), codes.end(), 110) != codes.end()) {
      return true;
    }
  }
  return false;
}

}  // namespace commonroom::policies::test
