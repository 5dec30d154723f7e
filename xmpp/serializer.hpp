// Element tree -> XML text, with correct escaping and minimal namespace declarations.
#pragma once
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/element.hpp"
#include "xmpp/namespaces.hpp"

namespace commonroom::xmpp {

// Appends escaped character data: & < > (and \r, so it survives attribute-value/line-end
// normalisation on the other side).
void append_escaped_text(std::string& out, std::string_view text);
// Appends an escaped attribute value for single-quoted attributes: & < > ' " and \t \n \r.
void append_escaped_attr(std::string& out, std::string_view value);

// Serializes `e` as it would appear inside a parent whose default namespace is
// `parent_xmlns` (for stanzas on a component stream: jabber:component:accept, which is
// then not repeated on every stanza).
void serialize(const Element& e, std::string& out,
               std::string_view parent_xmlns = ns::component_accept);
std::string to_string(const Element& e, std::string_view parent_xmlns = ns::component_accept);
// Appends `e`'s start tag as serialize writes it, but with 'to' = `to` (written last) and
// without the closing '>': for a stanza readdressed with other content.
void append_start_tag_to(const Element& e, std::string_view to, std::string& out,
                         std::string_view parent_xmlns = ns::component_accept);

namespace detail {
// The escapes of append_escaped_text / append_escaped_attr as tables, for the fragment
// writer's inner loop: per byte 0 (copy it) or the index of its replacement.
inline constexpr std::string_view kEscapeReplacements[] = {
    "", "&amp;", "&lt;", "&gt;", "&apos;", "&quot;", "&#9;", "&#10;", "&#13;"};
inline constexpr std::size_t kLongestEscape = 6;
struct EscapeTable {
  unsigned char of[256] = {};
};
constexpr EscapeTable make_escape_table(bool attribute) {
  EscapeTable t;
  t.of[static_cast<unsigned char>('&')] = 1;
  t.of[static_cast<unsigned char>('<')] = 2;
  t.of[static_cast<unsigned char>('>')] = 3;
  t.of[static_cast<unsigned char>('\r')] = 8;
  if (attribute) {
    t.of[static_cast<unsigned char>('\'')] = 4;
    t.of[static_cast<unsigned char>('"')] = 5;
    t.of[static_cast<unsigned char>('\t')] = 6;
    t.of[static_cast<unsigned char>('\n')] = 7;
  }
  return t;
}
inline constexpr EscapeTable kTextEscapes = make_escape_table(false);
inline constexpr EscapeTable kAttrEscapes = make_escape_table(true);
}  // namespace detail

// Writes sibling elements straight to bytes, with the serializer's escaping, and hands them
// over as one Element::fragment: for replies of a known shape too large to be worth a tree
// (a directory answer of 50 people is 1,200 elements; building and freeing them cost more
// than the search). The elements are in the namespace `xmlns`, and so must be the element
// the fragment is added to. The bytes are exactly what serialize() writes for the same
// tree: empty elements as <name/>, attributes single-quoted. The small methods are inline
// so that literal element names fold into the caller.
class XmlFragmentWriter {
 public:
  explicit XmlFragmentWriter(std::string xmlns, std::size_t reserve_bytes = 0);

  // Starts <name ...>; attributes may follow until content or close(). `name` must stay
  // valid until the element is closed (element names are literals).
  XmlFragmentWriter& open(std::string_view name) {
    end_start_tag();
    char* p = room(name.size() + 1);
    *p++ = '<';
    len_ = static_cast<std::size_t>(copy(p, name) - out_.data());
    open_.push_back(name);
    in_start_tag_ = true;
    return *this;
  }

  // ` name='value'` on the element just opened.
  XmlFragmentWriter& attr(std::string_view name, std::string_view value) {
    if (!in_start_tag_) attribute_after_content();
    char* p = room(name.size() + 4 + value.size() * detail::kLongestEscape);
    *p++ = ' ';
    p = copy(p, name);
    *p++ = '=';
    *p++ = '\'';
    p = escape(p, value, detail::kAttrEscapes);
    *p++ = '\'';
    len_ = static_cast<std::size_t>(p - out_.data());
    return *this;
  }

