#include "store/database.hpp"

#include <pqxx/pqxx>

namespace commonroom::store {

namespace {

// libpq messages span lines ("...failed: Connection refused\n\tIs the server running...");
// one line reads better in a log and a terminal.
std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (char c : text) {
    if (c == '\n' || c == '\r' || c == '\t' || c == ' ') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
  }
  return out;
}

std::string with_connect_timeout(const std::string& uri) {
  if (uri.find("connect_timeout=") != std::string::npos) return uri;
  return uri + (uri.find('?') == std::string::npos ? "?" : "&") + "connect_timeout=10";
}

}  // namespace

std::string redact_uri(std::string_view uri) {
  std::string out(uri);
  auto scheme = out.find("://");
  if (scheme != std::string::npos) {
    auto authority = scheme + 3;
    auto end = out.find_first_of("/?", authority);
    if (end == std::string::npos) end = out.size();
    auto at = out.rfind('@', end);
    if (at != std::string::npos && at >= authority) {
      auto colon = out.find(':', authority);
      if (colon != std::string::npos && colon < at) out.erase(colon, at - colon);
    }
  }
  // password=... as a URI query parameter or a keyword=value pair.
  for (auto pos = out.find("password="); pos != std::string::npos; pos = out.find("password=")) {
    auto end = out.find_first_of("& ", pos);
    size_t start = pos;
    if (start > 0 && (out[start - 1] == '&' || out[start - 1] == ' '))
      --start;
    else if (end != std::string::npos)
      ++end;  // first parameter: drop the separator after it
    out.erase(start, (end == std::string::npos ? out.size() : end) - start);
  }
  if (!out.empty() && out.back() == '?') out.pop_back();
  return out;
}

struct Database::Impl {
  explicit Impl(const std::string& uri) : connection(uri) {}
  pqxx::connection connection;
};

Database::Database(const std::string& uri) : redacted_(redact_uri(uri)) {
  try {
    impl_ = std::make_unique<Impl>(with_connect_timeout(uri));
  } catch (const std::exception& e) {
    throw DatabaseError("cannot connect to PostgreSQL at " + redacted_ + ": " + one_line(e.what()));
  }
}

Database::~Database() = default;

pqxx::connection_base& Database::connection() {
  return impl_->connection;
}

}  // namespace commonroom::store
