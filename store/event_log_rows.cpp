#include "store/event_log_rows.hpp"

#include "store/event_log_copy.hpp"

namespace commonroom::store {

namespace {

void append_field(std::string& out, const std::string& s, bool nullable) {
  out += out.empty() ? '{' : ',';
  if (s.empty() && nullable) {
    out += "NULL";
  } else {
    append_array_element(out, s);
  }
}

}  // namespace

void append_array_element(std::string& out, const std::string& s) {
  out += '"';
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const size_t n = s.size();
  size_t i = 0;
  while (i < n) {
    // Runs of plain ASCII are copied in one go: most text is.
    size_t run = i;
    while (run < n && p[run] != 0 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\') ++run;
    if (run > i) {
      out.append(s, i, run - i);
      i = run;
      continue;
    }
    const unsigned char c = p[i];
    if (c == 0) {
      ++i;
      continue;
    }
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    i += append_utf8_char(out, s, i);
  }
  out += '"';
}

void EventRows::reserve(const std::vector<const muc::RoomEvent*>& events) {
  std::array<size_t, kRoomEventColumnCount> bytes{};
  for (const auto* e : events) {
    const std::string* text[] = {&e->id,   &e->room,      &e->stanza_id,  nullptr,
                                 nullptr,  &e->actor_jid, &e->actor_nick, &e->target,
                                 &e->body, &e->detail,    &e->raw};
    for (size_t c = 0; c < kRoomEventColumnCount; ++c) {
      bytes[c] += (text[c] ? text[c]->size() : 32) + 4;  // quotes, comma; 32: a timestamp
    }
  }
  for (size_t c = 0; c < kRoomEventColumnCount; ++c) {
    columns[c].reserve(columns[c].size() + bytes[c] + bytes[c] / 8 + 2);
  }
}

void EventRows::add(const muc::RoomEvent& e) {
  append_field(columns[0], e.id, false);
  append_field(columns[1], e.room, false);
  append_field(columns[2], e.stanza_id, true);
  columns[3] += columns[3].empty() ? "{\"" : ",\"";
  append_copy_timestamp(columns[3], e.occurred_at);
  columns[3] += '"';
  columns[4] += columns[4].empty() ? "{\"" : ",\"";
  columns[4] += muc::to_string(e.kind);
  columns[4] += '"';
  append_field(columns[5], e.actor_jid, true);
  append_field(columns[6], e.actor_nick, true);
  append_field(columns[7], e.target, true);
  append_field(columns[8], e.body, true);
  append_field(columns[9], e.detail, true);
  append_field(columns[10], e.raw, true);
  ++rows;
}

void EventRows::finish() {
  for (auto& c : columns) c += c.empty() ? "{}" : "}";
}

void EventRows::clear() {
  for (auto& c : columns) c.clear();
  rows = 0;
}

}  // namespace commonroom::store
