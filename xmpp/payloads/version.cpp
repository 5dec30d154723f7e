#include "xmpp/payloads/version.hpp"

#include "xmpp/namespaces.hpp"
#include "xmpp/payloads/payload_error.hpp"

namespace commonroom::xmpp {

namespace {

const Element* only_child(const Element& query, std::string_view name, bool required) {
  auto found = query.children(name, ns::version);
  if (found.size() > 1) {
    throw PayloadError("software version: <" + std::string(name) + "/> appears more than once");
  }
  if (found.empty() && required) {
    throw PayloadError("software version: <" + std::string(name) + "/> is missing");
  }
  return found.empty() ? nullptr : found.front();
}

}  // namespace

SoftwareVersion parse_software_version(const Element& query) {
  if (!query.is("query", ns::version)) {
    throw PayloadError("software version: expected <query xmlns='" + std::string(ns::version) +
                       "'/>");
  }
  SoftwareVersion out;
  out.name = only_child(query, "name", true)->text();
  out.version = only_child(query, "version", true)->text();
  if (const Element* os = only_child(query, "os", false)) out.os = os->text();
  return out;
}

Element to_element(const SoftwareVersion& version) {
  Element q("query", std::string(ns::version));
  q.add_text_child("name", version.name);
  q.add_text_child("version", version.version);
  if (version.os) q.add_text_child("os", *version.os);
  return q;
}

}  // namespace commonroom::xmpp
