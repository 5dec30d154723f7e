#include "admin-web/raven.hpp"

#include <Poco/Base64Decoder.h>
#include <Poco/Exception.h>
#include <Poco/URI.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <memory>
#include <sstream>
#include <vector>

namespace commonroom::admin_web {

namespace {

std::string encode(const std::string& value) {
  std::string out;
  Poco::URI::encode(value, "!#$&'()*+,/:;=?@[]", out);
  return out;
}

// Field values escape '!' and '%' (and may escape more) as %XX.
std::optional<std::string> unescape(std::string_view field) {
  std::string out;
  for (size_t i = 0; i < field.size(); ++i) {
    if (field[i] != '%') {
      out += field[i];
      continue;
    }
    auto digit = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      if (c >= 'A' && c <= 'F') return c - 'A' + 10;
      return -1;
    };
    if (i + 2 >= field.size()) return std::nullopt;
    int hi = digit(field[i + 1]), lo = digit(field[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
    i += 2;
  }
  return out;
}

// issue: YYYYMMDDTHHMMSSZ (UTC).
std::optional<std::chrono::system_clock::time_point> parse_issue(const std::string& s) {
  if (s.size() != 16 || s[8] != 'T' || s[15] != 'Z') return std::nullopt;
  for (size_t i = 0; i < 15; ++i)
    if (i != 8 && (s[i] < '0' || s[i] > '9')) return std::nullopt;
  std::tm tm{};
  tm.tm_year = std::stoi(s.substr(0, 4)) - 1900;
  tm.tm_mon = std::stoi(s.substr(4, 2)) - 1;
  tm.tm_mday = std::stoi(s.substr(6, 2));
  tm.tm_hour = std::stoi(s.substr(9, 2));
  tm.tm_min = std::stoi(s.substr(11, 2));
  tm.tm_sec = std::stoi(s.substr(13, 2));
  // Beyond year 2262 the clock's nanoseconds overflow; no real response is far from now.
  if (tm.tm_year < 2000 - 1900 || tm.tm_year > 2200 - 1900 || tm.tm_mon > 11 || tm.tm_mday < 1 ||
      tm.tm_mday > 31 || tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60)
    return std::nullopt;
  return std::chrono::system_clock::from_time_t(timegm(&tm));
}

// The WebAuth base64 variant writes '-', '.', '_' for '+', '/', '='.
std::optional<std::string> decode_signature(std::string_view sig) {
  std::string b64(sig);
  for (char& c : b64) {
    if (c == '-')
      c = '+';
    else if (c == '.')
      c = '/';
    else if (c == '_')
      c = '=';
    else if (c == '+' || c == '/' || c == '=')
      return std::nullopt;
  }
  // Read through the istream, which turns the decoder's exception on a bad character into
  // badbit: a string built from istreambuf_iterators leaked its buffer when it threw.
  std::istringstream in(b64);
  Poco::Base64Decoder decoder(in);
  std::string out;
  char buf[256];
  while (decoder.read(buf, sizeof buf), decoder.gcount() > 0)
    out.append(buf, static_cast<size_t>(decoder.gcount()));
  if (decoder.bad() || out.empty()) return std::nullopt;
  return out;
}

using PKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;

// A PEM public key, or the key of a PEM certificate (the WLS publishes either).
PKey load_key(const std::string& pem) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new_mem_buf(pem.data(), int(pem.size())),
                                                &BIO_free);
  if (!bio) return PKey(nullptr, &EVP_PKEY_free);
  if (EVP_PKEY* key = PEM_read_bio_PUBKEY(bio.get(), nullptr, nullptr, nullptr))
    return PKey(key, &EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> again(BIO_new_mem_buf(pem.data(), int(pem.size())),
                                                  &BIO_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(
      PEM_read_bio_X509(again.get(), nullptr, nullptr, nullptr), &X509_free);
  return PKey(cert ? X509_get_pubkey(cert.get()) : nullptr, &EVP_PKEY_free);
}

bool verify_sha1_rsa(const std::string& pem, std::string_view data, const std::string& sig) {
  PKey key = load_key(pem);
  if (!key) return false;
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha1(), nullptr, key.get()) != 1)
    return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

RavenResult refuse(RavenRefusal why, std::string message) {
  RavenResult r;
  r.refusal = why;
  r.message = std::move(message);
  return r;
}

}  // namespace

std::string raven_request_url(const std::string& wls_url, const std::string& return_url,
                              const std::string& description, const std::string& params) {
  return wls_url + (wls_url.find('?') == std::string::npos ? "?" : "&") +
         "ver=3&url=" + encode(return_url) + "&desc=" + encode(description) +
         "&params=" + encode(params);
}

RavenResult verify_raven_response(std::string_view wls_response, const RavenCheck& check,
                                  std::chrono::system_clock::time_point now) {
  std::vector<std::string_view> raw;
  size_t start = 0;
  while (true) {
    size_t bang = wls_response.find('!', start);
    raw.push_back(wls_response.substr(start, bang - start));
    if (bang == std::string_view::npos) break;
    start = bang + 1;
  }
  if (raw.size() != 14)
    return refuse(RavenRefusal::malformed, "The Raven response has " + std::to_string(raw.size()) +
                                               " fields; version 3 responses have 14.");
  std::vector<std::string> f;
  for (auto field : raw) {
    auto v = unescape(field);
    if (!v) return refuse(RavenRefusal::malformed, "The Raven response has a bad %-escape.");
    f.push_back(std::move(*v));
  }
  enum { ver, status, msg, issue, id, url, principal, ptags, auth, sso, life, params, kid, sig };
  if (f[ver] != "3")
    return refuse(RavenRefusal::wrong_version,
                  "The Raven response is protocol version \"" + f[ver] + "\"; 3 is expected.");
  if (f[status] == "410") return refuse(RavenRefusal::cancelled, "Sign-in was cancelled at Raven.");
  if (f[status] != "200")
    return refuse(RavenRefusal::not_authenticated,
                  "Raven did not authenticate you (status " + f[status] +
                      (f[msg].empty() ? std::string() : ": " + f[msg]) + ").");
  if (f[url] != check.expected_url)
    return refuse(RavenRefusal::wrong_url, "The Raven response was made for another address (" +
                                               f[url] + "), not for this site.");
  auto issued = parse_issue(f[issue]);
  if (!issued) return refuse(RavenRefusal::malformed, "The Raven response has a bad issue time.");
  if (*issued < now - check.skew || *issued > now + check.skew)
    return refuse(RavenRefusal::stale,
                  "The Raven response was issued at " + f[issue] +
                      ", too far from this server's time; it may be an old one replayed. "
                      "Sign in again.");
  if (!check.keys || !check.keys->count(f[kid]))
    return refuse(RavenRefusal::unknown_key, "The Raven response is signed with key \"" + f[kid] +
                                                 "\", which this site is not configured to trust.");
  auto signature = decode_signature(f[sig]);
  // The signature covers the fields ver..params exactly as they were sent (still escaped).
  const size_t signed_end =
      static_cast<size_t>(raw[params].data() + raw[params].size() - wls_response.data());
  if (!signature ||
      !verify_sha1_rsa(check.keys->at(f[kid]), wls_response.substr(0, signed_end), *signature))
    return refuse(RavenRefusal::bad_signature,
                  "The Raven response's signature does not verify; it was not made by Raven "
                  "or was altered on the way.");
  if (f[principal].empty())
    return refuse(RavenRefusal::malformed, "The Raven response names nobody.");
  RavenResult r;
  r.accepted = RavenPrincipal{f[principal], f[params], f[issue] + "!" + f[id]};
  return r;
}

}  // namespace commonroom::admin_web
