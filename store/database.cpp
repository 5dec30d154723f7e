#include "store/database.hpp"

#include <algorithm>
#include <cctype>

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

namespace {

bool is_secret_key(std::string_view key) {
  return key == "password" || key == "sslpassword";
}

// postgresql://[userinfo@]host[:port][/db][?key=value&...]: libpq takes the userinfo up
// to the last '@' before the first '/', so a password may hold '?', ':' or '@' unencoded.
std::string redact_postgres_uri(std::string_view uri, std::size_t authority) {
  std::string out(uri.substr(0, authority));
  std::size_t slash = uri.find('/', authority);
  std::size_t host_end = slash == std::string_view::npos ? uri.size() : slash;
  std::size_t at = uri.rfind('@', host_end == 0 ? 0 : host_end - 1);
  std::size_t rest = authority;
  if (at != std::string_view::npos && at >= authority) {
    std::string_view userinfo = uri.substr(authority, at - authority);
    std::size_t colon = userinfo.find(':');
    out += userinfo.substr(0, colon);
    rest = at;
  }
  std::string_view tail = uri.substr(rest);
  std::size_t query = tail.find('?', at == std::string_view::npos || at < authority ? 0 : 1);
  if (query == std::string_view::npos) return out + std::string(tail);
  out += tail.substr(0, query);
  std::string kept;
  std::string_view params = tail.substr(query + 1);
  while (!params.empty()) {
    std::size_t amp = params.find('&');
    std::string_view param = params.substr(0, amp);
    params = amp == std::string_view::npos ? std::string_view() : params.substr(amp + 1);
    if (is_secret_key(param.substr(0, param.find('=')))) continue;
    if (!param.empty()) kept += (kept.empty() ? "" : "&") + std::string(param);
  }
  if (!kept.empty()) out += "?" + kept;
  return out;
}

// key = value ... with values bare or single-quoted (backslash escapes), as libpq reads them.
std::string redact_keyword_value(std::string_view conninfo) {
  std::string out;
  std::size_t i = 0;
  auto skip_spaces = [&] {
    while (i < conninfo.size() && std::isspace(static_cast<unsigned char>(conninfo[i]))) ++i;
  };
  while (true) {
    skip_spaces();
    if (i >= conninfo.size()) break;
    std::size_t key_start = i;
    while (i < conninfo.size() && conninfo[i] != '=' &&
           !std::isspace(static_cast<unsigned char>(conninfo[i])))
      ++i;
    std::string_view key = conninfo.substr(key_start, i - key_start);
    skip_spaces();
    if (i < conninfo.size() && conninfo[i] == '=') ++i;
    skip_spaces();
    std::size_t value_start = i;
    if (i < conninfo.size() && conninfo[i] == '\'') {
      for (++i; i < conninfo.size() && conninfo[i] != '\''; ++i) {
        if (conninfo[i] == '\\') ++i;
      }
      if (i < conninfo.size()) ++i;
    } else {
      while (i < conninfo.size() && !std::isspace(static_cast<unsigned char>(conninfo[i]))) {
        if (conninfo[i] == '\\') ++i;
        ++i;
      }
    }
    i = std::min(i, conninfo.size());
    if (is_secret_key(key)) continue;
    if (!out.empty()) out += ' ';
    out += std::string(key) + "=" + std::string(conninfo.substr(value_start, i - value_start));
  }
  return out;
}

}  // namespace

std::string redact_uri(std::string_view uri) {
  for (std::string_view scheme : {"postgresql://", "postgres://"}) {
    if (uri.substr(0, scheme.size()) == scheme) return redact_postgres_uri(uri, scheme.size());
  }
  return redact_keyword_value(uri);
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
