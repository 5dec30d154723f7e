#include <gtest/gtest.h>

#include "xmpp/parse_element.hpp"
#include "xmpp/payloads/data_form.hpp"
#include "xmpp/payloads/payload_error.hpp"
#include "xmpp/serializer.hpp"

using namespace commonroom::xmpp;

namespace {

// XEP-0004 Example 2, "Service Returns Bot Creation Form" (the <x/> element, verbatim).
constexpr const char* kBotForm = R"(
    <x xmlns='jabber:x:data' type='form'>
      <title>Bot Configuration</title>
      <instructions>Fill out this form to configure your new bot!</instructions>
      <field type='hidden'
             var='FORM_TYPE'>
        <value>jabber:bot</value>
      </field>
      <field type='fixed'><value>Section 1: Bot Info</value></field>
      <field type='text-single'
             label='The name of your bot'
             var='botname'/>
      <field type='text-multi'
             label='Helpful description of your bot'
             var='description'/>
      <field type='boolean'
             label='Public bot?'
             var='public'>
        <required/>
      </field>
      <field type='text-private'
             label='Password for special access'
             var='password'/>
      <field type='fixed'><value>Section 2: Features</value></field>
      <field type='list-multi'
             label='What features will the bot support?'
             var='features'>
        <option label='Contests'><value>contests</value></option>
        <option label='News'><value>news</value></option>
        <option label='Polls'><value>polls</value></option>
        <option label='Reminders'><value>reminders</value></option>
        <option label='Search'><value>search</value></option>
        <value>news</value>
        <value>search</value>
      </field>
      <field type='fixed'><value>Section 3: Subscriber List</value></field>
      <field type='list-single'
             label='Maximum number of subscribers'
             var='maxsubs'>
        <value>20</value>
        <option label='10'><value>10</value></option>
        <option label='20'><value>20</value></option>
        <option label='30'><value>30</value></option>
        <option label='50'><value>50</value></option>
        <option label='100'><value>100</value></option>
        <option label='None'><value>none</value></option>
      </field>
      <field type='fixed'><value>Section 4: Invitations</value></field>
      <field type='jid-multi'
             label='People to invite'
             var='invitelist'>
        <desc>Tell all your friends about your new bot!</desc>
      </field>
    </x>)";

// XEP-0004 Example 3, "User Submits Bot Creation Form" (the <x/> element, verbatim).
constexpr const char* kBotSubmit = R"(
    <x xmlns='jabber:x:data' type='submit'>
      <field type='hidden' var='FORM_TYPE'>
        <value>jabber:bot</value>
      </field>
      <field type='text-single' var='botname'>
        <value>The Jabber Google Bot</value>
      </field>
      <field type='text-multi' var='description'>
        <value>This bot enables you to send requests to</value>
        <value>Google and receive the search results right</value>
        <value>in your Jabber client. It&apos; really cool!</value>
        <value>It even supports Google News!</value>
      </field>
      <field type='boolean' var='public'>
        <value>0</value>
      </field>
      <field type='text-private' var='password'>
        <value>v3r0na</value>
      </field>
      <field type='list-multi' var='features'>
        <value>news</value>
        <value>search</value>
      </field>
      <field type='list-single' var='maxsubs'>
        <value>50</value>
      </field>
      <field type='jid-multi' var='invitelist'>
        <value>juliet@capulet.com</value>
        <value>benvolio@montague.net</value>
      </field>
    </x>)";

// XEP-0004 Example 8, "Service Returns Search Results" (abridged to two items).
constexpr const char* kSearchResult = R"(
    <x xmlns='jabber:x:data' type='result'>
      <title>Joogle Search: verona</title>
      <reported>
        <field var='name'/>
        <field var='url'/>
      </reported>
      <item>
        <field var='name'>
          <value>Comune di Verona - Benvenuti nel sito ufficiale</value>
        </field>
        <field var='url'>
          <value>http://www.comune.verona.it/</value>
        </field>
      </item>
      <item>
        <field var='name'>
          <value>benvenuto!</value>
        </field>
        <field var='url'>
          <value>http://www.hellasverona.it/</value>
        </field>
      </item>
    </x>)";

