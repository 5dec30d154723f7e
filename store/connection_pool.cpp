#include "store/connection_pool.hpp"

#include <pqxx/pqxx>

namespace commonroom::store {

ConnectionPool::Lease::Lease(ConnectionPool& pool) : pool_(pool) {
  {
    std::lock_guard lock(pool_.mutex_);
    if (!pool_.idle_.empty()) {
      db_ = std::move(pool_.idle_.back());
      pool_.idle_.pop_back();
    }
  }
  if (!db_) db_ = std::make_unique<Database>(pool_.uri_);
}

ConnectionPool::Lease::~Lease() {
  if (!db_->connection().is_open()) return;
  std::lock_guard lock(pool_.mutex_);
  pool_.idle_.push_back(std::move(db_));
}

pqxx::connection_base& ConnectionPool::Lease::c() {
  return db_->connection();
}

}  // namespace commonroom::store
