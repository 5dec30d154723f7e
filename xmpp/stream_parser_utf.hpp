// UTF-16 -> UTF-8 conversion and streaming UTF-8 validation for the stream parser.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace commonroom::xmpp::detail {

// Appends the UTF-8 form of n UTF-16 code units (what Xerces hands out as XMLCh). ASCII runs
// are copied four units at a time; a lone surrogate becomes U+FFFD (Xerces never produces
// one from valid UTF-8 input, so this only guards against misuse).
void append_utf8(std::string& out, const char16_t* s, size_t n);

// Checks bytes as they arrive, across arbitrary chunk boundaries, against RFC 3629: no
// overlong forms, no surrogates, nothing above U+10FFFF. The stream parser refuses the
// first invalid byte with <unsupported-encoding/> (RFC 6120 §4.9.3.22: "improperly encoded
// the stream (e.g., by violating the rules of the UTF-8 encoding)").
class Utf8Validator {
 public:
  // Returns how many leading bytes of p[0..n) are valid so far (n unless an invalid byte
  // was found; a sequence cut at the end of the chunk counts as valid until proven
  // otherwise). After a failure every later call returns 0.
  size_t scan(const char* p, size_t n);
  bool failed() const { return failed_; }
  // Absolute offset (from the first byte ever scanned) of the offending byte.
  uint64_t error_offset() const { return error_offset_; }
  uint8_t error_byte() const { return error_byte_; }

 private:
  uint64_t offset_ = 0;  // bytes accepted so far
  unsigned need_ = 0;    // continuation bytes still expected
  uint8_t lo_ = 0x80;    // allowed range of the next continuation byte
  uint8_t hi_ = 0xBF;
  bool failed_ = false;
  uint64_t error_offset_ = 0;
  uint8_t error_byte_ = 0;
};

}  // namespace commonroom::xmpp::detail
