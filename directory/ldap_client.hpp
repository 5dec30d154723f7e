// RAII connection to an LDAP server (libldap): TLS, bind, RFC 2696 paged searches.
#pragma once
#include <memory>
#include <string>

#include "directory/ldap_entry.hpp"
#include "directory/sync_settings.hpp"

namespace commonroom::directory {

class LdapClient : public EntrySource {
 public:
  // Connects, starts TLS when asked and binds (anonymously when settings.bind_dn is empty).
  // Throws LdapError naming the URI and the failing step.
  explicit LdapClient(const LdapSettings& settings);
  ~LdapClient() override;
  LdapClient(const LdapClient&) = delete;
  LdapClient& operator=(const LdapClient&) = delete;

  // Subtree search in pages of settings.page_size; on_entry sees every entry of every page.
  // Throws LdapError when any page fails, so a partial result is never mistaken for a whole.
  void search(const SearchRequest& request, const EntryCallback& on_entry) override;

  // Pages received by the last search (for logs and tests).
  int last_page_count() const { return last_pages_; }

 private:
  struct Handle;
  std::unique_ptr<Handle> handle_;
  std::string uri_;
  int page_size_;
  int operation_timeout_s_;
  int last_pages_ = 0;
};

}  // namespace commonroom::directory
