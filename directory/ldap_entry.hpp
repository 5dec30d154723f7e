// One LDAP entry as the sync sees it (DN + attribute values), and the source of entries the
// sync reads from: the LDAP client in production, a list in unit tests.
#pragma once
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace commonroom::directory {

struct LdapEntry {
  std::string dn;
  // Attribute descriptions as the server returned them, with their values (UTF-8 strings,
  // binary values are passed through unchanged).
  std::vector<std::pair<std::string, std::vector<std::string>>> attributes;

  // Values of an attribute, matched case-insensitively (LDAP attribute descriptions are
  // case-insensitive, "instid" and "instID" are the same); nullptr when absent.
  const std::vector<std::string>* values(std::string_view name) const;
  // First value, or empty when absent.
  std::string first(std::string_view name) const;
};

// A search failed or could not complete (server down, timeout, bad filter, ...). The
// message names the URI and what was being done.
class LdapError : public std::runtime_error {
 public:
  LdapError(const std::string& message, int code) : std::runtime_error(message), code_(code) {}
  // libldap's result code (LDAP_SERVER_DOWN, LDAP_TIMEOUT, ...), or 0 when not from libldap.
  int code() const { return code_; }

 private:
  int code_;
};

struct SearchRequest {
  std::string base;
  std::string filter;
  std::vector<std::string> attributes;  // empty: all user attributes
};

// Where the sync's entries come from; search() returns only once every page arrived and
// throws LdapError otherwise, so a caller can tell a complete result from a partial one.
class EntrySource {
 public:
  virtual ~EntrySource() = default;
  using EntryCallback = std::function<void(const LdapEntry&)>;
  virtual void search(const SearchRequest& request, const EntryCallback& on_entry) = 0;
};

}  // namespace commonroom::directory
