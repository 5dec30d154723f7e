// How people sign in to the admin web ([admin-web] keys, docs/configuration.md).
#pragma once
#include <map>
#include <string>
#include <vector>

namespace commonroom::admin_web {

struct SignInSettings {
  // The address people use, e.g. https://chat-admin.example.ac.uk (no trailing slash). Its
  // host is an accepted Host header; https makes the session cookie Secure; Raven returns
  // to <public_url>/auth/raven. Empty: http://<listen address>.
  std::string public_url;
  int session_idle_seconds = 30 * 60;
  int session_max_seconds = 12 * 3600;
  int login_link_seconds = 10 * 60;

  // Raven (Ucam WebAuth 3); off when wls_url is empty.
  std::string raven_wls_url;
  std::map<std::string, std::string> raven_keys;  // kid -> PEM public key (or certificate)
  int raven_skew_seconds = 60;
  std::string raven_description = "commonroom admin";

  // Trusted front proxy; off when user_header is empty.
  std::string proxy_user_header;
  std::vector<std::string> proxy_addresses;  // IP addresses the proxy connects from
  std::string proxy_secret_header;
  std::string proxy_secret;
};

}  // namespace commonroom::admin_web
