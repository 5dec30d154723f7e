// Loads who belongs to which institution and group from the directory tables, for rooms
// linked to them (muc::LinkDirectory), at start and whenever the directory changed.
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>

#include "muc/link_directory.hpp"

namespace pqxx {
class connection_base;
}

namespace commonroom::store {

struct LoadedLinks {
  std::int64_t version = 0;  // directory_state.version the memberships were read at
  std::shared_ptr<const muc::LinkDirectory> directory;
  std::chrono::milliseconds read_time{0};   // the SELECT
  std::chrono::milliseconds build_time{0};  // preparing JIDs, sorting, packing
};

// Every institution ("inst:<instID>": the people whose instID values include it) and group
// ("group:<groupID>": its members that are stored people), with the members' JIDs from
// directory_people. Opted-out people are not stored, so they are in nothing. One snapshot
// (repeatable read), so the version matches the data. Throws pqxx / std exceptions.
LoadedLinks load_link_directory(pqxx::connection_base& connection);

}  // namespace commonroom::store
