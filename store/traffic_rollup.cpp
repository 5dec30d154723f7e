#include "store/traffic_rollup.hpp"

#include <algorithm>

#include "store/event_log_copy.hpp"
#include "store/event_log_rows.hpp"

namespace commonroom::store {

namespace {

template <typename Map, typename Append>
std::string literal(const Map& map, Append append) {
  std::string out = "{";
  for (const auto& entry : map) {
    if (out.size() > 1) out += ',';
    append(out, entry);
  }
  out += '}';
  return out;
}

}  // namespace

void TrafficRollup::keep_newest(const std::string& room, Time at) {
  auto [it, inserted] = last_by_room_.try_emplace(room, at);
  if (!inserted && it->second < at) it->second = at;
}

void TrafficRollup::add(const std::string& room, Time at) {
  keep_newest(room, at);
  const auto minute = std::chrono::floor<std::chrono::minutes>(at).time_since_epoch().count();
  ++by_minute_[minute];
  ++messages_;
}

void TrafficRollup::merge(const TrafficRollup& other) {
  for (const auto& [room, at] : other.last_by_room_) keep_newest(room, at);
  for (const auto& [minute, count] : other.by_minute_) by_minute_[minute] += count;
  messages_ += other.messages_;
}

void TrafficRollup::clear() {
  last_by_room_.clear();
  by_minute_.clear();
  messages_ = 0;
}

std::string TrafficRollup::rooms_literal() const {
  return literal(last_by_room_,
                 [](std::string& out, const auto& e) { append_array_element(out, e.first); });
}

std::string TrafficRollup::last_message_literal() const {
  return literal(last_by_room_, [](std::string& out, const auto& e) {
    out += '"';
    append_copy_timestamp(out, e.second);
    out += '"';
  });
}

std::string TrafficRollup::minutes_literal() const {
  return literal(by_minute_, [](std::string& out, const auto& e) {
    out += '"';
    append_copy_timestamp(out, Time(std::chrono::minutes(e.first)));
    out += '"';
  });
}

std::string TrafficRollup::counts_literal() const {
  return literal(by_minute_,
                 [](std::string& out, const auto& e) { out += std::to_string(e.second); });
}

}  // namespace commonroom::store
