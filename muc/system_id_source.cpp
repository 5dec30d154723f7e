#include "muc/system_id_source.hpp"

#include <array>
#include <cstdint>
#include <random>

namespace commonroom::muc {

namespace {

// std::random_device is the kernel's getrandom() on Linux: unpredictable, as XEP-0359
// asks of stanza-ids and XEP-0421 of occupant-id keys.
template <size_t N>
std::array<std::uint8_t, N> random_bytes() {
  static thread_local std::random_device device;
  std::array<std::uint8_t, N> out{};
  for (size_t i = 0; i < N; i += 4) {
    std::uint32_t word = device();
    for (size_t j = 0; j < 4 && i + j < N; ++j)
      out[i + j] = static_cast<std::uint8_t>(word >> (8 * j));
  }
  return out;
}

void append_hex(std::string& out, std::uint8_t byte) {
  constexpr char kDigits[] = "0123456789abcdef";
  out.push_back(kDigits[byte >> 4]);
  out.push_back(kDigits[byte & 0x0f]);
}

}  // namespace

std::string SystemIdSource::next_id() {
  auto b = random_bytes<16>();
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < b.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    append_hex(out, b[i]);
  }
  return out;
}

std::string SystemIdSource::new_secret() {
  auto b = random_bytes<32>();
  std::string out;
  out.reserve(64);
  for (auto byte : b) append_hex(out, byte);
  return out;
}

}  // namespace commonroom::muc
