// A prepared XMPP address (RFC 6122 stringprep via ICU): node@domain/resource.
#pragma once
#include <cstddef>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace commonroom::xmpp {

class JidError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Immutable and cheap to copy (one shared buffer). Parts are stored prepared
// (nodeprep, nameprep/IDNA-to-Unicode, resourceprep), so == compares canonical forms.
class Jid {
 public:
  Jid();  // empty, invalid; only useful as a placeholder
  // Throws JidError naming what is wrong ("node exceeds 1023 bytes", "domain is empty",
  // "node contains a prohibited character", ...).
  static Jid parse(std::string_view text);
  static std::optional<Jid> try_parse(std::string_view text, std::string* error = nullptr);
  // From parts (each prepared); throws JidError.
  static Jid from_parts(std::string_view node, std::string_view domain,
                        std::string_view resource = {});

  bool empty() const;
  std::string_view node() const;
  std::string_view domain() const;
  std::string_view resource() const;
  bool has_node() const { return !node().empty(); }
  bool has_resource() const { return !resource().empty(); }
  bool is_bare() const { return !has_resource(); }

  std::string_view full() const;      // node@domain/resource as prepared
  std::string_view bare_str() const;  // node@domain
  Jid bare() const;
  // Same node and domain with a new (prepared) resource; "" gives bare(). Throws JidError.
  Jid with_resource(std::string_view resource) const;

  bool operator==(const Jid& o) const { return full() == o.full(); }
  bool operator<(const Jid& o) const { return full() < o.full(); }
  bool same_bare(const Jid& o) const { return bare_str() == o.bare_str(); }

 private:
  // The prepared text and where its parts are, in one block (layout in jid.cpp).
  static std::shared_ptr<const char[]> make(std::string_view node, std::string_view domain,
                                            std::string_view resource);
  explicit Jid(std::shared_ptr<const char[]> d) : d_(std::move(d)) {}
  std::shared_ptr<const char[]> d_;
};

// Preparation profiles, exposed for nicknames (resourceprep) and tests.
std::string nodeprep(std::string_view in);      // throws JidError
std::string nameprep(std::string_view in);      // throws JidError
std::string resourceprep(std::string_view in);  // throws JidError

}  // namespace commonroom::xmpp

template <>
struct std::hash<commonroom::xmpp::Jid> {
  size_t operator()(const commonroom::xmpp::Jid& j) const noexcept {
    return std::hash<std::string_view>{}(j.full());
  }
};
