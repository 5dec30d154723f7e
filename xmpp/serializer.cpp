#include "xmpp/serializer.hpp"

#include <algorithm>
#include <cstring>
#include <stdexcept>

namespace commonroom::xmpp {

void append_escaped_text(std::string& out, std::string_view text) {
  size_t start = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const char* rep = nullptr;
    switch (text[i]) {
      case '&':
        rep = "&amp;";
        break;
      case '<':
        rep = "&lt;";
        break;
      case '>':
        rep = "&gt;";
        break;
      case '\r':
        rep = "&#13;";
        break;
      default:
        continue;
    }
    out.append(text.data() + start, i - start);
    out.append(rep);
    start = i + 1;
  }
  out.append(text.data() + start, text.size() - start);
}

void append_escaped_attr(std::string& out, std::string_view value) {
  size_t start = 0;
  for (size_t i = 0; i < value.size(); ++i) {
    const char* rep = nullptr;
    switch (value[i]) {
      case '&':
        rep = "&amp;";
        break;
      case '<':
        rep = "&lt;";
        break;
      case '>':
        rep = "&gt;";
        break;
      case '\'':
        rep = "&apos;";
        break;
      case '"':
        rep = "&quot;";
        break;
      case '\t':
        rep = "&#9;";
        break;
      case '\n':
        rep = "&#10;";
        break;
      case '\r':
        rep = "&#13;";
        break;
      default:
        continue;
    }
    out.append(value.data() + start, i - start);
    out.append(rep);
    start = i + 1;
  }
  out.append(value.data() + start, value.size() - start);
}

namespace {

void open_tag(const Element& e, std::string& out, std::string_view parent_xmlns, bool skip_to) {
  out += '<';
  out += e.name();
  if (e.xmlns() != parent_xmlns) {
    out += " xmlns='";
    append_escaped_attr(out, e.xmlns());
    out += '\'';
  }
  for (const auto& a : e.attributes()) {
    if (a.name == "xmlns" || (skip_to && a.name == "to")) continue;
    out += ' ';
    out += a.name;
    out += "='";
    append_escaped_attr(out, a.value);
    out += '\'';
  }
}

void serialize_content(const Element& e, std::string& out) {
  if (e.nodes().empty()) {
    out += "/>";
    return;
  }
  out += '>';
  for (const auto& c : e.nodes()) {
    if (c.is_text()) {
      append_escaped_text(out, c.raw_text());
    } else {
      serialize(c, out, e.xmlns());
    }
  }
  out += "</";
  out += e.name();
  out += '>';
}

}  // namespace

void serialize(const Element& e, std::string& out, std::string_view parent_xmlns) {
  if (e.is_text()) {
    append_escaped_text(out, e.raw_text());
    return;
  }
  if (e.is_fragment()) {
    // Its elements carry no xmlns: they are right only under a parent of that namespace.
    if (e.xmlns() != parent_xmlns)
      throw std::logic_error("XML fragment for namespace " + e.xmlns() + " placed in " +
                             std::string(parent_xmlns));
    out += e.raw_text();
    return;
  }
  open_tag(e, out, parent_xmlns, false);
  serialize_content(e, out);
}

std::string to_string(const Element& e, std::string_view parent_xmlns) {
  std::string out;
  serialize(e, out, parent_xmlns);
  return out;
}

XmlFragmentWriter::XmlFragmentWriter(std::string xmlns, std::size_t reserve_bytes)
    : xmlns_(std::move(xmlns)) {
  out_.resize(reserve_bytes);
  open_.reserve(8);
}

void XmlFragmentWriter::grow(std::size_t n) {
  out_.resize(std::max(out_.size() * 2, len_ + n + 256));
}

char* XmlFragmentWriter::copy_long(char* p, std::string_view s) {
  std::memcpy(p, s.data(), s.size());
  return p + s.size();
}

void XmlFragmentWriter::attribute_after_content() {
  throw std::logic_error("XML fragment: attribute after content");
}

void XmlFragmentWriter::close_without_open() {
  throw std::logic_error("XML fragment: close() without an open element");
}

Element XmlFragmentWriter::finish() && {
  if (!open_.empty())
    throw std::logic_error("XML fragment: <" + std::string(open_.back()) + "> not closed");
  out_.resize(len_);
  return Element::fragment(std::move(out_), std::move(xmlns_));
}

void append_start_tag_to(const Element& e, std::string_view to, std::string& out,
                         std::string_view parent_xmlns) {
  open_tag(e, out, parent_xmlns, true);
  out += " to='";
  append_escaped_attr(out, to);
  out += '\'';
}

FanoutStanza::FanoutStanza(const Element& stanza, std::string_view parent_xmlns) {
  prefix_ = "<" + stanza.name() + " to='";
  std::string rest;
  // Re-use open_tag for the remaining attributes, then drop its "<name" head.
  open_tag(stanza, rest, parent_xmlns, true);
  suffix_.push_back('\'');
  suffix_.append(std::string_view(rest).substr(1 + stanza.name().size()));
  serialize_content(stanza, suffix_);
}

void FanoutStanza::append_to(std::string& out, std::string_view to) const {
  out += prefix_;
  append_escaped_attr(out, to);
  out += suffix_;
}

std::string FanoutStanza::for_recipient(std::string_view to) const {
  std::string out;
  out.reserve(prefix_.size() + to.size() + suffix_.size());
  append_to(out, to);
  return out;
}

}  // namespace commonroom::xmpp
