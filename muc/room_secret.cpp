#include "muc/room_secret.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <stdexcept>
#include <vector>

namespace commonroom::muc {

namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256$";
// Each join to a protected room pays this on the engine's thread: about a millisecond on
// one core, which keeps a flood of wrong passwords from stalling other rooms while making
// a leaked hash far slower to guess than plain SHA-256.
#ifdef COMMONROOM_FUZZING_BUILD
// The fuzz targets configure protected rooms thousands of times a second: a real cost there
// leaves the smoke run a few dozen inputs. The stored form names its iteration count, so
// matching is exercised all the same.
constexpr int kIterations = 1;
#else
constexpr int kIterations = 4096;
#endif
constexpr int kMaxIterations = 1 << 20;  // refuse absurd stored costs
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

std::string to_hex(const unsigned char* data, size_t size) {
  static const char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (size_t i = 0; i < size; ++i) {
    out += digits[data[i] >> 4];
    out += digits[data[i] & 15];
  }
  return out;
}

bool from_hex(std::string_view hex, std::vector<unsigned char>& out) {
  if (hex.size() % 2) return false;
  out.clear();
  for (size_t i = 0; i < hex.size(); i += 2) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(hex.data() + i, hex.data() + i + 2, value, 16);
    if (ec != std::errc() || end != hex.data() + i + 2) return false;
    out.push_back(static_cast<unsigned char>(value));
  }
  return true;
}

std::vector<unsigned char> derive(std::string_view password, const unsigned char* salt,
                                  size_t salt_size, int iterations) {
  std::vector<unsigned char> out(kHashBytes);
  if (PKCS5_PBKDF2_HMAC(password.data(), static_cast<int>(password.size()), salt,
                        static_cast<int>(salt_size), iterations, EVP_sha256(),
                        static_cast<int>(out.size()), out.data()) != 1)
    throw std::runtime_error("PBKDF2 failed");
  return out;
}

struct Parsed {
  int iterations = 0;
  std::vector<unsigned char> salt;
  std::vector<unsigned char> hash;
};

bool parse(std::string_view stored, Parsed& p) {
  if (!stored.starts_with(kScheme)) return false;
  stored.remove_prefix(kScheme.size());
  const size_t a = stored.find('$');
  if (a == std::string_view::npos) return false;
  const size_t b = stored.find('$', a + 1);
  if (b == std::string_view::npos) return false;
  auto [end, ec] = std::from_chars(stored.data(), stored.data() + a, p.iterations);
  if (ec != std::errc() || end != stored.data() + a || p.iterations < 1 ||
      p.iterations > kMaxIterations)
    return false;
  return from_hex(stored.substr(a + 1, b - a - 1), p.salt) && !p.salt.empty() &&
         from_hex(stored.substr(b + 1), p.hash) && p.hash.size() == kHashBytes;
}

}  // namespace

std::string hash_room_secret(std::string_view password) {
  unsigned char salt[kSaltBytes];
  if (RAND_bytes(salt, sizeof salt) != 1)
    throw std::runtime_error("no random bytes for a room password's salt");
  const auto hash = derive(password, salt, sizeof salt, kIterations);
  return std::string(kScheme) + std::to_string(kIterations) + "$" + to_hex(salt, sizeof salt) +
         "$" + to_hex(hash.data(), hash.size());
}

bool is_hashed_room_secret(std::string_view stored) {
  Parsed p;
  return parse(stored, p);
}

bool room_secret_matches(std::string_view password, std::string_view stored) {
  Parsed p;
  if (!parse(stored, p)) return false;
  const auto hash = derive(password, p.salt.data(), p.salt.size(), p.iterations);
  return CRYPTO_memcmp(hash.data(), p.hash.data(), kHashBytes) == 0;
}

}  // namespace commonroom::muc
