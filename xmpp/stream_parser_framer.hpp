// Byte-level stanza framing for the stream parser: counts the raw bytes of each top-level
// element as it arrives, before Xerces buffers it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace commonroom::xmpp::detail {

// A small tokenizer that follows only what decides element boundaries (tags, quoted
// attribute values, CDATA, comments, PIs, declarations) so it can tell where each depth-1
// element starts and ends in the raw byte stream. Xerces reads ahead and reports no byte
// offsets cheaply, so this is how "a stanza may be at most N bytes as received" is enforced
// exactly, independent of how the bytes were chunked.
//
// It also refuses markup declarations ("<!" followed by anything but "--" or "[CDATA["), the
// one piece of restricted XML that Xerces 3.2.4 lets through silently (a DOCTYPE without
// internal or external subset fires no startDTD).
//
// Units that are counted against the limit: the prolog plus stream header; each top-level
// element (from its '<' to its final '>'); each run of character data between top-level
// elements. Well-formedness is Xerces' job: on malformed input this may count wrongly, but
// Xerces refuses such input at or before the point where the count would matter.
class StreamFramer {
 public:
  explicit StreamFramer(size_t max_unit_bytes) : max_(max_unit_bytes) {}

  // Scans the next bytes; returns how many of them may be handed to the XML parser: n, or
  // the index of the first byte that would exceed the limit or that starts a declaration
  // (then failed() is true, condition() is "policy-violation" or "restricted-xml", and
  // error() explains). After a failure every call returns 0.
  size_t scan(const char* p, size_t n);
  bool failed() const { return failed_; }
  const char* condition() const { return restricted_ ? "restricted-xml" : "policy-violation"; }
  const std::string& error() const { return error_; }
  // Element depth after the bytes scanned so far (1 = inside the stream header).
  size_t depth() const { return depth_; }

 private:
  enum class State : uint8_t {
    text,       // character data
    lt,         // just after '<'
    tag,        // inside a start or end tag
    tag_quote,  // inside a quoted attribute value
    pi,         // <? ... ?>
    bang,       // after "<!": deciding between CDATA, comment and a declaration
    comment,    // <!-- ... -->
    cdata,      // <![CDATA[ ... ]]>
    done,       // after </stream:stream>: nothing more is counted
  };
  enum class Unit : uint8_t { header, element, text };

  // Called after the '>' that ends a markup construct; returns true when a unit ended.
  bool end_markup(uint64_t next_offset);
  void fail_at(uint64_t offset);

  size_t max_;
  State state_ = State::text;
  Unit unit_ = Unit::header;
  uint64_t offset_ = 0;      // absolute offset of the next byte
  uint64_t unit_start_ = 0;  // absolute offset of the current unit's first byte
  size_t depth_ = 0;
  bool end_tag_ = false;  // the tag being scanned is an end tag
  char prev_ = 0;         // previous byte inside markup ('/' before '>', "--", "]]", '?')
  char prev2_ = 0;
  char quote_ = 0;
  uint8_t bang_len_ = 0;     // bytes matched after "<!"
  bool bang_cdata_ = false;  // "<![" seen: expecting CDATA rather than a comment
  bool failed_ = false;
  bool restricted_ = false;
  std::string error_;
};

}  // namespace commonroom::xmpp::detail
