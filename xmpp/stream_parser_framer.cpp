#include "xmpp/stream_parser_framer.hpp"

#include <algorithm>
#include <array>
#include <cstring>

namespace commonroom::xmpp::detail {

namespace {
constexpr char kCdataOpen[] = "[CDATA[";  // what follows "<!" to open a CDATA section

// Bytes that end a run of name/space characters inside a tag.
constexpr auto kTagStop = [] {
  std::array<bool, 256> t{};
  t['>'] = t['\''] = t['"'] = true;
  return t;
}();
}  // namespace

void StreamFramer::fail_at(uint64_t offset) {
  failed_ = true;
  restricted_ = false;
  const std::string limit = std::to_string(max_);
  switch (unit_) {
    case Unit::header:
      error_ = "the stream header is larger than " + limit + " bytes";
      break;
    case Unit::element:
      error_ = "a stanza is larger than " + limit + " bytes (the element starting at byte " +
               std::to_string(unit_start_) + " had reached byte " + std::to_string(offset) + ")";
      break;
    case Unit::text:
      error_ = "more than " + limit + " bytes of character data between stanzas";
      break;
  }
}

size_t StreamFramer::scan(const char* p, size_t n) {
  if (failed_) return 0;
  const uint64_t base = offset_;
  size_t i = 0;
  while (i < n && state_ != State::done) {
    // First byte (index into p) that the current unit may not use any more.
    const uint64_t limit = unit_start_ + max_;
    const size_t stop =
        limit <= base + i ? i : static_cast<size_t>(std::min<uint64_t>(n, limit - base));

    if (state_ == State::text) {
      const void* hit = std::memchr(p + i, '<', n - i);
      const size_t j = hit ? static_cast<size_t>(static_cast<const char*>(hit) - p) : n;
      if (depth_ == 1) {
        // Between stanzas: the '<' opens the next unit, so only the text before it counts.
        if (j > stop) {
          fail_at(base + stop);
          offset_ = base + stop;
          return stop;
        }
        if (hit) {
          unit_ = Unit::element;
          unit_start_ = base + j;
          state_ = State::lt;
          i = j + 1;
        } else {
          i = n;
        }
      } else {
        const size_t last = hit ? j + 1 : n;  // the '<' belongs to the current unit too
        if (last > stop) {
          fail_at(base + stop);
          offset_ = base + stop;
          return stop;
        }
        i = last;
        if (hit) state_ = State::lt;
      }
      continue;
    }

    const size_t end = stop;
    bool unit_changed = false;
    while (i < end && !unit_changed) {
      const char c = p[i++];
      switch (state_) {
        case State::lt:
          if (c == '/') {
            end_tag_ = true;
            state_ = State::tag;
          } else if (c == '?') {
            state_ = State::pi;
          } else if (c == '!') {
            state_ = State::bang;
            bang_len_ = 0;
          } else {
            end_tag_ = false;
            state_ = State::tag;
          }
          prev_ = c;
          break;
        case State::tag:
          // Names, '=' and spaces: skip to the next byte that matters in one tight loop.
          if (c != '>' && c != '\'' && c != '"') {
            size_t k = i;
            while (k < end && !kTagStop[static_cast<unsigned char>(p[k])]) ++k;
            prev_ = p[k - 1];
            i = k;
            break;
          }
          if (c == '>') {
            if (end_tag_) {
              if (depth_ > 0) --depth_;
            } else if (prev_ != '/') {
              ++depth_;
            }
            unit_changed = end_markup(base + i);
          } else if (c == '\'' || c == '"') {
            quote_ = c;
            state_ = State::tag_quote;
            // Attribute values are the bulk of a tag (JIDs, ids): skip them with memchr.
            const void* q = std::memchr(p + i, quote_, end - i);
            if (q) {
              i = static_cast<size_t>(static_cast<const char*>(q) - p) + 1;
              state_ = State::tag;
              prev_ = quote_;
            } else {
              i = end;
            }
          } else {
            prev_ = c;
          }
          break;
        case State::tag_quote: {
          // A value that was cut by the end of the previous chunk.
          const void* q = c == quote_ ? p + i - 1 : std::memchr(p + i, quote_, end - i);
          if (q) {
            i = static_cast<size_t>(static_cast<const char*>(q) - p) + 1;
            state_ = State::tag;
            prev_ = quote_;
          } else {
            i = end;
          }
          break;
        }
        case State::pi:
          if (c == '>' && prev_ == '?') {
            unit_changed = end_markup(base + i);
          }
          prev_ = c;
          break;
        case State::bang: {
          // "<!--" opens a comment, "<![CDATA[" a CDATA section, anything else is a
          // declaration (DOCTYPE, ENTITY...), refused below.
          const size_t k = bang_len_++;
          const char* want = nullptr;
          if (k == 0) {
            bang_cdata_ = c == '[';
            if (c != '-' && c != '[') want = "";
          }
          if (!want) want = bang_cdata_ ? kCdataOpen : "--";
          const size_t want_len = std::strlen(want);
          if (k < want_len && c == want[k]) {
            if (k + 1 == want_len) {
              state_ = bang_cdata_ ? State::cdata : State::comment;
              prev_ = prev2_ = 0;
            }
          } else {
            // RFC 6120 §11.1: no DTD. Xerces 3.2.4 reports a DOCTYPE without subsets to
            // nobody, so it is refused here, before Xerces sees more than "<!".
            restricted_ = true;
            failed_ = true;
            error_ = std::string("a DOCTYPE or other markup declaration (\"<!") +
                     (c >= 0x20 && c < 0x7F ? std::string(1, c) : std::string("?")) +
                     "...\") is not allowed (RFC 6120 §11.1)";
            offset_ = base + i - 1;
            return i - 1;
          }
          break;
        }
        case State::comment:
          if (c == '>' && prev_ == '-' && prev2_ == '-') {
            unit_changed = end_markup(base + i);
          }
          prev2_ = prev_;
          prev_ = c;
          break;
        case State::cdata:
          if (c == '>' && prev_ == ']' && prev2_ == ']') {
            unit_changed = end_markup(base + i);
          }
          prev2_ = prev_;
          prev_ = c;
          break;
        case State::text:
        case State::done:
          break;
      }
      if (state_ == State::text || state_ == State::done) break;
    }
    if (!unit_changed && state_ != State::text && state_ != State::done && i == end && end < n) {
      fail_at(base + end);
      offset_ = base + end;
      return end;
    }
  }
  offset_ = base + n;
  return n;
}

bool StreamFramer::end_markup(uint64_t next_offset) {
  state_ = State::text;
  if (depth_ == 0 && unit_ == Unit::element) {
    state_ = State::done;  // </stream:stream>
    return true;
  }
  if (depth_ == 1 && unit_ != Unit::text) {
    // The stream header or a top-level element has just ended.
    unit_ = Unit::text;
    unit_start_ = next_offset;
    return true;
  }
  return false;
}

}  // namespace commonroom::xmpp::detail
