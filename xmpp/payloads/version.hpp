// XEP-0092 software version: the <query xmlns='jabber:iq:version'/> of a version result.
#pragma once
#include <optional>
#include <string>

#include "xmpp/element.hpp"

namespace commonroom::xmpp {

struct SoftwareVersion {
  std::string name;
  std::string version;
  std::optional<std::string> os;  // left out unless deliberately disclosed

  bool operator==(const SoftwareVersion&) const = default;
};

// Parses a version result's <query/>. Throws PayloadError when <name/> or <version/> is
// missing or repeated (both are required in a result, XEP-0092 §3).
SoftwareVersion parse_software_version(const Element& query);
Element to_element(const SoftwareVersion& version);

}  // namespace commonroom::xmpp
