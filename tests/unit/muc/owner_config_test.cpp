// Room configuration (XEP-0045 §10.2): the muc#roomconfig form, validation, notifications
// of changes (§10.2.1), admin/owner lists in the form, and locked settings from policy.
#include "room_harness.hpp"

using namespace commonroom::muc;
using namespace commonroom::muc::test;
using ::testing::SizeIs;

namespace {

commonroom::xmpp::DataForm form_of(const Element& iq) {
  return commonroom::xmpp::parse_data_form(
      *iq.find_child("query", commonroom::xmpp::ns::muc_owner)
           ->find_child("x", commonroom::xmpp::ns::data_forms));
}

class OwnerConfigTest : public ::testing::Test {
 protected:
  void SetUp() override { room.gather_coven(2); }
  commonroom::xmpp::DataForm form() {
    Stanzas out =
        room.iq(kCrone, kCoven, "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
    return form_of(out.at(0));
  }
  RoomHarness room;
};

}  // namespace

TEST_F(OwnerConfigTest, OffersEveryMucRoomconfigFieldWithTheCurrentValues) {
  // Examples 163-164 (§10.2) and the muc#roomconfig registry (§16.5.3).
  commonroom::xmpp::DataForm f = form();
  EXPECT_EQ(f.type, commonroom::xmpp::FormType::form);
  EXPECT_EQ(f.form_type(), "http://jabber.org/protocol/muc#roomconfig");
  for (const char* var : {"muc#roomconfig_roomname",
                          "muc#roomconfig_roomdesc",
                          "muc#roomconfig_lang",
                          "muc#roomconfig_enablelogging",
                          "muc#roomconfig_changesubject",
                          "muc#roomconfig_allowinvites",
                          "muc#roomconfig_allowpm",
                          "muc#roomconfig_maxusers",
                          "muc#roomconfig_presencebroadcast",
                          "muc#roomconfig_getmemberlist",
                          "muc#roomconfig_publicroom",
                          "muc#roomconfig_persistentroom",
                          "muc#roomconfig_moderatedroom",
                          "muc#roomconfig_membersonly",
                          "muc#roomconfig_passwordprotectedroom",
                          "muc#roomconfig_roomsecret",
                          "muc#roomconfig_whois",
                          "muc#maxhistoryfetch",
                          "muc#roomconfig_roomadmins",
                          "muc#roomconfig_roomowners"}) {
    EXPECT_NE(f.field(var), nullptr) << var;
  }
  // This service's defaults: logged, non-anonymous, public, temporary.
  EXPECT_EQ(f.bool_value("muc#roomconfig_enablelogging"), true);
  EXPECT_EQ(f.value("muc#roomconfig_whois").value_or(""), "anyone");
  EXPECT_EQ(f.bool_value("muc#roomconfig_publicroom"), true);
  EXPECT_EQ(f.bool_value("muc#roomconfig_persistentroom"), false);
  EXPECT_EQ(f.values("muc#roomconfig_roomowners"),
            (std::vector<std::string>{"crone1@shakespeare.lit"}));
}

TEST_F(OwnerConfigTest, RefusesTheFormToNonOwnersWithForbidden) {
  // Example 162.
  Stanzas out =
      room.iq(kWicca, kCoven, "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("auth/forbidden"));
  EXPECT_THAT(room.configure(kWicca, kCoven, {{"muc#roomconfig_roomname", {"Mine"}}}).at(0),
              IsError("auth/forbidden"));
}

TEST_F(OwnerConfigTest, AppliesASubmittedFormAndShowsItNextTime) {
  Stanzas out = room.configure(kCrone, kCoven,
                               {{"muc#roomconfig_roomname", {"A Dark Cave"}},
                                {"muc#roomconfig_roomdesc", {"The place for all good witches!"}},
                                {"muc#roomconfig_changesubject", {"1"}},
                                {"muc#roomconfig_maxusers", {"20"}}});
  EXPECT_THAT(out.at(0), IsResult());
  ASSERT_FALSE(room.effects().events.empty());
  EXPECT_EQ(room.effects().events.back().kind, RoomEventKind::config_change);
  EXPECT_NE(room.effects().events.back().detail.find("room_name"), std::string::npos);
  commonroom::xmpp::DataForm f = form();
  EXPECT_EQ(f.value("muc#roomconfig_roomname").value_or(""), "A Dark Cave");
  EXPECT_EQ(f.value("muc#roomconfig_roomdesc").value_or(""), "The place for all good witches!");
  EXPECT_EQ(f.bool_value("muc#roomconfig_changesubject"), true);
  EXPECT_EQ(f.value("muc#roomconfig_maxusers").value_or(""), "20");
}

TEST_F(OwnerConfigTest, TellsOccupantsOfAChangeWithStatus104) {
  // §10.2.1.
  Stanzas out = room.configure(kCrone, kCoven, {{"muc#roomconfig_roomname", {"A Dark Cave"}}});
  Stanzas to_wicca = sent_to(out, kWicca);
  ASSERT_THAT(to_wicca, SizeIs(1)) << str(out);
  EXPECT_EQ(to_wicca[0].name(), "message");
  EXPECT_THAT(to_wicca[0], From(kCoven));
  EXPECT_THAT(to_wicca[0], HasStatuses(std::vector<int>{104}));
}

TEST_F(OwnerConfigTest, TellsOccupantsOfPrivacyChangesWithTheirOwnCodes) {
  // Example 167: 171 logging off, 173 semi-anonymous; then 170 and 172 back.
  Stanzas off = room.configure(
      kCrone, kCoven,
      {{"muc#roomconfig_enablelogging", {"0"}}, {"muc#roomconfig_whois", {"moderators"}}});
  EXPECT_THAT(sent_to(off, kWicca).at(0), HasStatuses(std::vector<int>{171, 173}));
  Stanzas on = room.configure(
      kCrone, kCoven,
      {{"muc#roomconfig_enablelogging", {"1"}}, {"muc#roomconfig_whois", {"anyone"}}});
  EXPECT_THAT(sent_to(on, kWicca).at(0), HasStatuses(std::vector<int>{170, 172}));
}

TEST_F(OwnerConfigTest, SendsNothingToOccupantsWhenNothingChanged) {
  Stanzas out = room.configure(kCrone, kCoven, {{"muc#roomconfig_publicroom", {"1"}}});
  EXPECT_THAT(out, SizeIs(1));
}

TEST_F(OwnerConfigTest, RefusesAPasswordProtectedRoomWithoutPasswordWithNotAcceptable) {
  // Example 160's policy violation.
  Stanzas out = room.configure(kCrone, kCoven, {{"muc#roomconfig_passwordprotectedroom", {"1"}}});
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsError("modify/not-acceptable"));
  EXPECT_EQ(form().bool_value("muc#roomconfig_passwordprotectedroom"), false);  // unchanged
}

TEST_F(OwnerConfigTest, RefusesValuesOutsideTheOfferedOptionsWithNotAcceptable) {
  EXPECT_THAT(room.configure(kCrone, kCoven, {{"muc#roomconfig_whois", {"nobody"}}}).at(0),
              IsError("modify/not-acceptable"));
  EXPECT_THAT(room.configure(kCrone, kCoven, {{"muc#roomconfig_maxusers", {"lots"}}}).at(0),
              IsError("modify/not-acceptable"));
  EXPECT_THAT(room.configure(kCrone, kCoven, {{"muc#roomconfig_moderatedroom", {"yes"}}}).at(0),
              IsError("modify/not-acceptable"));
  EXPECT_THAT(
      room.configure(kCrone, kCoven, {{"muc#roomconfig_roomadmins", {"not a jid@@"}}}).at(0),
      IsError("modify/not-acceptable"));
}

TEST_F(OwnerConfigTest, RefusesAFormOfAnotherTypeWithBadRequest) {
  Stanzas out =
      room.iq(kCrone, kCoven, "set",
              "<query xmlns='http://jabber.org/protocol/muc#owner'><x xmlns='jabber:x:data' "
              "type='submit'><field var='FORM_TYPE'><value>urn:example:other</value></field>"
              "<field var='x'><value>1</value></field></x></query>");
  EXPECT_THAT(out.at(0), IsError("modify/bad-request"));
}

TEST_F(OwnerConfigTest, KeepsTheConfigurationWhenTheOwnerCancels) {
  // §10.2: cancelling a later configuration changes nothing.
  Stanzas out = room.iq(kCrone, kCoven, "set",
                        "<query xmlns='http://jabber.org/protocol/muc#owner'><x "
                        "xmlns='jabber:x:data' type='cancel'/></query>");
  ASSERT_THAT(out, SizeIs(1));
  EXPECT_THAT(out[0], IsResult());
  EXPECT_THAT(room.service().rooms(), SizeIs(1));
}

TEST_F(OwnerConfigTest, TheAdminAndOwnerFieldsReplaceTheWholeLists) {
  // §10.2: muc#roomconfig_roomadmins is the full list, not a delta.
  Stanzas out = room.configure(
      kCrone, kCoven,
      {{"muc#roomconfig_roomadmins", {"wiccarocks@shakespeare.lit", "hecate@shakespeare.lit"}}});
  // §10.2: an occupant who becomes admin is seen as such (no other setting changed).
  Stanzas to_wicca = sent_to(out, kWicca);
  ASSERT_THAT(to_wicca, SizeIs(1)) << str(out);
  EXPECT_THAT(to_wicca[0], HasItem("admin", "moderator"));
  EXPECT_EQ(form().values("muc#roomconfig_roomadmins"),
            (std::vector<std::string>{"hecate@shakespeare.lit", "wiccarocks@shakespeare.lit"}));
  room.configure(kCrone, kCoven, {{"muc#roomconfig_roomadmins", {"hecate@shakespeare.lit"}}});
  EXPECT_EQ(form().values("muc#roomconfig_roomadmins"),
            (std::vector<std::string>{"hecate@shakespeare.lit"}));
  EXPECT_THAT(room.configure(kCrone, kCoven, {{"muc#roomconfig_roomowners", {}}}).at(0),
              IsError("modify/not-acceptable"));
}

TEST(OwnerConfigPolicy, ShowsLockedFieldsFixedAndRefusesChangingThem) {
  // Campus policy: never anonymous, always logged.
  struct Campus : PermissivePolicy {
    std::vector<commonroom::xmpp::FormField> locked_fields(
        const commonroom::xmpp::Jid&) const override {
      return {commonroom::xmpp::FormField::boolean("muc#roomconfig_enablelogging", true),
              commonroom::xmpp::FormField::list_single("muc#roomconfig_whois", "anyone", {})};
    }
  };
  RoomServiceConfig cfg = default_config();
  cfg.room_defaults.whois = Whois::moderators;  // the lock wins over the default
  cfg.room_defaults.enable_logging = false;
  RoomHarness room(cfg, std::make_shared<Campus>());
  Stanzas created = room.join(kCrone, "coven@chat.shakespeare.lit/firstwitch");
  EXPECT_THAT(created.at(0), HasStatuses(std::vector<int>{100, 110, 170, 201}));
  Stanzas out =
      room.iq(kCrone, kCoven, "get", "<query xmlns='http://jabber.org/protocol/muc#owner'/>");
  commonroom::xmpp::DataForm f = form_of(out.at(0));
  const commonroom::xmpp::FormField* whois = f.field("muc#roomconfig_whois");
  ASSERT_NE(whois, nullptr);
  EXPECT_EQ(whois->values, (std::vector<std::string>{"anyone"}));
  ASSERT_THAT(whois->options, SizeIs(1));
  EXPECT_FALSE(whois->desc.empty());
  EXPECT_THAT(room.configure(kCrone, kCoven, {{"muc#roomconfig_enablelogging", {"0"}}}).at(0),
              IsError("modify/not-acceptable"));
  EXPECT_THAT(room.configure(kCrone, kCoven, {{"muc#roomconfig_enablelogging", {"true"}}}).at(0),
              IsResult());
}

TEST_F(OwnerConfigTest, OffersNoFixedInstructionFields) {
  // Clients that echo the whole form back (slixmpp's Form.reply()) cannot stumble on
  // instruction fields the room never sends; the text is in each field's <desc/>.
  for (const auto& field : form().fields) {
    EXPECT_NE(field.effective_type(), commonroom::xmpp::FieldType::fixed) << field.value();
    EXPECT_FALSE(field.var.empty());
  }
}

TEST_F(OwnerConfigTest, AcceptsTheWholeFormEchoedBackWithoutTypesAsPoezioSendsIt) {
  // slixmpp's get_room_config() -> form.reply() -> set_room_config(): every field of the
  // form, types removed, instruction fields without 'var' kept, plus values for fields
  // the room never offered. Fields without 'var' set nothing and are ignored.
  std::string fields;
  for (const auto& field : form().fields) {
    std::string value(field.var == "muc#roomconfig_roomname" ? "A Dark Cave" : field.value());
    fields += "<field var='" + field.var + "'><value>" + value + "</value></field>";
  }
  fields += "<field><value>You may specify additional people.</value></field>";
  fields += "<field type='fixed'><value>a</value><value>b</value></field>";
  fields += "<field var='x-unknown#setting'><value>1</value><value>2</value></field>";
  Stanzas out = room.iq(kCrone, kCoven, "set",
                        "<query xmlns='http://jabber.org/protocol/muc#owner'>"
                        "<x xmlns='jabber:x:data' type='submit'>" +
                            fields + "</x></query>");
  ASSERT_THAT(out, ::testing::Not(::testing::IsEmpty()));
  EXPECT_THAT(out.at(0), IsResult()) << str(out);
  EXPECT_EQ(form().value("muc#roomconfig_roomname").value_or(""), "A Dark Cave");
}
