// XEP-0313 on rooms, read from the abuse log (room_events): groupchat messages with a
// stanza-id, minus those a moderator retracted. One store for both; nothing is copied.
#pragma once
#include <cstdint>
#include <optional>

#include "muc/mam_query.hpp"
#include "muc/mam_result.hpp"
#include "store/database.hpp"

namespace commonroom::store {

class RoomArchive {
 public:
  // Pages hold at most this many messages whatever the client asks (XEP-0313 §4.1.4 lets
  // the archive choose); without <max/> a page has kDefaultPage.
  static constexpr std::uint32_t kMaxPage = 100;
  static constexpr std::uint32_t kDefaultPage = 20;

  // Uses db's connection from one thread at a time; db must outlive this.
  explicit RoomArchive(Database& db);

  // One page of the query's results; nullopt when an after/before id names no message in
  // this room's archive (the caller answers item-not-found). Throws on a database error.
  std::optional<muc::MamPage> query(const muc::MamQuery& query);

 private:
  Database& db_;
};

}  // namespace commonroom::store