DataForm parse(const std::string& xml) {
  return parse_data_form(parse_element(xml));
}

std::string problem(const std::string& xml) {
  try {
    parse(xml);
  } catch (const PayloadError& e) {
    return e.what();
  }
  ADD_FAILURE() << "accepted: " << xml;
  return {};
}

std::string x(const std::string& type, const std::string& inner) {
  return "<x xmlns='jabber:x:data' type='" + type + "'>" + inner + "</x>";
}

DataForm submit(const std::string& fields) {
  return parse(x("submit", fields));
}

}  // namespace

TEST(DataForm, ReadsTheXep0004BotCreationForm) {
  DataForm form = parse(kBotForm);
  EXPECT_EQ(form.type, FormType::form);
  EXPECT_EQ(form.title, "Bot Configuration");
  ASSERT_EQ(form.instructions.size(), 1u);
  EXPECT_EQ(form.form_type(), "jabber:bot");
  EXPECT_EQ(form.fields.size(), 12u);

  const FormField* pub = form.field("public");
  ASSERT_NE(pub, nullptr);
  EXPECT_EQ(pub->type, FieldType::boolean);
  EXPECT_EQ(pub->label, "Public bot?");
  EXPECT_TRUE(pub->required);
  EXPECT_EQ(pub->bool_value(), std::nullopt);

  const FormField* features = form.field("features");
  ASSERT_NE(features, nullptr);
  EXPECT_EQ(features->options.size(), 5u);
  EXPECT_EQ(features->options[1], (FormOption{"News", "news"}));
  EXPECT_EQ(form.values("features"), (std::vector<std::string>{"news", "search"}));

  EXPECT_EQ(form.value("maxsubs"), "20");
  EXPECT_TRUE(form.field("maxsubs")->has_option("none"));
  EXPECT_EQ(form.field("invitelist")->desc, "Tell all your friends about your new bot!");
  EXPECT_EQ(form.fields[1].type, FieldType::fixed);
  EXPECT_EQ(form.fields[1].var, "");
  EXPECT_EQ(form.fields[1].value(), "Section 1: Bot Info");
}

TEST(DataForm, BotCreationFormRoundTrips) {
  DataForm form = parse(kBotForm);
  EXPECT_EQ(parse_data_form(to_element(form)), form);
  DataForm submitted = parse(kBotSubmit);
  EXPECT_EQ(parse_data_form(to_element(submitted)), submitted);
  EXPECT_EQ(submitted.values("description").size(), 4u);
  EXPECT_EQ(submitted.values("description")[2], "in your Jabber client. It' really cool!");
}

TEST(DataForm, SerializesFieldsInSchemaOrder) {
  DataForm form = parse(R"(<x xmlns='jabber:x:data' type='form'>
      <title>Joogle Search</title>
      <instructions>Fill out this form to search for information!</instructions>
      <field type='text-single'
             var='search_request'>
        <required/>
      </field>
    </x>)");
  EXPECT_EQ(to_string(to_element(form)),
            "<x xmlns='jabber:x:data' type='form'><title>Joogle Search</title><instructions>Fill "
            "out this form to search for information!</instructions><field var='search_request' "
            "type='text-single'><required/></field></x>");

  DataForm built;
  built.type = FormType::form;
  built.set_form_type("http://jabber.org/protocol/muc#roomconfig");
  built.fields.push_back(FormField::text_single("muc#roomconfig_roomname", "Kitchen", "Name"));
  built.fields.push_back(FormField::boolean("muc#roomconfig_persistentroom", true));
  built.fields.push_back(FormField::list_single(
      "muc#roomconfig_whois", "moderators", {{"Moderators", "moderators"}, {"Anyone", "anyone"}},
      "Who may discover real JIDs?"));
  built.fields.back().desc = "Real JIDs are never public on campus";
  EXPECT_EQ(to_string(to_element(built)),
            "<x xmlns='jabber:x:data' type='form'>"
            "<field var='FORM_TYPE' type='hidden'><value>http://jabber.org/protocol/muc#roomconfig"
            "</value></field>"
            "<field var='muc#roomconfig_roomname' type='text-single' label='Name'><value>Kitchen"
            "</value></field>"
            "<field var='muc#roomconfig_persistentroom' type='boolean'><value>1</value></field>"
            "<field var='muc#roomconfig_whois' type='list-single' label='Who may discover real "
            "JIDs?'><desc>Real JIDs are never public on campus</desc><value>moderators</value>"
            "<option label='Moderators'><value>moderators</value></option><option "
            "label='Anyone'><value>anyone</value></option></field></x>");
  EXPECT_EQ(parse_data_form(to_element(built)), built);
}

