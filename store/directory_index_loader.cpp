#include "store/directory_index_loader.hpp"

#include "store/directory_store.hpp"

namespace commonroom::store {

std::int64_t directory_version(Database& db) {
  return DirectoryStore(db).data_version();
}

LoadedDirectory load_directory_index(Database& db) {
  using Clock = std::chrono::steady_clock;
  DirectoryStore store(db);
  LoadedDirectory out;
  out.version = store.data_version();
  auto t0 = Clock::now();
  std::vector<directory::Person> people = store.load_people();
  std::vector<directory::Institution> institutions = store.load_institutions();
  auto t1 = Clock::now();
  out.index = directory::PeopleIndex::build(people, institutions);
  auto t2 = Clock::now();
  out.read_time = std::chrono::duration_cast<std::chrono::milliseconds>(t1 - t0);
  out.build_time = std::chrono::duration_cast<std::chrono::milliseconds>(t2 - t1);
  return out;
}

}  // namespace commonroom::store
