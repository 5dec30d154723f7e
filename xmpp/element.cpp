#include "xmpp/element.hpp"

namespace commonroom::xmpp {

Element Element::text_node(std::string text) {
  Element e;
  e.text_ = std::move(text);
  return e;
}

Element Element::fragment(std::string markup, std::string xmlns) {
  Element e(std::string(kFragmentName), std::move(xmlns));
  e.text_ = std::move(markup);
  return e;
}

const std::string* Element::find_attr(std::string_view name) const {
  for (const auto& a : attrs_) {
    if (a.name == name) return &a.value;
  }
  return nullptr;
}

std::string_view Element::attr(std::string_view name) const {
  const std::string* v = find_attr(name);
  return v ? std::string_view(*v) : std::string_view();
}

Element& Element::set_attr(std::string_view name, std::string_view value) {
  for (auto& a : attrs_) {
    if (a.name == name) {
      a.value.assign(value);
      return *this;
    }
  }
  attrs_.push_back(Attribute{std::string(name), std::string(value)});
  return *this;
}

bool Element::remove_attr(std::string_view name) {
  for (auto it = attrs_.begin(); it != attrs_.end(); ++it) {
    if (it->name == name) {
      attrs_.erase(it);
      return true;
    }
  }
  return false;
}

Element& Element::add_child(Element child) {
  if (!child.is_text() && child.xmlns_.empty()) child.xmlns_ = xmlns_;
  children_.push_back(std::move(child));
  return children_.back();
}

Element& Element::add_child(std::string name, std::string xmlns) {
  return add_child(Element(std::move(name), std::move(xmlns)));
}

Element& Element::add_text(std::string_view text) {
  if (text.empty()) return *this;
  if (!children_.empty() && children_.back().is_text()) {
    children_.back().text_.append(text);
  } else {
    children_.push_back(text_node(std::string(text)));
  }
  return *this;
}

Element& Element::add_text_child(std::string name, std::string_view text, std::string xmlns) {
  Element& c = add_child(std::move(name), std::move(xmlns));
  c.add_text(text);
  return c;
}

const Element* Element::find_child(std::string_view name, std::string_view xmlns) const {
  for (const auto& c : children_) {
    if (!c.is_text() && c.name_ == name && c.xmlns_ == xmlns) return &c;
  }
  return nullptr;
}

Element* Element::find_child(std::string_view name, std::string_view xmlns) {
  for (auto& c : children_) {
    if (!c.is_text() && c.name_ == name && c.xmlns_ == xmlns) return &c;
  }
  return nullptr;
}

const Element* Element::find_child_ns(std::string_view xmlns) const {
  for (const auto& c : children_) {
    if (!c.is_text() && c.xmlns_ == xmlns) return &c;
  }
  return nullptr;
}

std::vector<const Element*> Element::children(std::string_view name, std::string_view xmlns) const {
  std::vector<const Element*> out;
  for (const auto& c : children_) {
    if (!c.is_text() && c.name_ == name && c.xmlns_ == xmlns) out.push_back(&c);
  }
  return out;
}

std::vector<const Element*> Element::child_elements() const {
  std::vector<const Element*> out;
  for (const auto& c : children_) {
    if (!c.is_text()) out.push_back(&c);
  }
  return out;
}

size_t Element::remove_children(std::string_view name, std::string_view xmlns) {
  size_t before = children_.size();
  std::erase_if(children_, [&](const Element& c) {
    return !c.is_text() && c.name_ == name && c.xmlns_ == xmlns;
  });
  return before - children_.size();
}

std::string Element::text() const {
  if (is_text()) return text_;
  std::string out;
  for (const auto& c : children_) {
    if (c.is_text()) out += c.text_;
  }
  return out;
}

std::string Element::child_text(std::string_view name, std::string_view xmlns) const {
  const Element* c = find_child(name, xmlns);
  return c ? c->text() : std::string();
}

}  // namespace commonroom::xmpp
