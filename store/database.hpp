// One PostgreSQL connection opened from a URI, with errors that say where and why.
#pragma once
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

namespace pqxx {
class connection_base;
}

namespace commonroom::store {

// Any database failure the caller should report to the user; the message never contains
// a password.
class DatabaseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The URI with any password removed (user:secret@ -> user@, password=... dropped), for
// messages and logs.
std::string redact_uri(std::string_view uri);

class Database {
 public:
  // Connects (10 s timeout unless the URI sets connect_timeout); throws DatabaseError
  // "cannot connect to PostgreSQL at <redacted uri>: <reason>".
  explicit Database(const std::string& uri);
  ~Database();
  Database(const Database&) = delete;
  Database& operator=(const Database&) = delete;

  pqxx::connection_base& connection();
  const std::string& redacted_uri() const { return redacted_; }

 private:
  struct Impl;  // holds the pqxx::connection (an alias that cannot be forward-declared)
  std::string redacted_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace commonroom::store