TEST(DataForm, ReadsResultTablesWithReportedAndItems) {
  DataForm result = parse(kSearchResult);
  EXPECT_EQ(result.type, FormType::result);
  ASSERT_EQ(result.reported.size(), 2u);
  EXPECT_EQ(result.reported[1].var, "url");
  ASSERT_EQ(result.items.size(), 2u);
  EXPECT_EQ(result.items[1][1].value(), "http://www.hellasverona.it/");
  EXPECT_TRUE(result.fields.empty());
  EXPECT_EQ(parse_data_form(to_element(result)), result);
  EXPECT_TRUE(to_string(to_element(result))
                  .starts_with("<x xmlns='jabber:x:data' type='result'><title>Joogle Search: "
                               "verona</title><reported><field var='name'/><field var='url'/>"
                               "</reported><item><field var='name'><value>Comune di Verona"));
}

TEST(DataForm, AcceptsItemsBeforeReportedFromOlderSenders) {
  DataForm result = parse(x("result",
                            "<item><field var='a'><value>1</value></field></item>"
                            "<reported><field var='a'/></reported>"));
  EXPECT_EQ(result.items.size(), 1u);
  EXPECT_EQ(result.reported.size(), 1u);
}

TEST(DataForm, ReadsAnUnknownFieldTypeAsTextSingle) {
  DataForm form = parse(x("form", "<field var='when' type='datetime'><value>now</value></field>"));
  EXPECT_EQ(form.field("when")->type, FieldType::text_single);
}

TEST(DataForm, ReadsBooleansInAllFourSpellings) {
  EXPECT_EQ(parse_form_boolean("1"), true);
  EXPECT_EQ(parse_form_boolean("true"), true);
  EXPECT_EQ(parse_form_boolean("0"), false);
  EXPECT_EQ(parse_form_boolean("false"), false);
  EXPECT_EQ(parse_form_boolean("TRUE"), std::nullopt);
  EXPECT_EQ(parse_form_boolean("yes"), std::nullopt);
  EXPECT_EQ(parse_form_boolean(""), std::nullopt);
  DataForm form = parse(x("submit", "<field var='a'><value>true</value></field>"));
  EXPECT_EQ(form.bool_value("a"), true);
  EXPECT_EQ(form.bool_value("missing"), std::nullopt);
}

