// Applies schema/NNNN_name.sql files in order, each once, recorded in schema_migrations.
#pragma once
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "store/database.hpp"

namespace commonroom::store {

// A problem with the migration files or the recorded history (not a connection problem).
class MigrationError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Migration {
  int version = 0;
  std::string name;       // "foundation" for 0001_foundation.sql
  std::string file_name;  // "0001_foundation.sql"
  std::string sql;
};

// Reads every *.sql in dir (other files are ignored). Throws MigrationError for a file not
// named NNNN_name.sql (lowercase name), a duplicate number, a missing 0001, or an empty
// directory. Numbers may skip (0008, 0010): apply_migrations refuses to apply a file
// numbered below the highest one already applied.
std::vector<Migration> load_migrations(const std::filesystem::path& dir);

struct MigrationReport {
  std::vector<std::string> applied;  // file names, in order
  int version = 0;                   // the schema version afterwards
};

// Under a PostgreSQL advisory lock (so two instances never migrate at once): checks that
// every applied migration still has its recorded checksum and that the database has no
// version unknown to these files, then applies each pending migration in its own
// transaction together with its schema_migrations row. on_applied is called after each
// commit. Throws MigrationError (history or SQL problem) or DatabaseError (connection).
MigrationReport apply_migrations(Database& db, const std::vector<Migration>& migrations,
                                 const std::function<void(const Migration&)>& on_applied = {});

}  // namespace commonroom::store
