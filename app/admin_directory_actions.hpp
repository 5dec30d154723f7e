// The admin web's directory changes (admin_web::DirectoryActions): "Sync now" runs
// run_directory_sync on a thread of its own, opt-outs go through store::DirectoryStore like
// `commonroom directory opt-out`, whose NOTIFY makes the running search index drop the person.
#pragma once
#include <atomic>
#include <mutex>
#include <thread>

#include "admin-web/directory_actions.hpp"
#include "app/config.hpp"

namespace commonroom::app {

class AdminDirectoryActions : public admin_web::DirectoryActions {
 public:
  explicit AdminDirectoryActions(Config config);
  ~AdminDirectoryActions() override;  // waits for a running sync (it is not interrupted)

  admin_web::DirectoryActionResult start_sync(bool full) override;
  bool sync_running() override;
  admin_web::DirectoryActionResult opt_out(const std::string& uid,
                                           const std::string& note) override;
  admin_web::DirectoryActionResult opt_in(const std::string& uid) override;

 private:
  const Config config_;
  std::mutex mutex_;
  std::thread sync_;
  std::atomic<bool> running_{false};
};

}  // namespace commonroom::app
