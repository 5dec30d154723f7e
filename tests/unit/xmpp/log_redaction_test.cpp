// Trace logs never show a room password (trace logging once wrote whole stanzas).
#include "xmpp/log_redaction.hpp"

#include <gtest/gtest.h>

using commonroom::xmpp::redact_secrets;

TEST(RedactSecrets, BlanksThePasswordOfAJoin) {
  // XEP-0045 Example 27.
  EXPECT_EQ(redact_secrets("<presence from='hag66@shakespeare.lit/pda' "
                           "to='coven@chat.shakespeare.lit/thirdwitch'><x "
                           "xmlns='http://jabber.org/protocol/muc'><password>cauldronburn"
                           "</password></x></presence>"),
            "<presence from='hag66@shakespeare.lit/pda' "
            "to='coven@chat.shakespeare.lit/thirdwitch'><x "
            "xmlns='http://jabber.org/protocol/muc'><password>[redacted]</password></x>"
            "</presence>");
}

TEST(RedactSecrets, BlanksTheRoomSecretAndPrivateFieldsOfAForm) {
  std::string form =
      "<x xmlns='jabber:x:data' type='submit'>"
      "<field var='muc#roomconfig_roomname'><value>A Dark Cave</value></field>"
      "<field var='muc#roomconfig_roomsecret'><value>cauldronburn</value></field>"
      "<field type=\"text-private\" var=\"pin\"><value>1234</value><value>5</value></field>"
      "</x>";
  std::string out = redact_secrets(form);
  EXPECT_EQ(out.find("cauldronburn"), std::string::npos) << out;
  EXPECT_EQ(out.find("1234"), std::string::npos) << out;
  EXPECT_NE(out.find("<value>A Dark Cave</value>"), std::string::npos) << out;
  EXPECT_NE(out.find("<field var='muc#roomconfig_roomsecret'><value>[redacted]</value></field>"),
            std::string::npos)
      << out;
}

TEST(RedactSecrets, LeavesOtherStanzasAloneAndSurvivesTruncatedOrOddInput) {
  // A body that merely mentions the tag (escaped in real XML) is left as it is.
  std::string escaped = "<message to='a@b'><body>&lt;password&gt;x</body></message>";
  EXPECT_EQ(redact_secrets(escaped), escaped);
  EXPECT_EQ(redact_secrets("<passwords>x</passwords>"), "<passwords>x</passwords>");
  EXPECT_EQ(redact_secrets("<password/>"), "<password/>");
  EXPECT_EQ(redact_secrets("<x><password>secret"), "<x><password>[redacted]");
  EXPECT_EQ(redact_secrets("<field var='roomsecret'><value>s"),
            "<field var='roomsecret'><value>[redacted]");
  EXPECT_EQ(redact_secrets(""), "");
  EXPECT_EQ(redact_secrets("<field"), "<field");
  EXPECT_EQ(redact_secrets("<password"), "<password");
}
