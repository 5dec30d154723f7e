#include "xmpp/stream_parser_utf.hpp"

#include <cstring>

namespace commonroom::xmpp::detail {

void append_utf8(std::string& out, const char16_t* s, size_t n) {
  const size_t old = out.size();
  out.resize(old + 3 * n);  // worst case: every BMP unit needs 3 bytes, a pair needs 4 for 2
  char* d = out.data() + old;
  size_t i = 0;
  while (i < n) {
    // Names, JIDs, ids and most bodies are ASCII: test four units per load.
    while (i + 4 <= n) {
      uint64_t v;
      std::memcpy(&v, s + i, sizeof v);
      if (v & 0xFF80FF80FF80FF80ull) break;
      d[0] = static_cast<char>(s[i]);
      d[1] = static_cast<char>(s[i + 1]);
      d[2] = static_cast<char>(s[i + 2]);
      d[3] = static_cast<char>(s[i + 3]);
      d += 4;
      i += 4;
    }
    if (i >= n) break;
    const uint32_t c = s[i++];
    if (c < 0x80) {
      *d++ = static_cast<char>(c);
    } else if (c < 0x800) {
      *d++ = static_cast<char>(0xC0 | (c >> 6));
      *d++ = static_cast<char>(0x80 | (c & 0x3F));
    } else if (c >= 0xD800 && c <= 0xDBFF && i < n && s[i] >= 0xDC00 && s[i] <= 0xDFFF) {
      const uint32_t cp = 0x10000 + ((c - 0xD800) << 10) + (s[i++] - 0xDC00);
      *d++ = static_cast<char>(0xF0 | (cp >> 18));
      *d++ = static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      *d++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *d++ = static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      const uint32_t cp = (c >= 0xD800 && c <= 0xDFFF) ? 0xFFFD : c;
      *d++ = static_cast<char>(0xE0 | (cp >> 12));
      *d++ = static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      *d++ = static_cast<char>(0x80 | (cp & 0x3F));
    }
  }
  out.resize(static_cast<size_t>(d - out.data()));
}

size_t Utf8Validator::scan(const char* p, size_t n) {
  if (failed_) return 0;
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  size_t i = 0;
  while (i < n) {
    if (need_ == 0) {
      while (i + 8 <= n) {
        uint64_t v;
        std::memcpy(&v, b + i, sizeof v);
        if (v & 0x8080808080808080ull) break;
        i += 8;
      }
      if (i >= n) break;
      const unsigned char c = b[i];
      if (c < 0x80) {
        ++i;
        continue;
      }
      lo_ = 0x80;
      hi_ = 0xBF;
      if (c >= 0xC2 && c <= 0xDF) {
        need_ = 1;
      } else if (c >= 0xE0 && c <= 0xEF) {
        need_ = 2;
        if (c == 0xE0) lo_ = 0xA0;  // overlong
        if (c == 0xED) hi_ = 0x9F;  // UTF-16 surrogates
      } else if (c >= 0xF0 && c <= 0xF4) {
        need_ = 3;
        if (c == 0xF0) lo_ = 0x90;  // overlong
        if (c == 0xF4) hi_ = 0x8F;  // above U+10FFFF
      } else {
        break;  // stray continuation byte, C0/C1 overlong lead, or F5..FF
      }
      ++i;
    } else {
      const unsigned char c = b[i];
      if (c < lo_ || c > hi_) break;
      lo_ = 0x80;
      hi_ = 0xBF;
      --need_;
      ++i;
    }
  }
  if (i < n) {
    failed_ = true;
    error_offset_ = offset_ + i;
    error_byte_ = b[i];
  }
  offset_ += i;
  return i;
}

}  // namespace commonroom::xmpp::detail
