#include "directory/ldap_client.hpp"

#include <ldap.h>
#include <sys/time.h>

#include <cctype>
#include <fstream>
#include <memory>

namespace commonroom::directory {

namespace {

timeval to_timeval(int seconds) {
  timeval tv{};
  tv.tv_sec = seconds;
  return tv;
}

}  // namespace

const std::vector<std::string>* LdapEntry::values(std::string_view name) const {
  for (const auto& [attr, vals] : attributes) {
    if (attr.size() != name.size()) continue;
    bool same = true;
    for (size_t i = 0; i < attr.size() && same; ++i) {
      same = std::tolower(static_cast<unsigned char>(attr[i])) ==
             std::tolower(static_cast<unsigned char>(name[i]));
    }
    if (same) return &vals;
  }
  return nullptr;
}

std::string LdapEntry::first(std::string_view name) const {
  const auto* v = values(name);
  return v && !v->empty() ? v->front() : std::string{};
}

struct LdapClient::Handle {
  LDAP* ld = nullptr;
  ~Handle() {
    if (ld) ldap_unbind_ext_s(ld, nullptr, nullptr);
  }
};

namespace {

// libldap's own words plus the server's diagnostic message, if it sent one.
std::string describe(LDAP* ld, int rc) {
  std::string text = ldap_err2string(rc);
  char* diag = nullptr;
  if (ld && ldap_get_option(ld, LDAP_OPT_DIAGNOSTIC_MESSAGE, &diag) == LDAP_OPT_SUCCESS && diag) {
    const std::string d = diag;
    // GnuTLS failures leave only this placeholder; it adds nothing.
    if (!d.empty() && d != "(unknown error code)")
      text += d.front() == '(' ? " " + d : " (" + d + ")";
    ldap_memfree(diag);
  }
  return text;
}

// Whether a TLS session with the server comes up when its certificate is not checked. Run
// after a TLS connection failed, it tells a refused certificate apart from a server that is
// down or does not speak TLS (libldap says "Can't contact LDAP server" for all three).
// Nothing but the handshake (and the StartTLS request) is sent: no bind, no credentials.
bool tls_works_unverified(const LdapSettings& settings, bool ldaps) {
  LDAP* ld = nullptr;
  if (ldap_initialize(&ld, settings.uri.c_str()) != LDAP_SUCCESS) return false;
  std::unique_ptr<LDAP, void (*)(LDAP*)> guard(
      ld, [](LDAP* l) { ldap_unbind_ext_s(l, nullptr, nullptr); });
  int version = LDAP_VERSION3;
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  timeval net = to_timeval(static_cast<int>(settings.network_timeout.count()));
  ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &net);
  timeval op = to_timeval(static_cast<int>(settings.operation_timeout.count()));
  ldap_set_option(ld, LDAP_OPT_TIMEOUT, &op);
  int never = LDAP_OPT_X_TLS_NEVER;
  int is_server = 0;
  if (ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &never) != LDAP_OPT_SUCCESS ||
      ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server) != LDAP_OPT_SUCCESS)
    return false;
  return (ldaps ? ldap_connect(ld) : ldap_start_tls_s(ld, nullptr, nullptr)) == LDAP_SUCCESS;
}

}  // namespace

LdapClient::LdapClient(const LdapSettings& settings)
    : handle_(std::make_unique<Handle>()),
      uri_(settings.uri),
      page_size_(settings.page_size > 0 ? settings.page_size : 500),
      operation_timeout_s_(static_cast<int>(settings.operation_timeout.count())) {
  const bool ldaps = uri_.rfind("ldaps://", 0) == 0 || uri_.rfind("LDAPS://", 0) == 0;
  const bool tls = ldaps || settings.starttls;
  auto fail = [&](const std::string& step, int rc) -> void {
    std::string hint;
    // A refused certificate looks like a network failure in libldap's words: find out
    // which it is, so the operator knows whether to fix the CA file or the server.
    if (tls && (rc == LDAP_SERVER_DOWN || rc == LDAP_CONNECT_ERROR)) {
      const std::string where = settings.ca_file.empty()
                                    ? std::string("the system trust store (or set ca_file)")
                                    : "ca_file " + settings.ca_file;
      if (tls_works_unverified(settings, ldaps))
        hint = "; the server's TLS certificate was refused: it is not signed by a CA in " + where +
               ", or it does not name the host in the URI";
      else
        hint =
            "; no TLS session could be set up even without checking the certificate, so "
            "the server is down or does not speak TLS there";
    }
    throw LdapError(uri_ + ": " + step + ": " + describe(handle_->ld, rc) + hint, rc);
  };
  if (int rc = ldap_initialize(&handle_->ld, uri_.c_str()); rc != LDAP_SUCCESS) {
    fail("cannot use the URI", rc);
  }
  LDAP* ld = handle_->ld;
  int version = LDAP_VERSION3;
  ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
  // Lookup does not refer elsewhere; chasing referrals would bind anonymously to strangers.
  ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
  // A server that vanished mid-page must surface as an error, not a hang.
  timeval net = to_timeval(static_cast<int>(settings.network_timeout.count()));
  ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &net);
  timeval op = to_timeval(operation_timeout_s_);
  ldap_set_option(ld, LDAP_OPT_TIMEOUT, &op);
  int keepalive_idle = 60;
  ldap_set_option(ld, LDAP_OPT_X_KEEPALIVE_IDLE, &keepalive_idle);

  if (tls) {
    // Per-connection TLS settings only take effect in a fresh TLS context (NEWCTX).
    int demand = LDAP_OPT_X_TLS_DEMAND;
    if (int rc = ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand); rc != LDAP_OPT_SUCCESS)
      fail("cannot require a verified certificate", rc);
    if (!settings.ca_file.empty()) {
      if (!std::ifstream(settings.ca_file)) {
        throw LdapError(uri_ + ": CA file " + settings.ca_file + " cannot be read", 0);
      }
      if (int rc = ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, settings.ca_file.c_str());
          rc != LDAP_OPT_SUCCESS)
        fail("cannot use CA file " + settings.ca_file, rc);
    }
    int is_server = 0;
    if (int rc = ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &is_server); rc != LDAP_OPT_SUCCESS)
      fail("cannot set up TLS", rc);
  }
  if (settings.starttls && !ldaps) {
    if (int rc = ldap_start_tls_s(ld, nullptr, nullptr); rc != LDAP_SUCCESS) fail("StartTLS", rc);
  }

  berval cred{};
  const char* dn = nullptr;
  if (!settings.bind_dn.empty()) {
    dn = settings.bind_dn.c_str();
    cred.bv_val = const_cast<char*>(settings.password.data());
    cred.bv_len = settings.password.size();
  }
  if (int rc = ldap_sasl_bind_s(ld, dn, LDAP_SASL_SIMPLE, &cred, nullptr, nullptr, nullptr);
      rc != LDAP_SUCCESS) {
    // The DN stays out of the message: it ends up in logs, the sync history and a /metrics
    // label, and names the service account an attacker would want.
    fail(dn ? std::string("simple bind with [ldap] bind_dn and password_file")
            : std::string("anonymous bind"),
         rc);
  }
}