TEST(DataForm, RejectsStructurallyBrokenForms) {
  EXPECT_EQ(problem("<x xmlns='jabber:x:data'/>"), "data form: the 'type' attribute is missing");
  EXPECT_EQ(problem(x("draft", "")),
            "data form: type \"draft\" is not one of form, submit, cancel, result");
  EXPECT_EQ(problem(x("form", "<field type='boolean'/>")),
            "data form: a field of type boolean has no 'var' attribute");
  EXPECT_EQ(problem(x("form", "<field var='a'/><field var='a'/>")),
            "data form: field 'a' appears more than once");
  EXPECT_EQ(problem(x("form", "<title>a</title><title>b</title>")),
            "data form: <title/> appears more than once");
  EXPECT_EQ(problem(x("form", "<field var='a'><desc>1</desc><desc>2</desc></field>")),
            "data form field 'a': <desc/> appears more than once");
  EXPECT_EQ(problem(x("form",
                      "<field var='a' type='text-single'><value>1</value>"
                      "<value>2</value></field>")),
            "data form field 'a': text-single fields take at most one value, got 2");
  EXPECT_EQ(problem(x("form", "<field type='fixed'><value>1</value><value>2</value></field>")),
            "data form fixed field: fixed fields take at most one value, got 2");
  EXPECT_EQ(problem(x("form", "<field var='b' type='boolean'><value>yes</value></field>")),
            "data form field 'b': boolean value must be 0, 1, true or false, got \"yes\"");
  EXPECT_EQ(problem(x("form",
                      "<field var='a' type='text-single'><option><value>1</value>"
                      "</option></field>")),
            "data form field 'a': options are only allowed in list-single and list-multi fields");
  EXPECT_EQ(problem(x("form", "<field var='a' type='list-single'><option label='x'/></field>")),
            "data form field 'a': an <option/> must contain exactly one <value/>");
  EXPECT_EQ(problem(x("form",
                      "<field var='a' type='list-multi'><option><value>1</value>"
                      "<value>2</value></option></field>")),
            "data form field 'a': an <option/> must contain exactly one <value/>");
  EXPECT_EQ(problem(x("form",
                      "<field var='a' type='list-multi'><option><value>1</value></option>"
                      "<option><value>1</value></option></field>")),
            "data form field 'a': option \"1\" is repeated");
  EXPECT_EQ(problem(x("result",
                      "<reported><field var='a'/></reported><reported><field "
                      "var='a'/></reported>")),
            "data form: <reported/> appears more than once");
  EXPECT_EQ(problem(x("result", "<reported/>")),
            "data form: <reported/> must contain at least one field");
  EXPECT_EQ(problem(x("result", "<item/>")),
            "data form: an <item/> must contain at least one field");
  EXPECT_EQ(problem(x("result", "<item><field var='a'/><field var='a'/></item>")),
            "data form: field 'a' appears more than once in an <item/>");
  EXPECT_EQ(problem("<x xmlns='jabber:x:oob'/>"),
            "data form: expected <x xmlns='jabber:x:data'/>, got <x/>");
}

TEST(DataForm, IgnoresForeignExtensionsInsideFields) {
  DataForm form = parse(x("form",
                          "<field var='a' type='text-single'><validate xmlns='http://jabber.org/"
                          "protocol/xdata-validate' datatype='xs:integer'/><value>5</value>"
                          "</field>"));
  EXPECT_EQ(form.value("a"), "5");
}

TEST(DataForm, SetFormTypeReplacesOrAddsTheHiddenField) {
  DataForm form;
  form.fields.push_back(FormField::text_single("a", "1"));
  form.set_form_type("urn:example:one");
  ASSERT_EQ(form.fields.size(), 2u);
  EXPECT_EQ(form.fields[0].var, "FORM_TYPE");
  EXPECT_EQ(form.fields[0].type, FieldType::hidden);
  form.set_form_type("urn:example:two");
  EXPECT_EQ(form.fields.size(), 2u);
  EXPECT_EQ(form.form_type(), "urn:example:two");
}

TEST(DataFormValidation, AcceptsTheXep0004Submission) {
  EXPECT_EQ(validate_submission(parse(kBotSubmit), parse(kBotForm)), std::nullopt);
}

TEST(DataFormValidation, RejectsBooleanValuesOtherThanZeroOneTrueFalse) {
  DataForm offered = parse(kBotForm);
  EXPECT_EQ(validate_submission(submit("<field var='public'><value>yes</value></field>"), offered),
            "field 'public': boolean value must be 0, 1, true or false, got \"yes\"");
  EXPECT_EQ(validate_submission(submit("<field var='public'><value>true</value></field>"), offered),
            std::nullopt);
}