  // <name>text</name>, or <name/> when `text` is empty, inside the open element.
  XmlFragmentWriter& text_element(std::string_view name, std::string_view text) {
    end_start_tag();
    char* p = room(2 * name.size() + 5 + text.size() * detail::kLongestEscape);
    *p++ = '<';
    p = copy(p, name);
    if (text.empty()) {
      *p++ = '/';
      *p++ = '>';
    } else {
      *p++ = '>';
      p = escape(p, text, detail::kTextEscapes);
      *p++ = '<';
      *p++ = '/';
      p = copy(p, name);
      *p++ = '>';
    }
    len_ = static_cast<std::size_t>(p - out_.data());
    return *this;
  }

  // Ends the innermost open element.
  XmlFragmentWriter& close() {
    if (open_.empty()) close_without_open();
    std::string_view name = open_.back();
    open_.pop_back();
    char* p = room(name.size() + 3);
    if (in_start_tag_) {
      *p++ = '/';
      *p++ = '>';
      in_start_tag_ = false;
    } else {
      *p++ = '<';
      *p++ = '/';
      p = copy(p, name);
      *p++ = '>';
    }
    len_ = static_cast<std::size_t>(p - out_.data());
    return *this;
  }

  // Bytes written so far.
  std::size_t bytes_written() const { return len_; }

  // The fragment. Throws std::logic_error when an element is still open.
  Element finish() &&;

 private:
  // Room for `n` more bytes at out_.data() + len_: out_ is kept longer than what is written
  // and cut to len_ by finish(), so writing is plain stores rather than string appends.
  char* room(std::size_t n) {
    if (out_.size() - len_ < n) grow(n);
    return out_.data() + len_;
  }
  void end_start_tag() {
    if (in_start_tag_) {
      *room(1) = '>';
      ++len_;
      in_start_tag_ = false;
    }
  }
  static char* copy(char* p, std::string_view s) {
    // Names and most values are short: a byte loop beats a call to memcpy.
    if (s.size() > 32) return copy_long(p, s);
    for (char c : s) *p++ = c;
    return p;
  }
  static char* escape(char* p, std::string_view s, const detail::EscapeTable& table) {
    for (char c : s) {
      unsigned char r = table.of[static_cast<unsigned char>(c)];
      if (r == 0) {
        *p++ = c;
      } else {
        p = copy(p, detail::kEscapeReplacements[r]);
      }
    }
    return p;
  }
  static char* copy_long(char* p, std::string_view s);
  void grow(std::size_t n);
  [[noreturn]] static void attribute_after_content();
  [[noreturn]] static void close_without_open();

  std::string xmlns_;
  std::string out_;
  std::size_t len_ = 0;
  std::vector<std::string_view> open_;  // names of the open elements, innermost last
  bool in_start_tag_ = false;           // "<name attrs" written, '>' not yet
};

// A stanza serialized once and written to many recipients with only `to` changed: the
// fan-out path of the rooms service. Layout is prefix + escaped(to) + suffix, where the
// prefix is "<message to='" and the suffix is the rest of the stanza; any `to` already on
// the element is ignored.
class FanoutStanza {
 public:
  explicit FanoutStanza(const Element& stanza,
                        std::string_view parent_xmlns = ns::component_accept);
  const std::string& prefix() const { return prefix_; }
  const std::string& suffix() const { return suffix_; }
  // Appends the full stanza addressed to `to` (an unescaped JID string).
  void append_to(std::string& out, std::string_view to) const;
  std::string for_recipient(std::string_view to) const;

 private:
  std::string prefix_;
  std::string suffix_;
};

}  // namespace commonroom::xmpp
