// Loads the directory's people from PostgreSQL into a search index (at start and whenever
// a sync or an opt-out changed the directory).
#pragma once
#include <chrono>
#include <cstdint>
#include <memory>

#include "directory/people_index.hpp"
#include "store/database.hpp"

namespace commonroom::store {

struct LoadedDirectory {
  std::int64_t version = 0;  // directory_state.version the people were read at (or later)
  std::shared_ptr<const directory::PeopleIndex> index;
  std::chrono::milliseconds read_time{0};   // SELECTs
  std::chrono::milliseconds build_time{0};  // index build
};

// The directory's data version (bumped by every change); cheap, for polling.
std::int64_t directory_version(Database& db);

// Reads every stored person (opted-out people are never stored) and the institutions and
// builds the index. The version is read first, so a change during the load shows up as a
// newer version on the next poll rather than being missed. Throws DatabaseError.
LoadedDirectory load_directory_index(Database& db);

}  // namespace commonroom::store
