// libFuzzer target for the directory service's XEP-0055 handler: the input is the inside of
// an <iq/> from a user (legacy fields, data forms, RSM, anything). The service must answer
// every get/set iq exactly once, with a result or an error, never throw, and never answer
// a result or an error; every reply must serialize to XML that parses.
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "directory/directory_search.hpp"
#include "directory/people_index.hpp"
#include "directory/search_service.hpp"
#include "xmpp/parse_element.hpp"
#include "xmpp/serializer.hpp"
#include "xmpp/stream_parser.hpp"

namespace dir = commonroom::directory;
namespace xmpp = commonroom::xmpp;

namespace {

dir::Person person(std::string uid, std::string given, std::string sn, dir::Affiliation aff,
                   std::vector<std::string> insts) {
  dir::Person p;
  p.uid = uid;
  p.jid = uid + "@cam.example";
  p.given_name = given;
  p.sn = sn;
  p.cn = given + " " + sn;
  p.display_name = p.cn;
  p.mail = uid + "@cam.ac.uk";
  p.affiliation = aff;
  p.institutions = std::move(insts);
  return p;
}

dir::SearchService& service() {
  static dir::PeopleIndexHolder holder;
  static std::unique_ptr<dir::SearchService> s = [] {
    std::vector<dir::Person> people = {
        person("ab201", "Alice", "Brown", dir::Affiliation::staff, {"CST", "TRIN"}),
        person("jg101", "José", "García", dir::Affiliation::staff, {"TRIN"}),
        person("dö77", "Dörte", "Évans", dir::Affiliation::student, {"KINGS"}),
    };
    for (int i = 0; i < 30; ++i)
      people.push_back(person("sm" + std::to_string(i), "Sam" + std::to_string(i), "Smith",
                              dir::Affiliation::student, {"KINGS"}));
    holder.publish(dir::PeopleIndex::build(
        people,
        {{"TRIN", "Trinity College"}, {"KINGS", "King's College"}, {"CST", "Computer Science"}}));
    dir::SearchSettings settings;
    settings.rate_limit = 1000000;
    settings.rate_burst = 1000000;
    return std::make_unique<dir::SearchService>(
        dir::SearchServiceConfig{"directory.cam.example", "0.1.0", settings}, holder);
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  static const char* kTypes[] = {"get", "set", "result", "error"};
  std::string type = kTypes[data[0] % 4];
  std::string inner(reinterpret_cast<const char*>(data + 1), size - 1);
  xmpp::Element iq;
  try {
    iq = xmpp::parse_element("<iq type='" + type +
                             "' from='romeo@cam.example/home' to='directory.cam.example' "
                             "id='fz'>" +
                             inner + "</iq>");
  } catch (const xmpp::StreamError&) {
    return 0;
  }
  dir::Effects fx = service().handle(iq, {});
  bool request = type == "get" || type == "set";
  if (fx.outbound.size() != (request ? 1u : 0u)) std::abort();
  for (const auto& reply : fx.outbound) {
    if (reply.attr("id") != "fz") std::abort();
    std::string_view t = reply.attr("type");
    if (t != "result" && t != "error") std::abort();
    (void)xmpp::parse_element(xmpp::to_string(reply));  // throws (and so fails) if malformed
  }
  return 0;
}
