// A small owning XML element tree: what a stanza is once parsed, and what the engines build.
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace commonroom::xmpp {

struct Attribute {
  std::string name;   // qualified as written: "to", "xml:lang"
  std::string value;  // unescaped
  bool operator==(const Attribute&) const = default;
};

// An element or a text node. Every element carries its resolved namespace URI, so no
// prefix bookkeeping leaks into the engines; the serializer declares xmlns only where
// it differs from the parent's. A text node has an empty name and only text().
class Element {
 public:
  Element() = default;
  explicit Element(std::string name, std::string xmlns = {})
      : name_(std::move(name)), xmlns_(std::move(xmlns)) {}
  static Element text_node(std::string text);
  // A run of sibling elements already serialized (see XmlFragmentWriter in serializer.hpp),
  // which the serializer copies verbatim: large replies of a known shape skip building a
  // tree. Its name "#fragment" is no XML name, so lookups by name never find it; `xmlns` is
  // the default namespace the markup was written for, which must be its parent's.
  static Element fragment(std::string markup, std::string xmlns);

  bool is_text() const { return name_.empty(); }
  bool is_fragment() const { return name_ == kFragmentName; }
  const std::string& name() const { return name_; }
  const std::string& xmlns() const { return xmlns_; }
  void set_xmlns(std::string xmlns) { xmlns_ = std::move(xmlns); }
  bool is(std::string_view name, std::string_view xmlns) const {
    return name_ == name && xmlns_ == xmlns;
  }

  // --- attributes (insertion order is kept; names are unique) ---
  const std::vector<Attribute>& attributes() const { return attrs_; }
  const std::string* find_attr(std::string_view name) const;
  std::string_view attr(std::string_view name) const;  // "" when absent
  bool has_attr(std::string_view name) const { return find_attr(name) != nullptr; }
  Element& set_attr(std::string_view name, std::string_view value);  // returns *this
  bool remove_attr(std::string_view name);

  // --- children (mixed content, document order) ---
  const std::vector<Element>& nodes() const { return children_; }
  std::vector<Element>& nodes() { return children_; }
  // Appends a child element; an empty xmlns means "same namespace as this element".
  Element& add_child(Element child);
  Element& add_child(std::string name, std::string xmlns = {});
  Element& add_text(std::string_view text);  // merges with a trailing text node; returns *this
  // Convenience: <name>text</name> in this element's namespace unless given.
  Element& add_text_child(std::string name, std::string_view text, std::string xmlns = {});

  const Element* find_child(std::string_view name, std::string_view xmlns) const;
  Element* find_child(std::string_view name, std::string_view xmlns);
  // First child element with this namespace, whatever its name (payload lookup).
  const Element* find_child_ns(std::string_view xmlns) const;
  std::vector<const Element*> children(std::string_view name, std::string_view xmlns) const;
  std::vector<const Element*> child_elements() const;
  size_t remove_children(std::string_view name, std::string_view xmlns);

  // Concatenated direct text children (for a text node: its text).
  std::string text() const;
  const std::string& raw_text() const { return text_; }
  // Text of the first matching child element, "" when absent.
  std::string child_text(std::string_view name, std::string_view xmlns) const;

  bool operator==(const Element& other) const = default;

 private:
  static constexpr std::string_view kFragmentName = "#fragment";

  std::string name_;
  std::string xmlns_;
  std::vector<Attribute> attrs_;
  std::vector<Element> children_;
  std::string text_;  // text nodes: the text; fragments: the markup
};

}  // namespace commonroom::xmpp
