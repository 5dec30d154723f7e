// Turns RoomEvents into the eleven array parameters of one INSERT into room_events: each
// column's values as a PostgreSQL array literal, so a batch of any size is one statement
// with a fixed text (prepared once per connection) and one round trip (pure, unit-tested).
#pragma once
#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "muc/room_event.hpp"

namespace commonroom::store {

// The columns in kRoomEventColumns order (store/event_log_copy.hpp).
inline constexpr size_t kRoomEventColumnCount = 11;

// Appends s as one double-quoted element of an array literal: only '"' and '\' need a
// backslash inside one; NUL bytes are dropped and invalid UTF-8 becomes U+FFFD.
void append_array_element(std::string& out, const std::string& s);

struct EventRows {
  // One literal per column, "{...}" once finish() has run: quoted elements, NULL for an
  // empty optional field.
  std::array<std::string, kRoomEventColumnCount> columns;
  size_t rows = 0;

  // Reserves room for these events (their text plus quoting and a little escaping).
  void reserve(const std::vector<const muc::RoomEvent*>& events);
  // Appends one event. NUL bytes (which PostgreSQL text cannot hold) are dropped and invalid
  // UTF-8 is replaced by U+FFFD, as in a COPY row, so a hostile or broken stanza can never
  // make a whole batch fail.
  void add(const muc::RoomEvent& event);
  // Closes every literal; add() may not be called afterwards.
  void finish();
  void clear();
};

}  // namespace commonroom::store
