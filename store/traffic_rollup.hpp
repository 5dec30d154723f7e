// The admin web's traffic figures (room_activity, room_message_hours; schema 0012) gathered
// in memory by the abuse log's database thread from the groupchat messages it inserted, and
// added to PostgreSQL in one statement every five seconds (decision 0074) instead of by a
// trigger on every batch. Pure: no SQL is run here.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace commonroom::store {

class TrafficRollup {
 public:
  using Time = std::chrono::system_clock::time_point;

  // One groupchat message inserted into room_events.
  void add(const std::string& room, Time at);
  // Adds everything `other` holds (a flush that failed goes back).
  void merge(const TrafficRollup& other);
  void clear();

  bool empty() const { return messages_ == 0; }
  uint64_t messages() const { return messages_; }
  // Distinct rooms and minutes held: what memory it uses.
  size_t entries() const { return last_by_room_.size() + by_minute_.size(); }

  // The four array parameters of the flush statement (EventLogDatabase::add_traffic), as
  // PostgreSQL array literals: rooms and their newest message, sorted by room (so concurrent
  // writers lock room_activity's rows in one order); UTC minutes and their message counts.
  // Minutes, not hours: PostgreSQL cuts them into hours in its own time zone, as the
  // trigger did, and every time zone in use today is a whole number of minutes off UTC.
  std::string rooms_literal() const;
  std::string last_message_literal() const;
  std::string minutes_literal() const;
  std::string counts_literal() const;

 private:
  void keep_newest(const std::string& room, Time at);

  std::map<std::string, Time> last_by_room_;
  std::map<int64_t, uint64_t> by_minute_;  // minutes since the epoch -> messages
  uint64_t messages_ = 0;
};

}  // namespace commonroom::store
