#include "xmpp/payloads/disco.hpp"

#include "xmpp/namespaces.hpp"
#include "xmpp/payloads/payload_error.hpp"

namespace commonroom::xmpp {

namespace {

// XEP-0030 §3.2: "The value of the 'node' attribute MUST NOT be null."
std::string read_node(const Element& query, std::string_view what) {
  const std::string* node = query.find_attr("node");
  if (!node) return {};
  if (node->empty()) throw PayloadError(std::string(what) + ": the 'node' attribute is empty");
  return *node;
}

bool has_character_data(const Element& e) {
  for (const auto& n : e.nodes()) {
    if (n.is_text() && n.raw_text().find_first_not_of(" \t\r\n") != std::string::npos) {
      return true;
    }
  }
  return false;
}

}  // namespace

bool DiscoInfo::has_feature(std::string_view var) const {
  for (const auto& f : features) {
    if (f == var) return true;
  }
  return false;
}

const DataForm* DiscoInfo::extension(std::string_view form_type) const {
  for (const auto& form : extensions) {
    if (form.form_type() == form_type) return &form;
  }
  return nullptr;
}

DiscoInfo parse_disco_info(const Element& query) {
  constexpr std::string_view what = "disco#info";
  if (!query.is("query", ns::disco_info)) {
    throw PayloadError("disco#info: expected <query xmlns='" + std::string(ns::disco_info) + "'/>");
  }
  DiscoInfo info;
  info.node = read_node(query, what);
  for (const Element* c : query.child_elements()) {
    if (c->is("identity", ns::disco_info)) {
      DiscoIdentity id{std::string(c->attr("category")), std::string(c->attr("type")),
                       std::string(c->attr("name")), std::string(c->attr("xml:lang"))};
      if (id.category.empty() || id.type.empty()) {
        throw PayloadError("disco#info: an <identity/> needs both 'category' and 'type'");
      }
      for (const auto& other : info.identities) {
        if (other.category == id.category && other.type == id.type && other.lang == id.lang) {
          throw PayloadError("disco#info: identity " + id.category + "/" + id.type +
                             (id.lang.empty() ? std::string() : " (" + id.lang + ")") +
                             " appears more than once");
        }
      }
      info.identities.push_back(std::move(id));
    } else if (c->is("feature", ns::disco_info)) {
      const std::string* var = c->find_attr("var");
      if (!var || var->empty()) throw PayloadError("disco#info: a <feature/> has no 'var'");
      info.features.push_back(*var);
    } else if (c->is("x", ns::data_forms)) {
      info.extensions.push_back(parse_data_form(*c));
    }
  }
  return info;
}

Element to_element(const DiscoInfo& info) {
  Element q("query", std::string(ns::disco_info));
  if (!info.node.empty()) q.set_attr("node", info.node);
  for (const auto& id : info.identities) {
    Element& e = q.add_child("identity");
    e.set_attr("category", id.category).set_attr("type", id.type);
    if (!id.name.empty()) e.set_attr("name", id.name);
    if (!id.lang.empty()) e.set_attr("xml:lang", id.lang);
  }
  for (const auto& f : info.features) q.add_child("feature").set_attr("var", f);
  for (const auto& form : info.extensions) q.add_child(to_element(form));
  return q;
}

DiscoItems parse_disco_items(const Element& query) {
  constexpr std::string_view what = "disco#items";
  if (!query.is("query", ns::disco_items)) {
    throw PayloadError("disco#items: expected <query xmlns='" + std::string(ns::disco_items) +
                       "'/>");
  }
  DiscoItems items;
  items.node = read_node(query, what);
  for (const Element* c : query.child_elements()) {
    if (c->is("item", ns::disco_items)) {
      const std::string* jid = c->find_attr("jid");
      if (!jid) throw PayloadError("disco#items: an <item/> has no 'jid'");
      std::string why;
      auto parsed = Jid::try_parse(*jid, &why);
      if (!parsed) {
        throw PayloadError("disco#items: item jid \"" + *jid + "\" is not a valid JID: " + why);
      }
      if (has_character_data(*c)) {
        throw PayloadError("disco#items: an <item/> must not contain character data");
      }
      const std::string* node = c->find_attr("node");
      if (node && node->empty()) throw PayloadError("disco#items: an item's 'node' is empty");
      items.items.push_back(
          DiscoItem{*parsed, node ? *node : std::string(), std::string(c->attr("name"))});
    } else if (c->is("set", ns::rsm)) {
      if (items.rsm) throw PayloadError("disco#items: <set/> appears more than once");
      items.rsm = parse_rsm_set(*c);
    }
  }
  return items;
}

Element to_element(const DiscoItems& items) {
  Element q("query", std::string(ns::disco_items));
  if (!items.node.empty()) q.set_attr("node", items.node);
  for (const auto& item : items.items) {
    Element& e = q.add_child("item");
    e.set_attr("jid", item.jid.full());
    if (!item.node.empty()) e.set_attr("node", item.node);
    if (!item.name.empty()) e.set_attr("name", item.name);
  }
  if (items.rsm) q.add_child(to_element(*items.rsm));
  return q;
}

}  // namespace commonroom::xmpp
