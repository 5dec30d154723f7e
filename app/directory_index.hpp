// Keeps the directory search's people index current: loads it from PostgreSQL at start and
// again whenever the directory changes. A sync that changed something and every opt-out
// bump the directory's data version and NOTIFY commonroom_directory: the refresher LISTENs,
// drops an opted-out person from the index at once (the notification names them), and
// reloads the whole directory on a thread of its own, which takes milliseconds at a few
// thousand people and seconds at 200,000. It also checks the version every interval in
// case a notification was missed.
#pragma once
#include <chrono>
#include <memory>
#include <string>

#include "directory/directory_search.hpp"

namespace commonroom::app {

class DirectoryIndexRefresher {
 public:
  // Checks the version at least every `interval`; `holder` must outlive this object.
  DirectoryIndexRefresher(std::string database_uri, directory::PeopleIndexHolder& holder,
                          std::chrono::seconds interval);
  ~DirectoryIndexRefresher();  // stops and joins
  DirectoryIndexRefresher(const DirectoryIndexRefresher&) = delete;
  DirectoryIndexRefresher& operator=(const DirectoryIndexRefresher&) = delete;

  void start();
  void stop();  // idempotent; returns within a fraction of a second (after a load in progress)

  struct State;  // commands.cpp never sees libpqxx

 private:
  std::unique_ptr<State> state_;
};

}  // namespace commonroom::app
