// PostgreSQL storage of persistent rooms: their configuration, affiliations and registered
// nicknames, loaded at start and rewritten as the rooms engine reports changes.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "muc/snapshot.hpp"
#include "store/database.hpp"

namespace commonroom::store {

// One change to the stored rooms: a snapshot to upsert, or (nullopt) the room to delete.
struct RoomChange {
  std::string jid;
  std::optional<muc::RoomSnapshot> snapshot;
};

class RoomStore {
 public:
  // Uses db's connection from one thread at a time; db must outlive this.
  explicit RoomStore(Database& db);

  // Every stored room (in no particular order), affiliations and registration requests
  // sorted by JID. Throws on a database error.
  std::vector<muc::RoomSnapshot> load_all();
  // Applies every change in one transaction (all or nothing). Throws on a database error.
  void apply(const std::vector<RoomChange>& changes);
  // Replaces every room password stored in clear (rows written before passwords were
  // hashed) by its salted hash, in one transaction; idempotent. Returns how many it hashed.
  int hash_clear_passwords();

 private:
  Database& db_;
};

}  // namespace commonroom::store
