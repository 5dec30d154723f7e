// Turns RoomEvents into PostgreSQL COPY text rows for room_events (pure, unit-tested).
#pragma once
#include <chrono>
#include <string>

#include "muc/room_event.hpp"

namespace commonroom::store {

// The room_events columns a COPY row fills, in order.
inline constexpr const char* kRoomEventColumns =
    "event_id, room, stanza_id, occurred_at, kind, actor_jid, actor_nick, target, body, "
    "detail, raw";

// Length of the valid UTF-8 sequence starting at p (1-4; n > 0 bytes left), or 0 if it is
// not valid (a stray continuation byte, an overlong form, a surrogate, past U+10FFFF).
size_t utf8_sequence(const unsigned char* p, size_t n);

// Appends the UTF-8 character at s[i] (i < s.size()), or U+FFFD when it is not valid UTF-8;
// returns how many bytes of s it took (an invalid byte is replaced alone).
size_t append_utf8_char(std::string& out, const std::string& s, size_t i);

// Appends one COPY text-format row ending in '\n'. Empty optional fields become NULL; tabs,
// newlines, carriage returns and backslashes are escaped; NUL bytes (which PostgreSQL text
// cannot hold) are dropped and invalid UTF-8 is replaced by U+FFFD, so a hostile or broken
// stanza can never make a whole batch fail.
void append_copy_row(std::string& out, const muc::RoomEvent& event);

// "2026-11-25 15:27:13.932104+00": the UTC time with microseconds, as COPY accepts it.
void append_copy_timestamp(std::string& out, std::chrono::system_clock::time_point t);

}  // namespace commonroom::store