TEST(DataFormValidation, ListValuesMustBeAmongTheOfferedOptions) {
  DataForm offered = parse(kBotForm);
  EXPECT_EQ(validate_submission(submit("<field var='public'><value>1</value></field>"
                                       "<field var='maxsubs'><value>25</value></field>"),
                                offered),
            "field 'maxsubs': \"25\" is not one of the offered options");
  EXPECT_EQ(validate_submission(
                submit("<field var='public'><value>1</value></field>"
                       "<field var='features'><value>news</value><value>weather</value></field>"),
                offered),
            "field 'features': \"weather\" is not one of the offered options");
  EXPECT_EQ(
      validate_submission(submit("<field var='public'><value>1</value></field>"
                                 "<field var='maxsubs'><value>10</value><value>20</value></field>"),
                          offered),
      "field 'maxsubs': list-single fields take one value, got 2");
}

TEST(DataFormValidation, JidFieldsMustHoldValidJids) {
  DataForm offered = parse(kBotForm);
  EXPECT_EQ(validate_submission(submit("<field var='public'><value>1</value></field>"
                                       "<field var='invitelist'><value>juliet@capulet.com</value>"
                                       "<value>bad jid@capulet.com</value></field>"),
                                offered),
            "field 'invitelist': \"bad jid@capulet.com\" is not a valid JID (node contains a "
            "prohibited character U+0020)");
}

TEST(DataFormValidation, RequiredFieldsNeedAValue) {
  DataForm offered = parse(kBotForm);
  EXPECT_EQ(validate_submission(submit("<field var='botname'><value>b</value></field>"), offered),
            "field 'public': a value is required");
  EXPECT_EQ(validate_submission(submit("<field var='public'><value/></field>"), offered),
            "field 'public': a value is required");
  EXPECT_EQ(validate_submission(submit("<field var='public'><value>1</value></field>"
                                       "<field var='maxsubs'><value/></field>"),
                                offered),
            std::nullopt)
      << "an empty value of an optional list field means no value (XEP-0004 section 3.6)";
}

TEST(DataFormValidation, IgnoresFieldsTheOfferedFormDoesNotHave) {
  DataForm offered = parse(kBotForm);
  EXPECT_EQ(validate_submission(submit("<field var='public'><value>0</value></field>"
                                       "<field var='x-extra'><value>a</value><value>b</value>"
                                       "</field>"),
                                offered),
            std::nullopt);
}

TEST(DataFormValidation, ChecksFormTypeAndSubmissionType) {
  DataForm offered = parse(kBotForm);
  EXPECT_EQ(validate_submission(submit("<field var='FORM_TYPE'><value>jabber:other</value>"
                                       "</field><field var='public'><value>0</value></field>"),
                                offered),
            "FORM_TYPE \"jabber:other\" does not match \"jabber:bot\"");
  EXPECT_EQ(validate_submission(parse(x("form", "")), offered),
            "the form must be of type submit, not form");
}

TEST(DataForm, ASubmissionSkipsFieldsWithoutVar) {
  // What slixmpp's Form.reply() sends back for a form with instruction fields.
  DataForm form = parse(x("submit",
                          "<field><value>Section 1: Bot Info</value></field>"
                          "<field type='fixed'><value>1</value><value>2</value></field>"
                          "<field var='botname'><value>The Jabber Google Bot</value></field>"));
  ASSERT_EQ(form.fields.size(), 1u);
  EXPECT_EQ(form.value("botname"), "The Jabber Google Bot");
  // A form that is not a submission must still name its fields.
  EXPECT_EQ(problem(x("form", "<field><value>x</value></field>")),
            "data form: a field of type text-single has no 'var' attribute");
}
