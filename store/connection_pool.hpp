#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace pqxx {
class connection_base;
}

namespace commonroom::store {

// Connections for short calls made from several threads (the admin web's request threads):
// a call leases one, and a connection that broke during the call is dropped rather than
// returned, so the next call opens a fresh one.
class ConnectionPool {
 public:
  explicit ConnectionPool(std::string uri) : uri_(std::move(uri)) {}

  class Lease {
   public:
    explicit Lease(ConnectionPool& pool);
    ~Lease();
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    pqxx::connection_base& c();

   private:
    ConnectionPool& pool_;
    std::unique_ptr<Database> db_;
  };

 private:
  std::string uri_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Database>> idle_;
};

}  // namespace commonroom::store
