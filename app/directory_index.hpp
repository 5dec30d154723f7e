// Keeps the directory search's people index current: loads it from PostgreSQL at start and
// again whenever the directory changes (a sync or an opt-out bumps its data version).
#pragma once
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "directory/directory_search.hpp"

namespace commonroom::app {

class DirectoryIndexRefresher {
 public:
  // Checks the version every `interval`; `holder` must outlive this object.
  DirectoryIndexRefresher(std::string database_uri, directory::PeopleIndexHolder& holder,
                          std::chrono::seconds interval);
  ~DirectoryIndexRefresher();  // stops and joins
  DirectoryIndexRefresher(const DirectoryIndexRefresher&) = delete;
  DirectoryIndexRefresher& operator=(const DirectoryIndexRefresher&) = delete;

  void start();
  void stop();

 private:
  void loop();
  void check();

  std::string uri_;
  directory::PeopleIndexHolder& holder_;
  std::chrono::seconds interval_;
  std::optional<std::int64_t> loaded_version_;
  std::string last_error_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace commonroom::app