LdapClient::~LdapClient() = default;

void LdapClient::search(const SearchRequest& request, const EntryCallback& on_entry) {
  LDAP* ld = handle_->ld;
  last_pages_ = 0;
  std::vector<char*> attrs;
  for (const auto& a : request.attributes) attrs.push_back(const_cast<char*>(a.c_str()));
  attrs.push_back(nullptr);
  char** attr_list = request.attributes.empty() ? nullptr : attrs.data();

  auto fail = [&](int rc) -> void {
    throw LdapError(uri_ + ": search of " + request.base + " " + request.filter + " (page " +
                        std::to_string(last_pages_ + 1) + "): " + describe(ld, rc),
                    rc);
  };

  // The cookie is owned by libldap's allocator; free it whatever way we leave.
  struct Cookie {
    berval bv{0, nullptr};
    ~Cookie() { reset(); }
    void reset() {
      if (bv.bv_val) ber_memfree(bv.bv_val);
      bv = {0, nullptr};
    }
  } cookie;

  LdapEntry entry;
  do {
    LDAPControl* page_control = nullptr;
    if (int rc = ldap_create_page_control(ld, page_size_, cookie.bv.bv_val ? &cookie.bv : nullptr,
                                          1, &page_control);
        rc != LDAP_SUCCESS)
      fail(rc);
    LDAPControl* server_controls[] = {page_control, nullptr};
    LDAPMessage* res = nullptr;
    timeval timeout = to_timeval(operation_timeout_s_);
    int rc = ldap_search_ext_s(ld, request.base.c_str(), LDAP_SCOPE_SUBTREE, request.filter.c_str(),
                               attr_list, 0, server_controls, nullptr,
                               operation_timeout_s_ > 0 ? &timeout : nullptr, LDAP_NO_LIMIT, &res);
    ldap_control_free(page_control);
    if (rc != LDAP_SUCCESS) {
      if (res) ldap_msgfree(res);
      fail(rc);
    }
    // res is freed by ldap_parse_result below; entries are copied out first.
    for (LDAPMessage* e = ldap_first_entry(ld, res); e; e = ldap_next_entry(ld, e)) {
      entry.attributes.clear();
      char* dn = ldap_get_dn(ld, e);
      entry.dn = dn ? dn : "";
      ldap_memfree(dn);
      BerElement* ber = nullptr;
      for (char* a = ldap_first_attribute(ld, e, &ber); a; a = ldap_next_attribute(ld, e, ber)) {
        std::vector<std::string> vals;
        if (berval** bv = ldap_get_values_len(ld, e, a)) {
          for (int i = 0; bv[i]; ++i) vals.emplace_back(bv[i]->bv_val, bv[i]->bv_len);
          ldap_value_free_len(bv);
        }
        entry.attributes.emplace_back(a, std::move(vals));
        ldap_memfree(a);
      }
      if (ber) ber_free(ber, 0);
      try {
        on_entry(entry);
      } catch (...) {
        ldap_msgfree(res);
        throw;
      }
    }
    int result_code = LDAP_SUCCESS;
    LDAPControl** response_controls = nullptr;
    if (int prc = ldap_parse_result(ld, res, &result_code, nullptr, nullptr, nullptr,
                                    &response_controls, 1);
        prc != LDAP_SUCCESS)
      fail(prc);
    if (result_code != LDAP_SUCCESS) {
      ldap_controls_free(response_controls);
      fail(result_code);
    }
    ++last_pages_;
    cookie.reset();
    LDAPControl* response =
        ldap_control_find(LDAP_CONTROL_PAGEDRESULTS, response_controls, nullptr);
    if (response) {
      ber_int_t estimate = 0;
      int crc = ldap_parse_pageresponse_control(ld, response, &estimate, &cookie.bv);
      if (crc != LDAP_SUCCESS) {
        ldap_controls_free(response_controls);
        fail(crc);
      }
    }
    ldap_controls_free(response_controls);
    // No control at all means the server ignored paging and sent everything at once.
  } while (cookie.bv.bv_val && cookie.bv.bv_len > 0);
}

}  // namespace commonroom::directory
