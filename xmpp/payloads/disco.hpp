// XEP-0030 service discovery payloads (disco#info with XEP-0128 extensions, disco#items).
#pragma once
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/element.hpp"
#include "xmpp/jid.hpp"
#include "xmpp/payloads/data_form.hpp"
#include "xmpp/payloads/rsm.hpp"

namespace commonroom::xmpp {

struct DiscoIdentity {
  std::string category;
  std::string type;
  std::string name;  // optional natural-language name
  std::string lang;  // xml:lang, optional

  bool operator==(const DiscoIdentity&) const = default;
};

struct DiscoInfo {
  std::string node;  // empty = no node
  std::vector<DiscoIdentity> identities;
  std::vector<std::string> features;
  std::vector<DataForm> extensions;  // XEP-0128 forms of type result, each with FORM_TYPE

  bool has_feature(std::string_view var) const;
  const DataForm* extension(std::string_view form_type) const;
  bool operator==(const DiscoInfo&) const = default;
};

struct DiscoItem {
  Jid jid;
  std::string node;
  std::string name;

  bool operator==(const DiscoItem&) const = default;
};

struct DiscoItems {
  std::string node;
  std::vector<DiscoItem> items;
  std::optional<RsmSet> rsm;  // XEP-0059 paging of the item list

  bool operator==(const DiscoItems&) const = default;
};

// Parse <query xmlns='http://jabber.org/protocol/disco#info'/> (request or result). Throws
// PayloadError for: an empty 'node', an identity without category or type, two identities
// with the same category, type and xml:lang (XEP-0030 §3.1), a feature without 'var', or a
// malformed extension form.
DiscoInfo parse_disco_info(const Element& query);
Element to_element(const DiscoInfo& info);

// Parse <query xmlns='http://jabber.org/protocol/disco#items'/>. Throws PayloadError for an
// empty 'node', an item without a valid 'jid', an item with character data, or a bad RSM set.
DiscoItems parse_disco_items(const Element& query);
Element to_element(const DiscoItems& items);

}  // namespace commonroom::xmpp
