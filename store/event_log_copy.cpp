#include "store/event_log_copy.hpp"

#include <cstdint>

namespace commonroom::store {

size_t utf8_sequence(const unsigned char* p, size_t n) {
  unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t len = 0;
  uint32_t min = 0;
  uint32_t cp = 0;
  if ((c & 0xE0) == 0xC0) {
    len = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    len = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    len = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (n < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

size_t append_utf8_char(std::string& out, const std::string& s, size_t i) {
  const size_t len =
      utf8_sequence(reinterpret_cast<const unsigned char*>(s.data()) + i, s.size() - i);
  if (len == 0) {
    out += "\xEF\xBF\xBD";
    return 1;
  }
  out.append(s, i, len);
  return len;
}

namespace {

void append_escaped(std::string& out, const std::string& s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // Plain ASCII runs are copied in one go: most text is.
    size_t run = i;
    while (run < n && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '\\') ++run;
    if (run > i) {
      out.append(s, i, run - i);
      i = run;
      continue;
    }
    unsigned char c = p[i];
    switch (c) {
      case '\\':
        out += "\\\\";
        ++i;
        continue;
      case '\n':
        out += "\\n";
        ++i;
        continue;
      case '\r':
        out += "\\r";
        ++i;
        continue;
      case '\t':
        out += "\\t";
        ++i;
        continue;
      case '\0':
        ++i;
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7F) {
      out += static_cast<char>(c);  // other control characters are fine in COPY text
      ++i;
      continue;
    }
    i += append_utf8_char(out, s, i);
  }
}

void append_field(std::string& out, const std::string& s, bool nullable) {
  if (s.empty() && nullable) {
    out += "\\N";
  } else {
    append_escaped(out, s);
  }
}

void append_digits(std::string& out, int64_t v, int width) {
  char buf[24];
  int i = width;
  buf[i] = '\0';
  while (i > 0) {
    buf[--i] = static_cast<char>('0' + v % 10);
    v /= 10;
  }
  out.append(buf, static_cast<size_t>(width));
}

}  // namespace

void append_copy_timestamp(std::string& out, std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto us = floor<microseconds>(t);
  const auto day = floor<days>(us);
  const year_month_day ymd{day};
  const hh_mm_ss hms{us - day};
  int y = static_cast<int>(ymd.year());
  if (y < 0 || y > 9999) y = y < 0 ? 0 : 9999;  // not reachable from a real clock
  append_digits(out, y, 4);
  out += '-';
  append_digits(out, static_cast<unsigned>(ymd.month()), 2);
  out += '-';
  append_digits(out, static_cast<unsigned>(ymd.day()), 2);
  out += ' ';
  append_digits(out, hms.hours().count(), 2);
  out += ':';
  append_digits(out, hms.minutes().count(), 2);
  out += ':';
  append_digits(out, hms.seconds().count(), 2);
  out += '.';
  append_digits(out, hms.subseconds().count(), 6);
  out += "+00";
}

void append_copy_row(std::string& out, const muc::RoomEvent& e) {
  append_field(out, e.id, false);
  out += '\t';
  append_field(out, e.room, false);
  out += '\t';
  append_field(out, e.stanza_id, true);
  out += '\t';
  append_copy_timestamp(out, e.occurred_at);
  out += '\t';
  out += muc::to_string(e.kind);
  out += '\t';
  append_field(out, e.actor_jid, true);
  out += '\t';
  append_field(out, e.actor_nick, true);
  out += '\t';
  append_field(out, e.target, true);
  out += '\t';
  append_field(out, e.body, true);
  out += '\t';
  append_field(out, e.detail, true);
  out += '\t';
  append_field(out, e.raw, true);
  out += '\n';
}

}  // namespace commonroom::store
