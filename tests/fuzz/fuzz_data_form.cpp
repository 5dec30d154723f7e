// libFuzzer target for XEP-0004 data forms: the input is the inside of an
// <x xmlns='jabber:x:data'/>; whatever parses must serialize and parse back to the same form,
// and validating it as a submission against a typical offered form must not crash.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "xmpp/parse_element.hpp"
#include "xmpp/payloads/data_form.hpp"
#include "xmpp/payloads/payload_error.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stream_parser.hpp"

namespace xmpp = commonroom::xmpp;

namespace {

const xmpp::DataForm& offered() {
  static const xmpp::DataForm form = [] {
    xmpp::DataForm f;
    f.set_form_type("http://jabber.org/protocol/muc#roomconfig");
    f.fields.push_back(xmpp::FormField::text_single("muc#roomconfig_roomname", "", "Name"));
    f.fields.push_back(xmpp::FormField::boolean("muc#roomconfig_membersonly", false));
    f.fields.push_back(xmpp::FormField::list_single(
        "muc#roomconfig_whois", "anyone", {{"Moderators", "moderators"}, {"Anyone", "anyone"}}));
    xmpp::FormField admins;
    admins.var = "muc#roomconfig_roomadmins";
    admins.type = xmpp::FieldType::jid_multi;
    f.fields.push_back(admins);
    f.fields.back().required = true;
    return f;
  }();
  return form;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string inner(reinterpret_cast<const char*>(data), size);
  xmpp::Element x;
  try {
    x = xmpp::parse_element("<x xmlns='jabber:x:data' " + inner + "</x>");
  } catch (const xmpp::StreamError&) {
    return 0;
  }
  xmpp::DataForm form;
  try {
    form = xmpp::parse_data_form(x);
  } catch (const xmpp::PayloadError&) {
    return 0;
  }
  xmpp::DataForm back =
      xmpp::parse_data_form(xmpp::parse_element(xmpp::to_string(xmpp::to_element(form))));
  if (!(back == form)) std::abort();  // every parsed form round-trips
  (void)xmpp::validate_submission(form, offered());
  return 0;
}
