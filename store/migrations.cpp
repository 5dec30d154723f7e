#include "store/migrations.hpp"

#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <pqxx/pqxx>

namespace commonroom::store {

namespace {

namespace fs = std::filesystem;

// Any constant works as long as nothing else in the database uses it: "commonro" in ASCII.
constexpr long long kMigrationLockKey = 0x636f6d6d6f6e726fLL;

std::string four_digits(int version) {
  std::string s = std::to_string(version);
  return std::string(s.size() < 4 ? 4 - s.size() : 0, '0') + s;
}

std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) out += (c == '\n' || c == '\r' || c == '\t') ? ' ' : c;
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

// Each transaction takes the lock itself: pg_advisory_xact_lock is released at commit, and
// a second instance waiting on it re-reads what the first one applied.
void begin(pqxx::work& tx) {
  tx.exec0("SET LOCAL client_min_messages = warning");  // no "already exists, skipping" notices
  tx.exec_params("SELECT pg_advisory_xact_lock($1)", kMigrationLockKey);
}

std::string checksum(pqxx::work& tx, const std::string& sql) {
  return tx.exec_params1("SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')", sql)[0]
      .as<std::string>();
}

MigrationReport apply(pqxx::connection_base& connection, const std::vector<Migration>& migrations,
                      const std::function<void(const Migration&)>& on_applied) {
  MigrationReport report;
  {
    pqxx::work tx(connection, "check migrations");
    begin(tx);
    tx.exec0(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        " version integer PRIMARY KEY,"
        " name text NOT NULL,"
        " applied_at timestamptz NOT NULL DEFAULT now(),"
        " checksum text NOT NULL)");
    std::map<int, const Migration*> by_version;
    for (const auto& m : migrations) by_version[m.version] = &m;
    for (const auto& row :
         tx.exec("SELECT version, name, checksum FROM schema_migrations ORDER BY version")) {
      const int version = row[0].as<int>();
      const std::string name = row[1].as<std::string>();
      auto it = by_version.find(version);
      if (it == by_version.end())
        throw MigrationError("the database has migration " + four_digits(version) + "_" + name +
                             ", which is not among these migration files; is this an older "
                             "commonroom, or the wrong --schema directory?");
      const Migration& m = *it->second;
      if (m.name != name)
        throw MigrationError("migration " + four_digits(version) + " was applied as \"" + name +
                             "\" but the file is now " + m.file_name +
                             "; applied migrations must not be renamed");
      const std::string recorded = row[2].as<std::string>();
      const std::string now = checksum(tx, m.sql);
      if (recorded != now)
        throw MigrationError("migration " + m.file_name +
                             " was changed after it was applied (recorded checksum " +
                             recorded.substr(0, 12) + ", file now " + now.substr(0, 12) +
                             "); restore the file and put the change in a new migration");
      report.version = std::max(report.version, version);
    }
    for (const auto& m : migrations) {
      if (m.version < report.version &&
          tx.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", m.version).empty())
        throw MigrationError("migration " + m.file_name + " is not applied but " +
                             four_digits(report.version) +
                             " already is; migrations must be applied in order, so renumber " +
                             m.file_name + " above " + four_digits(report.version));
    }
    tx.commit();
  }
  for (const auto& m : migrations) {
    pqxx::work tx(connection, "migrate");
    begin(tx);
    // Another instance may have applied it while we waited for the lock.
    if (!tx.exec_params("SELECT 1 FROM schema_migrations WHERE version = $1", m.version).empty()) {
      tx.commit();
      report.version = std::max(report.version, m.version);
      continue;
    }
    try {
      tx.exec(m.sql, m.file_name);
    } catch (const pqxx::sql_error& e) {
      throw MigrationError("migration " + m.file_name +
                           " failed, nothing from it was applied: " + one_line(e.what()));
    }
    tx.exec_params0("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    m.version, m.name, checksum(tx, m.sql));
    tx.commit();
    report.applied.push_back(m.file_name);
    report.version = m.version;
    if (on_applied) on_applied(m);
  }
  return report;
}

}  // namespace

std::vector<Migration> load_migrations(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw MigrationError("migration directory " + dir.string() + " does not exist");
  static const std::regex pattern(R"(([0-9]{4})_([a-z0-9_]+)\.sql)");
  std::vector<Migration> out;
  for (const auto& entry : fs::directory_iterator(dir)) {
    const std::string file = entry.path().filename().string();
    if (entry.path().extension() != ".sql") continue;
    std::smatch match;
    if (!std::regex_match(file, match, pattern))
      throw MigrationError(dir.string() + "/" + file +
                           ": migration files must be named NNNN_name.sql (lowercase name)");
    Migration m;
    m.version = std::stoi(match[1]);
    m.name = match[2];
    m.file_name = file;
    std::ifstream in(entry.path(), std::ios::binary);
    if (!in) throw MigrationError("cannot read " + entry.path().string());
    std::ostringstream text;
    text << in.rdbuf();
    m.sql = text.str();
    out.push_back(std::move(m));
  }
  if (out.empty()) throw MigrationError("no migrations (NNNN_name.sql) in " + dir.string());
  std::sort(out.begin(), out.end(),
            [](const Migration& a, const Migration& b) { return a.version < b.version; });
  // Numbers may skip (branches reserve theirs: 0010 can be merged before 0008), but 0001
  // must be there and no number twice; apply() refuses to run a file numbered below one
  // already applied, so a late-merged number never runs out of order on a live database.
  if (out.front().version != 1)
    throw MigrationError("migration 0001 is missing in " + dir.string() + " (found " +
                         out.front().file_name + ")");
  for (size_t i = 1; i < out.size(); ++i) {
    if (out[i].version == out[i - 1].version)
      throw MigrationError("two migrations are numbered " + four_digits(out[i].version) + ": " +
                           out[i - 1].file_name + " and " + out[i].file_name);
  }
  return out;
}

MigrationReport apply_migrations(Database& db, const std::vector<Migration>& migrations,
                                 const std::function<void(const Migration&)>& on_applied) {
  try {
    return apply(db.connection(), migrations, on_applied);
  } catch (const pqxx::broken_connection& e) {
    throw DatabaseError("lost the connection to PostgreSQL at " + db.redacted_uri() + ": " +
                        one_line(e.what()));
  } catch (const pqxx::failure& e) {
    throw DatabaseError("PostgreSQL at " + db.redacted_uri() + ": " + one_line(e.what()));
  }
}

}  // namespace commonroom::store
