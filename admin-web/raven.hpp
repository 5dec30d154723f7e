// Raven sign-in: the Ucam WebAuth protocol, version 3, as a web application agent. Builds
// the redirect to the WLS and verifies the WLS-Response it sends back. Pure: the clock
// and the keys come in, and replays are refused by the caller, which keeps the store.
#pragma once
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace commonroom::admin_web {

// The URL that asks the WLS to authenticate the user and come back to return_url.
std::string raven_request_url(const std::string& wls_url, const std::string& return_url,
                              const std::string& description, const std::string& params);

enum class RavenRefusal {
  malformed,          // not 14 '!'-separated fields, bad date or base64
  wrong_version,      // ver is not 3
  cancelled,          // status 410: the user cancelled at the WLS
  not_authenticated,  // any other status but 200
  wrong_url,          // the response was made for another site or path
  stale,              // issue outside the accepted clock skew
  unknown_key,        // kid names no configured key
  bad_signature,
};

struct RavenPrincipal {
  std::string principal;     // the CRSid
  std::string params;        // as we sent them
  std::string response_key;  // issue and id: what replay protection remembers
};

struct RavenResult {
  std::optional<RavenPrincipal> accepted;
  RavenRefusal refusal = RavenRefusal::malformed;
  std::string message;  // for the refusal page: what was wrong, in plain words
};

struct RavenCheck {
  std::string expected_url;                                  // the return URL we sent
  const std::map<std::string, std::string>* keys = nullptr;  // kid -> PEM
  std::chrono::seconds skew{60};
};

RavenResult verify_raven_response(std::string_view wls_response, const RavenCheck& check,
                                  std::chrono::system_clock::time_point now);

}  // namespace commonroom::admin_web
