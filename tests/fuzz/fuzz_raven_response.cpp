// libFuzzer target for the Ucam WebAuth (Raven) response parser. The first byte picks how
// the rest is used:
//   even: the rest is a whole WLS-Response, as a browser could send it to /auth/raven;
//   odd:  the rest is the signed part (ver..params); the target signs it with the key the
//         check trusts, so the fuzzer reaches what lies past the signature check.
// Checked: an unsigned input is never accepted (no forgery), an accepted one names someone,
// a refusal always says why, and the request URL built from the same bytes is safe to put
// in a Location header.
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "admin-web/raven.hpp"

namespace {

using namespace commonroom::admin_web;

struct TestKey {
  EVP_PKEY* key = nullptr;
  std::map<std::string, std::string> trusted;  // kid -> PEM public key

  TestKey() {
    key = EVP_RSA_gen(1024);  // made here, never stored: the fuzzer cannot learn it
    if (!key) std::abort();
    BIO* bio = BIO_new(BIO_s_mem());
    if (!bio || PEM_write_bio_PUBKEY(bio, key) != 1) std::abort();
    char* pem = nullptr;
    long n = BIO_get_mem_data(bio, &pem);
    trusted["901"] = std::string(pem, static_cast<size_t>(n));
    BIO_free(bio);
  }

  // SHA-1 RSA signature in the WebAuth base64 variant ('-', '.', '_' for '+', '/', '=').
  std::string sign(const std::string& data) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    size_t len = 0;
    if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha1(), nullptr, key) != 1 ||
        EVP_DigestSign(ctx.get(), nullptr, &len,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
      std::abort();
    std::string sig(len, '\0');
    if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                       reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1)
      std::abort();
    sig.resize(len);
    std::string b64(4 * ((sig.size() + 2) / 3) + 1, '\0');
    const int written =
        EVP_EncodeBlock(reinterpret_cast<unsigned char*>(b64.data()),
                        reinterpret_cast<const unsigned char*>(sig.data()), static_cast<int>(len));
    b64.resize(static_cast<size_t>(written));
    for (char& c : b64) c = c == '+' ? '-' : c == '/' ? '.' : c == '=' ? '_' : c;
    return b64;
  }
};

bool safe_in_location(const std::string& url) {
  for (unsigned char c : url)
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '<' || c == '>' || c == '\\') return false;
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const TestKey test_key;
  if (size == 0) return 0;
  const bool sign = data[0] & 1;
  std::string rest(reinterpret_cast<const char*>(data + 1), size - 1);

  std::string response = rest;
  if (sign) response = rest + "!901!" + test_key.sign(rest);

  RavenCheck check;
  check.expected_url = "https://admin.example/auth/raven";
  check.keys = &test_key.trusted;
  // 2026-01-01T00:00:00Z: the seeds' issue time.
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1767225600));
  RavenResult result = verify_raven_response(response, check, now);
  if (result.accepted) {
    if (!sign) std::abort();  // accepted without our signature: a forgery got through
    if (result.accepted->principal.empty() || result.accepted->response_key.empty()) std::abort();
  } else if (result.message.empty()) {
    std::abort();
  }

  const std::string url = raven_request_url("https://raven.example/auth/authenticate.html",
                                            check.expected_url + "?" + rest, rest, rest);
  if (!url.starts_with("https://raven.example/auth/authenticate.html?ver=3&url=") ||
      !safe_in_location(url))
    std::abort();
  return 0;
}
