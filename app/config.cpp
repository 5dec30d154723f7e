#include "app/config.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>
#include <string_view>

#include "directory/ldap_mapping.hpp"
#include "xmpp/jid.hpp"

namespace commonroom::app {

namespace {

namespace fs = std::filesystem;

// A misplaced binary or a log file given as the config should fail fast, not be scanned.
constexpr std::uintmax_t kMaxConfigBytes = 1024 * 1024;
constexpr std::uintmax_t kMaxSecretBytes = 4096;

const std::vector<std::string> kLoggers = {"app", "link", "muc", "directory", "store", "admin-web"};
// [ldap] attr.<field> keys: which LDAP attribute feeds which directory field.
const std::vector<std::pair<std::string, std::string directory::AttributeMap::*>>&
attribute_fields() {
  using M = directory::AttributeMap;
  static const std::vector<std::pair<std::string, std::string M::*>> fields = {
      {"uid", &M::uid},
      {"cn", &M::cn},
      {"sn", &M::sn},
      {"given_name", &M::given_name},
      {"display_name", &M::display_name},
      {"mail", &M::mail},
      {"title", &M::title},
      {"affiliation", &M::affiliation},
      {"institutions", &M::institutions},
      {"ou", &M::ou},
      {"modify_timestamp", &M::modify_timestamp},
      {"inst_id", &M::inst_id},
      {"inst_name", &M::inst_name},
      {"group_id", &M::group_id},
      {"group_title", &M::group_title},
      {"group_member", &M::group_member},
  };
  return fields;
}

const std::vector<std::string> kLevels = {"fatal",  "critical",    "error", "warning",
                                          "notice", "information", "debug", "trace"};

// Every section and its keys; level.<logger> keys are generated from kLoggers.
const std::vector<std::pair<std::string, std::vector<std::string>>>& schema() {
  static const auto s = [] {
    std::vector<std::pair<std::string, std::vector<std::string>>> v = {
        {"links",
         {"host", "port", "keepalive_seconds", "backoff_initial_ms", "backoff_max_ms",
          "connect_timeout_ms", "handshake_timeout_ms", "max_stanza_bytes", "max_depth"}},
        {"muc", {"domain", "secret", "secret_file", "unlogged_rooms_for_development"}},
        {"directory",
         {"domain", "secret", "secret_file", "max_results", "page_size", "min_chars",
          "allowed_domains", "rate_limit", "rate_burst", "refresh_seconds"}},
        {"database", {"uri"}},
        {"admin-web",
         {"listen", "public_url", "session_idle_minutes", "session_max_hours", "login_link_minutes",
          "raven_url", "raven_keys", "raven_skew_seconds", "raven_description", "proxy_user_header",
          "proxy_addresses", "proxy_secret_header", "proxy_secret_file", "tls_certificate",
          "tls_private_key"}},
        {"logging", {"channel", "file", "level"}},
        {"abuse-log",
         {"journal_dir", "mode", "max_batch_events", "database_timeout_ms", "segment_mb",
          "replay_interval_ms"}},
        {"policy", {"local_domains",       "persistent_creators",  "room_quota",
                    "room_name_pattern",   "room_name_min_length", "room_name_max_length",
                    "reserved_room_names", "reserved_nicks",       "denied_domains",
                    "service_admins",      "max_users_default",    "max_users",
                    "max_rooms",           "max_message_bytes",    "messages_per_minute",
                    "message_burst",       "presences_per_minute", "presence_burst",
                    "max_links",           "retention_days",       "retention_check_hours"}},
        {"ldap",
         {"uri",
          "bind_dn",
          "password_file",
          "starttls",
          "ca_file",
          "people_base",
          "people_filter",
          "institutions_base",
          "institutions_filter",
          "groups_base",
          "groups_filter",
          "jid_template",
          "page_size",
          "network_timeout_seconds",
          "operation_timeout_seconds",
          "full_sync_interval_minutes",
          "incremental_interval_minutes",
          "timestamp_skew_seconds",
          "retry_initial_seconds",
          "retry_max_seconds",
          "max_delete_percent",
          "batch_size",
          "schedule"}},
    };
    for (auto& [name, keys] : v) {
      if (name == "logging")
        for (const auto& logger : kLoggers) keys.push_back("level." + logger);
      if (name == "ldap")
        for (const auto& field : attribute_fields()) keys.push_back("attr." + field.first);
    }
    return v;
  }();
  return s;
}

const std::vector<std::string>* keys_of(const std::string& section) {
  for (const auto& [name, keys] : schema())
    if (name == section) return &keys;
  return nullptr;
}

std::string env_name(const std::string& section, const std::string& key) {
  std::string out = "COMMONROOM_";
  auto append = [&out](const std::string& part) {
    for (char c : part)
      out += (c == '-' || c == '.')
                 ? '_'
                 : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  };
  append(section);
  out += '_';
  append(key);
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

// The closest known name, if it is close enough to be what the user meant: a few typos,
// or one name a prefix of the other ("keepalive" for "keepalive_seconds").
std::optional<std::string> closest(const std::string& wrong,
                                   const std::vector<std::string>& known) {
  const std::string w = lower(wrong);
  std::optional<std::string> best;
  size_t best_distance = SIZE_MAX;
  for (const auto& k : known) {
    size_t d = edit_distance(w, k);
    bool prefix = (w.size() >= 4 && k.starts_with(w)) || (k.size() >= 4 && w.starts_with(k));
    if ((d <= std::max<size_t>(2, k.size() / 3) || prefix) && d < best_distance) {
      best = k;
      best_distance = d;
    }
  }
  return best;
}

std::string trim(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return std::string(s.substr(b, e - b));
}

std::string quote(std::string_view s) {
  return "\"" + std::string(s) + "\"";
}

struct Entry {
  std::string value;
  int line = 0;     // 0 when the value came from the environment
  std::string env;  // the variable that supplied it
};

struct Section {
  int line = 0;
  std::map<std::string, Entry> keys;
};

class Loader {
 public:
  explicit Loader(std::string path) : path_(std::move(path)) {}

  ConfigResult run() {
    ConfigResult result;
    if (read_file()) {
      apply_environment();
      Config config;
      config.path = path_;
      validate(config);
      if (errors_.empty()) result.config = std::move(config);
    }
    // File order first; errors with no line (missing keys, environment) after.
    auto by_line = [](const ConfigError& a, const ConfigError& b) {
      return (a.line == 0 ? INT32_MAX : a.line) < (b.line == 0 ? INT32_MAX : b.line);
    };
    std::stable_sort(errors_.begin(), errors_.end(), by_line);
    std::stable_sort(warnings_.begin(), warnings_.end(), by_line);
    result.errors = std::move(errors_);
    result.warnings = std::move(warnings_);
    return result;
  }

 private:
  void error(const std::string& section, const std::string& key, int line, std::string message,
             const std::string& env = {}) {
    errors_.push_back({path_, section, key, std::move(message), line, env});
  }
  void error(const std::string& section, const std::string& key, const Entry& e,
             std::string message) {
    error(section, key, e.line, std::move(message), e.env);
  }
  void warning(const std::string& section, const std::string& key, const Entry& e,
               std::string message) {
    warnings_.push_back({path_, section, key, std::move(message), e.line, e.env});
  }

  // ---- reading ----------------------------------------------------------------------

  bool read_file() {
    std::error_code ec;
    auto status = fs::status(path_, ec);
    if (status.type() == fs::file_type::not_found || ec) {
      error("", "", 0,
            "cannot read the configuration file: " +
                (status.type() == fs::file_type::not_found ? "no such file" : ec.message()));
      return false;
    }
    if (!fs::is_regular_file(status)) {
      error("", "", 0, "cannot read the configuration file: not a regular file");
      return false;
    }
    if (fs::file_size(path_, ec) > kMaxConfigBytes) {
      error("", "", 0, "the configuration file is larger than 1 MiB; is this the right file?");
      return false;
    }
    std::ifstream in(path_, std::ios::binary);
    if (!in) {
      error("", "", 0, std::string("cannot read the configuration file: ") + std::strerror(errno));
      return false;
    }
    config_mode_ = status.permissions();
    std::ostringstream buffer;
    buffer << in.rdbuf();
    parse(buffer.str());
    return true;
  }

  // Strict INI: "[section]", "key = value", full-line comments (; or #), inline comments
  // after whitespace, optional double quotes around a value (for values containing " ;").
  void parse(const std::string& text) {
    std::istringstream in(text);
    std::string raw;
    int line = 0;
    Section* current = nullptr;
    std::string current_name;
    bool skipping = false;  // inside an unknown or duplicate section: its keys were reported
    while (std::getline(in, raw)) {
      ++line;
      if (!raw.empty() && raw.back() == '\r') raw.pop_back();
      std::string s = trim(raw);
      if (s.empty() || s[0] == ';' || s[0] == '#') continue;
      if (s[0] == '[') {
        auto close = s.find(']');
        std::string rest = close == std::string::npos ? "" : trim(s.substr(close + 1));
        if (close == std::string::npos || !(rest.empty() || rest[0] == ';' || rest[0] == '#')) {
          error("", "", line, "malformed section header " + quote(s) + "; expected [name]");
          current = nullptr;
          skipping = true;
          continue;
        }
        current_name = trim(s.substr(1, close - 1));
        skipping = false;
        if (!keys_of(current_name)) {
          std::vector<std::string> names;
          for (const auto& [name, keys] : schema()) names.push_back(name);
          std::string msg = "unknown section";
          if (auto guess = closest(current_name, names))
            msg += "; did you mean [" + *guess + "]?";
          else {
            msg += " (known sections:";
            for (const auto& n : names) msg += " [" + n + "]";
            msg += ")";
          }
          error(current_name, "", line, msg);
          current = nullptr;
          skipping = true;
          continue;
        }
        auto [it, inserted] = sections_.try_emplace(current_name);
        if (!inserted) {
          error(current_name, "", line,
                "section appears twice (first at line " + std::to_string(it->second.line) +
                    "); merge them");
          current = nullptr;
          skipping = true;
          continue;
        }
        it->second.line = line;
        current = &it->second;
        continue;
      }
      if (skipping) continue;
      auto eq = s.find('=');
      if (eq == std::string::npos) {
        error(current_name, "", line, "expected \"key = value\", got " + quote(s));
        continue;
      }
      std::string key = trim(s.substr(0, eq));
      std::string value;
      if (!parse_value(trim(s.substr(eq + 1)), value)) {
        error(current_name, key, line, "unterminated quoted value");
        continue;
      }
      if (!current) {
        error("", key, line, "key outside any section; put it under a [section] header");
        continue;
      }
      if (key.empty()) {
        error(current_name, "", line, "missing key name before \"=\"");
        continue;
      }
      const auto& known = *keys_of(current_name);
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        error(current_name, key, line, unknown_key_message(current_name, key));
        continue;
      }
      auto [it, inserted] = current->keys.try_emplace(key, Entry{value, line, ""});
      if (!inserted)
        error(current_name, key, line,
              "duplicate key (first set at line " + std::to_string(it->second.line) + ")");
    }
  }

  static bool parse_value(const std::string& s, std::string& out) {
    if (!s.empty() && s[0] == '"') {
      size_t i = 1;
      for (; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\' && i + 1 < s.size()) ++i;
        out += s[i];
      }
      if (i >= s.size()) return false;
      std::string rest = trim(s.substr(i + 1));
      return rest.empty() || rest[0] == ';' || rest[0] == '#';
    }
    // An inline comment starts at ; or # preceded by whitespace, so "a;b" stays a value.
    for (size_t i = 1; i < s.size(); ++i) {
      if ((s[i] == ';' || s[i] == '#') && std::isspace(static_cast<unsigned char>(s[i - 1]))) {
        out = trim(s.substr(0, i));
        return true;
      }
    }
    out = s;
    return true;
  }

  static std::string unknown_key_message(const std::string& section, const std::string& key) {
    const auto& known = *keys_of(section);
    if (section == "logging" && key.starts_with("level.")) {
      std::string logger = key.substr(6);
      std::string msg = "unknown logger " + quote(logger) + " (loggers:";
      for (const auto& l : kLoggers) msg += " " + l;
      msg += ")";
      if (auto guess = closest(logger, kLoggers)) msg += "; did you mean \"level." + *guess + "\"?";
      return msg;
    }
    if (section == "ldap" && key.starts_with("attr.")) {
      std::string field = key.substr(5);
      std::vector<std::string> fields;
      std::string msg = "unknown directory field " + quote(field) + " (fields:";
      for (const auto& f : attribute_fields()) {
        fields.push_back(f.first);
        msg += " " + f.first;
      }
      msg += ")";
      if (auto guess = closest(field, fields)) msg += "; did you mean \"attr." + *guess + "\"?";
      return msg;
    }
    std::string msg = "unknown key";
    if (auto guess = closest(key, known)) return msg + "; did you mean " + quote(*guess) + "?";
    for (const auto& [other, keys] : schema())
      if (other != section && std::find(keys.begin(), keys.end(), key) != keys.end())
        return msg + "; " + quote(key) + " belongs in [" + other + "]";
    msg += " (known keys:";
    for (const auto& k : known)
      if (!k.starts_with("level.") && !k.starts_with("attr.")) msg += " " + k;
    if (section == "logging") msg += " level.<logger>";
    if (section == "ldap") msg += " attr.<field>";
    return msg + ")";
  }

  // COMMONROOM_<SECTION>_<KEY> replaces the file's value; an empty variable counts as unset
  // (container tools often define variables they have no value for).
  void apply_environment() {
    for (const auto& [section, keys] : schema()) {
      for (const auto& key : keys) {
        std::string name = env_name(section, key);
        const char* value = std::getenv(name.c_str());
        if (!value || !*value) continue;
        auto& sec = sections_[section];
        // secret and secret_file are alternatives: overriding one replaces the other if the
        // file set it, so a container can inject a secret without editing the file.
        if (key == "secret" || key == "secret_file") {
          std::string other = key == "secret" ? "secret_file" : "secret";
          auto it = sec.keys.find(other);
          if (it != sec.keys.end() && it->second.env.empty()) sec.keys.erase(it);
        }
        sec.keys[key] = Entry{value, 0, name};
      }
    }
  }

  // ---- validation -------------------------------------------------------------------

  const Entry* find(const std::string& section, const std::string& key) const {
    auto s = sections_.find(section);
    if (s == sections_.end()) return nullptr;
    auto k = s->second.keys.find(key);
    return k == s->second.keys.end() ? nullptr : &k->second;
  }

  std::optional<uint64_t> integer(const std::string& section, const std::string& key, uint64_t min,
                                  uint64_t max) {
    const Entry* e = find(section, key);
    if (!e) return std::nullopt;
    const std::string& v = e->value;
    uint64_t n = 0;
    bool ok = !v.empty() && v.size() <= 19 &&
              std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
    if (ok) n = std::stoull(v);
    if (!ok || n < min || n > max) {
      error(section, key, *e,
            "expected an integer " + std::to_string(min) + "-" + std::to_string(max) + ", got " +
                quote(v));
      return std::nullopt;
    }
    return n;
  }

  void validate(Config& c) {
    validate_host_server(c.host_server);
    c.muc = validate_service("muc");
    c.directory = validate_service("directory");
    validate_directory_search(c.directory_search);
    if (c.muc && c.directory && !c.muc->domain.empty() && c.muc->domain == c.directory->domain) {
      const Entry* e = find("directory", "domain");
      error("directory", "domain", *e,
            "must differ from [muc] domain (both are " + quote(c.muc->domain) +
                "); each service needs its own component domain");
    }
    if (sections_.count("database")) {
      if (const Entry* e = find("database", "uri")) {
        if (!(e->value.starts_with("postgresql://") || e->value.starts_with("postgres://")))
          error("database", "uri", *e,
                "expected a postgresql:// URI, e.g. "
                "postgresql://commonroom@127.0.0.1:5432/commonroom");
        else
          c.database_uri = e->value;
      } else {
        error("database", "uri", sections_["database"].line,
              "missing; [database] needs uri = postgresql://...");
      }
    }
    validate_room_logging(c);
    if (const Entry* e = find("admin-web", "listen")) validate_listen(*e, c);
    validate_sign_in(c.admin_sign_in);
    validate_admin_tls(c);
    validate_logging(c.logging);
    validate_abuse_log(c.abuse_log);
    if (sections_.count("ldap")) c.ldap = validate_ldap();
    validate_policy(c.policy, c.muc);
    if (c.policy.directory_staff_may_persist && (c.database_uri.empty() || !c.directory))
      error("policy", "persistent_creators", *find("policy", "persistent_creators"),
            "directory:staff needs [directory] and [database]: staff are looked up in the "
            "directory's people index");
    validate_retention(c.retention);
  }

  // Rooms tell everyone who enters that they are logged (status 170): that must be true,
  // so rooms need the abuse log, which lives in PostgreSQL. Only an explicit development
  // setting runs rooms without one, and then they say they are not logged (decision 0018).
  void validate_room_logging(Config& c) {
    const Entry* dev = find("muc", "unlogged_rooms_for_development");
    if (dev) {
      if (auto v = boolean("muc", "unlogged_rooms_for_development"))
        c.unlogged_rooms_for_development = *v;
    }
    if (!c.muc) return;
    if (c.unlogged_rooms_for_development && sections_.count("database")) {
      error("muc", "unlogged_rooms_for_development", *dev,
            "rooms are logged whenever [database] is configured; remove this setting");
      return;
    }
    if (c.unlogged_rooms_for_development) {
      warning("muc", "unlogged_rooms_for_development", *dev,
              "rooms are NOT logged (no abuse log, no archive, persistent rooms lost on "
              "restart); they say so to everyone who enters. For development only, never for "
              "real users");
      return;
    }
    if (sections_.count("database")) return;
    error("database", "", 0,
          "missing; the rooms service ([muc]) logs every room for abuse handling and keeps "
          "the log in PostgreSQL, so it does not start without it. Add [database] with "
          "uri = postgresql://... (then run commonroom migrate), or, for development only, "
          "set [muc] unlogged_rooms_for_development = true");
  }

  // A [policy] list: items separated by commas (and, unless `spaces_inside`, by spaces).
  std::optional<std::vector<std::string>> policy_list(const std::string& key, bool spaces_inside) {
    const Entry* e = find("policy", key);
    if (!e) return std::nullopt;
    std::vector<std::string> items;
    std::string list = e->value;
    if (!spaces_inside) std::replace(list.begin(), list.end(), ' ', ',');
    std::istringstream parts(list);
    std::string item;
    while (std::getline(parts, item, ',')) {
      auto first = item.find_first_not_of(" \t");
      if (first == std::string::npos) continue;
      item = item.substr(first, item.find_last_not_of(" \t") - first + 1);
      items.push_back(item);
    }
    return items;
  }

  // Domains or bare JIDs (`jids`: user@domain allowed too), prepared as the engine sees them.
  // `directory_roles`: where "directory:ROLE" items go (persistent_creators), else errors.
  std::optional<std::vector<std::string>> policy_addresses(
      const std::string& key, bool jids, std::vector<std::string>* directory_roles = nullptr) {
    auto items = policy_list(key, false);
    if (!items) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& item : *items) {
      if (directory_roles && item.starts_with("directory:")) {
        directory_roles->push_back(item.substr(10));
        continue;
      }
      std::string why;
      auto jid = xmpp::Jid::try_parse(item, &why);
      if (!jid || jid->has_resource() || (!jids && jid->has_node())) {
        error("policy", key, *find("policy", key),
              std::string("expected ") + (jids ? "bare JIDs or domains" : "domains") +
                  " like cam.example separated by commas, got " + quote(item) +
                  (why.empty() ? "" : " (" + why + ")"));
        return std::nullopt;
      }
      out.emplace_back(jid->bare_str());
    }
    return out;
  }

  void validate_policy(policies::PolicySettings& p, const std::optional<ServiceSettings>& muc) {
    if (auto v = policy_addresses("local_domains", false)) {
      if (v->empty()) {
        error("policy", "local_domains", *find("policy", "local_domains"),
              "is empty; list the domains whose users may create rooms");
      }
      p.local_domains = std::move(*v);
    } else if (muc && !find("policy", "local_domains")) {
      // conference.cam.example serves cam.example's users.
      auto dot = muc->domain.find('.');
      p.local_domains = {dot == std::string::npos ? muc->domain : muc->domain.substr(dot + 1)};
    }
    std::vector<std::string> roles;
    if (auto v = policy_addresses("persistent_creators", true, &roles)) p.persistent_creators = *v;
    for (const auto& role : roles) {
      if (role == "staff") {
        p.directory_staff_may_persist = true;
      } else {
        error("policy", "persistent_creators", *find("policy", "persistent_creators"),
              "unknown directory role " + quote("directory:" + role) +
                  "; the directory names staff only (directory:staff)");
      }
    }
    if (auto v = policy_addresses("denied_domains", false)) p.denied_domains = *v;
    if (auto v = policy_addresses("service_admins", true)) {
      for (const auto& a : *v) {
        if (a.find('@') == std::string::npos) {
          error("policy", "service_admins", *find("policy", "service_admins"),
                "expected bare JIDs like abc123@cam.example, got the domain " + quote(a));
          break;
        }
      }
      p.service_admins = *v;
    }
    if (auto v = integer("policy", "room_quota", 0, 100000)) p.room_quota = *v;
    if (const Entry* e = find("policy", "room_name_pattern")) {
      try {
        std::regex check(e->value, std::regex::ECMAScript);
        p.room_name_pattern = e->value;
      } catch (const std::regex_error& ex) {
        error("policy", "room_name_pattern", *e,
              "is not a valid regular expression: " + quote(e->value) + " (" + ex.what() + ")");
      }
    }
    if (auto v = integer("policy", "room_name_min_length", 1, 1023)) p.room_name_min = *v;
    if (auto v = integer("policy", "room_name_max_length", 1, 1023)) p.room_name_max = *v;
    if (p.room_name_min > p.room_name_max) {
      const Entry* e = find("policy", "room_name_min_length");
      error("policy", "room_name_min_length", e ? e->line : 0,
            "is greater than room_name_max_length (" + std::to_string(p.room_name_min) + " > " +
                std::to_string(p.room_name_max) + ")");
    }
    if (auto v = policy_list("reserved_room_names", false)) {
      p.reserved_room_names.clear();
      for (const auto& n : *v) p.reserved_room_names.push_back(lower(n));
    }
    if (auto v = policy_list("reserved_nicks", true)) p.reserved_nicks = *v;
    if (auto v = integer("policy", "max_users", 1, 1000000)) p.max_users_ceiling = *v;
    if (auto v = integer("policy", "max_users_default", 1, 1000000)) p.max_users_default = *v;
    if (auto v = integer("policy", "max_rooms", 1, 10000000)) p.max_rooms = *v;
    if (auto v = integer("policy", "max_message_bytes", 1, 262144)) p.max_message_bytes = *v;
    if (auto v = integer("policy", "messages_per_minute", 0, 100000)) p.messages_per_minute = *v;
    if (auto v = integer("policy", "message_burst", 1, 100000)) p.message_burst = *v;
    if (auto v = integer("policy", "presences_per_minute", 0, 100000)) p.presences_per_minute = *v;
    if (auto v = integer("policy", "presence_burst", 1, 100000)) p.presence_burst = *v;
    if (auto v = integer("policy", "max_links", 0, 1000)) p.max_links = *v;
    if (p.max_users_default > p.max_users_ceiling) {
      const Entry* e = find("policy", "max_users_default");
      error("policy", "max_users_default", e ? e->line : 0,
            "is greater than max_users (" + std::to_string(p.max_users_default) + " > " +
                std::to_string(p.max_users_ceiling) + ")");
    }
  }

  // [policy] retention_days / retention_check_hours (docs/policies.md). 0 days = never purge.
  // [admin-web] tls_certificate + tls_private_key: HTTPS in the process. Both or neither;
  // each a readable PEM file (whether they match is checked when the server starts).
  void validate_admin_tls(Config& c) {
    const std::string sec = "admin-web";
    const Entry* cert = find(sec, "tls_certificate");
    const Entry* key = find(sec, "tls_private_key");
    if (!cert && !key) return;
    if (!cert || !key) {
      error(sec, cert ? "tls_certificate" : "tls_private_key", cert ? *cert : *key,
            "tls_certificate and tls_private_key go together: give both (PEM files) or neither "
            "(plain HTTP behind a TLS proxy)");
      return;
    }
    auto pem = [&](const char* name, const Entry& e, const char* what) -> std::string {
      const std::string path = resolve(e.value).string();
      std::ifstream in(path);
      std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!in || text.find("-----BEGIN") == std::string::npos) {
        error(sec, name, e,
              std::string("cannot read a PEM ") + what + " from " + quote(path) +
                  " (missing, unreadable, or not PEM)");
        return "";
      }
      return path;
    };
    c.admin_tls_certificate = pem("tls_certificate", *cert, "certificate");
    c.admin_tls_private_key = pem("tls_private_key", *key, "private key");
    if (c.admin_tls_certificate.empty() || c.admin_tls_private_key.empty())
      c.admin_tls_certificate.clear(), c.admin_tls_private_key.clear();
  }

  // [admin-web] sign-in keys (docs/admin-web.md).
  void validate_sign_in(admin_web::SignInSettings& s) {
    const std::string sec = "admin-web";
    if (const Entry* e = find(sec, "public_url")) {
      std::string v = e->value;
      while (v.ends_with('/')) v.pop_back();
      if (!(v.starts_with("https://") || v.starts_with("http://")) ||
          v.find('/', v.find("//") + 2) != std::string::npos)
        error(sec, "public_url", *e,
              "expected the site's address such as https://chat-admin.example.ac.uk (scheme, "
              "host and optional port; no path), got " +
                  quote(e->value));
      else
        s.public_url = v;
    }
    if (auto v = integer(sec, "session_idle_minutes", 1, 24 * 60))
      s.session_idle_seconds = static_cast<int>(*v) * 60;
    if (auto v = integer(sec, "session_max_hours", 1, 24 * 7))
      s.session_max_seconds = static_cast<int>(*v) * 3600;
    if (auto v = integer(sec, "login_link_minutes", 1, 24 * 60))
      s.login_link_seconds = static_cast<int>(*v) * 60;
    if (auto v = integer(sec, "raven_skew_seconds", 1, 3600))
      s.raven_skew_seconds = static_cast<int>(*v);
    if (const Entry* e = find(sec, "raven_description")) s.raven_description = e->value;
    if (const Entry* e = find(sec, "raven_url")) {
      if (!e->value.starts_with("https://") && !e->value.starts_with("http://"))
        error(sec, "raven_url", *e,
              "expected the WLS address, e.g. https://raven.cam.ac.uk/auth/authenticate.html");
      else
        s.raven_wls_url = e->value;
    }
    if (const Entry* e = find(sec, "raven_keys")) {
      // kid=file pairs separated by commas or spaces: 2=/etc/commonroom/raven-pubkey2.pem
      std::istringstream in(e->value);
      std::string item;
      while (in >> item) {
        for (std::string part; !item.empty();) {
          auto comma = item.find(',');
          part = item.substr(0, comma);
          item = comma == std::string::npos ? "" : item.substr(comma + 1);
          if (part.empty()) continue;
          auto eq = part.find('=');
          if (eq == std::string::npos || eq == 0 || eq + 1 == part.size()) {
            error(sec, "raven_keys", *e, "expected kid=file pairs, got " + quote(part));
            continue;
          }
          std::ifstream key(resolve(part.substr(eq + 1)));
          std::string pem((std::istreambuf_iterator<char>(key)), std::istreambuf_iterator<char>());
          if (!key || pem.find("-----BEGIN") == std::string::npos) {
            error(sec, "raven_keys", *e,
                  "cannot read a PEM public key or certificate from " +
                      resolve(part.substr(eq + 1)).string());
            continue;
          }
          s.raven_keys[part.substr(0, eq)] = pem;
        }
      }
    }
    if (!s.raven_wls_url.empty() && !find(sec, "raven_keys"))
      error(sec, "raven_keys", find(sec, "raven_url")->line,
            "raven_url is set but no raven_keys; responses could not be verified");
    if (const Entry* e = find(sec, "proxy_user_header")) s.proxy_user_header = e->value;
    if (const Entry* e = find(sec, "proxy_secret_header")) s.proxy_secret_header = e->value;
    if (const Entry* e = find(sec, "proxy_addresses")) {
      std::string list = e->value;
      std::replace(list.begin(), list.end(), ',', ' ');
      std::istringstream in(list);
      for (std::string a; in >> a;) s.proxy_addresses.push_back(a);
    }
    if (const Entry* e = find(sec, "proxy_secret_file"))
      if (auto v = read_secret_file(sec, *e, "proxy_secret_file")) s.proxy_secret = *v;
    if (!s.proxy_user_header.empty() &&
        (s.proxy_addresses.empty() || s.proxy_secret_header.empty() || s.proxy_secret.empty()))
      error(sec, "proxy_user_header", find(sec, "proxy_user_header")->line,
            "a trusted proxy needs proxy_addresses, proxy_secret_header and proxy_secret_file "
            "too: any local process can reach the admin web's port");
  }

  void validate_retention(RetentionSettings& r) {
    if (auto v = integer("policy", "retention_days", 0, 36500)) r.days = static_cast<int>(*v);
    if (auto v = integer("policy", "retention_check_hours", 1, 8760))
      r.check_interval = std::chrono::hours(*v);
  }

  void validate_abuse_log(AbuseLogSettings& a) {
    // Under systemd with StateDirectory= (deploy/commonroom.service) the default is in
    // /var/lib/commonroom; otherwise beside the configuration file, so that two
    // configurations never share a journal.
    const char* state = std::getenv("STATE_DIRECTORY");
    std::string state_dir = state ? std::string(state).substr(0, std::string(state).find(':')) : "";
    a.journal_dir = state_dir.empty() ? resolve("abuse-log-journal").string()
                                      : (fs::path(state_dir) / "abuse-log-journal").string();
    if (const Entry* e = find("abuse-log", "journal_dir")) {
      if (e->value.empty())
        error("abuse-log", "journal_dir", *e, "is empty; give a directory for the journal");
      else
        a.journal_dir = resolve(e->value).string();
    }
    if (const Entry* e = find("abuse-log", "mode")) {
      if (e->value == "journal-first" || e->value == "database-first")
        a.journal_first = e->value == "journal-first";
      else
        error("abuse-log", "mode", *e,
              "expected database-first or journal-first, got " + quote(e->value));
    }
    if (auto v = integer("abuse-log", "max_batch_events", 1, 100000)) a.max_batch_events = *v;
    if (auto v = integer("abuse-log", "database_timeout_ms", 10, 600000))
      a.database_timeout = std::chrono::milliseconds(*v);
    if (auto v = integer("abuse-log", "segment_mb", 1, 4096)) a.segment_bytes = *v << 20;
    if (auto v = integer("abuse-log", "replay_interval_ms", 0, 60000))
      a.replay_interval = std::chrono::milliseconds(*v);
  }

  void validate_host_server(HostServerSettings& l) {
    if (const Entry* e = find("links", "host")) {
      if (!valid_host(e->value))
        error("links", "host", *e, "expected a host name or IP address, got " + quote(e->value));
      else
        l.host = e->value;
    }
    if (auto v = integer("links", "port", 1, 65535)) l.port = static_cast<uint16_t>(*v);
    if (auto v = integer("links", "keepalive_seconds", 1, 3600))
      l.keepalive = std::chrono::seconds(*v);
    auto initial = integer("links", "backoff_initial_ms", 1, 600000);
    if (initial) l.backoff_initial = std::chrono::milliseconds(*initial);
    auto max = integer("links", "backoff_max_ms", 1, 3600000);
    if (max) l.backoff_max = std::chrono::milliseconds(*max);
    if ((initial || max) && l.backoff_max < l.backoff_initial) {
      const Entry* e = find("links", max ? "backoff_max_ms" : "backoff_initial_ms");
      error("links", max ? "backoff_max_ms" : "backoff_initial_ms", *e,
            "backoff_max_ms (" + std::to_string(l.backoff_max.count()) +
                ") must be at least backoff_initial_ms (" +
                std::to_string(l.backoff_initial.count()) + ")");
    }
    if (auto v = integer("links", "connect_timeout_ms", 100, 600000))
      l.connect_timeout = std::chrono::milliseconds(*v);
    if (auto v = integer("links", "handshake_timeout_ms", 100, 600000))
      l.handshake_timeout = std::chrono::milliseconds(*v);
    // RFC 6120 §13.12: a server must accept stanzas of at least 10000 bytes.
    if (auto v = integer("links", "max_stanza_bytes", 10000, 64 * 1024 * 1024))
      l.limits.max_stanza_bytes = *v;
    if (auto v = integer("links", "max_depth", 8, 1024)) l.limits.max_depth = *v;
  }

  // The XEP-0055 search keys of [directory] (see directory/search_settings.hpp).
  void validate_directory_search(directory::SearchSettings& s) {
    if (auto v = integer("directory", "max_results", 1, 1000)) s.max_results = *v;
    if (auto v = integer("directory", "page_size", 1, 1000)) s.page_size = *v;
    if (auto v = integer("directory", "min_chars", 1, 16)) s.min_chars = *v;
    if (auto v = integer("directory", "rate_limit", 0, 1000000))
      s.rate_limit = static_cast<unsigned>(*v);
    if (auto v = integer("directory", "rate_burst", 1, 100000))
      s.rate_burst = static_cast<unsigned>(*v);
    if (auto v = integer("directory", "refresh_seconds", 1, 86400))
      s.refresh_interval = std::chrono::seconds(*v);
    if (const Entry* e = find("directory", "allowed_domains")) {
      // A list separated by commas and/or spaces: "cam.ac.uk, cam.example".
      std::string list = e->value;
      std::replace(list.begin(), list.end(), ',', ' ');
      std::istringstream words(list);
      std::string domain;
      std::vector<std::string> domains;
      while (words >> domain) {
        std::string why;
        auto jid = xmpp::Jid::try_parse(domain, &why);
        if (!jid || jid->has_node() || jid->has_resource()) {
          error("directory", "allowed_domains", *e,
                "expected domains like cam.example separated by commas, got " + quote(domain) +
                    (why.empty() ? "" : " (" + why + ")"));
          return;
        }
        domains.emplace_back(jid->domain());
      }
      if (domains.empty()) {
        error("directory", "allowed_domains", *e,
              "is empty; remove the key to allow the domain the directory belongs to");
        return;
      }
      s.allowed_domains = std::move(domains);
    }
  }

  static bool valid_host(const std::string& h) {
    if (h.empty() || h.size() > 253) return false;
    unsigned char buf[16];
    if (inet_pton(AF_INET6, h.c_str(), buf) == 1) return true;
    return std::all_of(h.begin(), h.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' || ch == '-' || ch == '_';
    });
  }

  std::optional<ServiceSettings> validate_service(const std::string& section) {
    auto sec = sections_.find(section);
    if (sec == sections_.end()) return std::nullopt;
    ServiceSettings s;
    bool ok = true;
    if (const Entry* e = find(section, "domain")) {
      std::string why;
      auto jid = xmpp::Jid::try_parse(e->value, &why);
      if (!jid) {
        error(section, "domain", *e, "not a valid domain " + quote(e->value) + ": " + why);
        ok = false;
      } else if (jid->has_node() || jid->has_resource()) {
        error(section, "domain", *e,
              "expected a bare domain like " + section + ".cam.example, got " + quote(e->value));
        ok = false;
      } else {
        s.domain = std::string(jid->domain());
      }
    } else {
      error(section, "domain", sec->second.line,
            "missing; [" + section +
                "] needs the component domain (or remove the section to "
                "run without this service)");
      ok = false;
    }
    const Entry* secret = find(section, "secret");
    const Entry* file = find(section, "secret_file");
    if (secret && file) {
      error(section, "secret_file", *file, "set either secret or secret_file, not both");
      ok = false;
    } else if (!secret && !file) {
      error(section, "secret", sec->second.line,
            "missing; set secret or secret_file (the component secret shared with the XMPP "
            "server)");
      ok = false;
    } else if (secret) {
      if (secret->value.empty()) {
        error(section, "secret", *secret, "is empty");
        ok = false;
      } else {
        s.secret = secret->value;
        if (secret->env.empty() && (config_mode_ & fs::perms::others_read) != fs::perms::none)
          warning(section, "secret", *secret,
                  "the configuration file is readable by every user; use secret_file with mode "
                  "0600/0640, or chmod the configuration file");
      }
    } else if (auto value = read_secret_file(section, *file)) {
      s.secret = *value;
    } else {
      ok = false;
    }
    if (!ok) return ServiceSettings{};  // present but invalid; errors make the result empty
    return s;
  }

  fs::path resolve(const std::string& p) const {
    fs::path path(p);
    // Absolute, so a log file opened later does not depend on the working directory.
    if (path.is_relative()) path = fs::absolute(fs::path(path_)).parent_path() / path;
    return path.lexically_normal();
  }

  std::optional<std::string> read_secret_file(const std::string& section, const Entry& e,
                                              const std::string& key = "secret_file") {
    if (e.value.empty()) {
      error(section, key, e, "is empty; give the path of a file holding the secret");
      return std::nullopt;
    }
    fs::path path = resolve(e.value);
    std::error_code ec;
    auto status = fs::status(path, ec);
    if (status.type() == fs::file_type::not_found || ec) {
      error(section, key, e,
            "cannot read " + path.string() + ": " +
                (status.type() == fs::file_type::not_found ? "no such file" : ec.message()));
      return std::nullopt;
    }
    if (!fs::is_regular_file(status)) {
      error(section, key, e, "cannot read " + path.string() + ": not a regular file");
      return std::nullopt;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      error(section, key, e, "cannot read " + path.string() + ": " + std::strerror(errno));
      return std::nullopt;
    }
    std::string content(kMaxSecretBytes + 1, '\0');
    in.read(content.data(), static_cast<std::streamsize>(content.size()));
    content.resize(static_cast<size_t>(in.gcount()));
    if (content.size() > kMaxSecretBytes) {
      error(section, key, e, path.string() + " is larger than 4 KiB; is this the right file?");
      return std::nullopt;
    }
    // Editors and `echo secret > file` add a final newline that is not part of the secret.
    while (!content.empty() && (content.back() == '\n' || content.back() == '\r'))
      content.pop_back();
    if (content.empty()) {
      error(section, key, e, path.string() + " is empty");
      return std::nullopt;
    }
    if (content.find_first_of("\r\n") != std::string::npos) {
      error(section, key, e,
            path.string() + " has more than one line; it must hold only the secret");
      return std::nullopt;
    }
    if ((status.permissions() & fs::perms::others_read) != fs::perms::none)
      warning(section, key, e,
              path.string() + " is readable by every user; chmod 600 (or 640 with a group)");
    return content;
  }

  void validate_listen(const Entry& e, Config& c) {
    const std::string& v = e.value;
    std::string host, port;
    auto fail = [&](const std::string& why) {
      error("admin-web", "listen", e,
            "expected host:port such as 127.0.0.1:8480 or [::1]:8480, got " + quote(v) + why);
    };
    if (!v.empty() && v[0] == '[') {
      auto close = v.find(']');
      if (close == std::string::npos || close + 1 >= v.size() || v[close + 1] != ':')
        return fail("");
      host = v.substr(1, close - 1);
      port = v.substr(close + 2);
      unsigned char buf[16];
      if (inet_pton(AF_INET6, host.c_str(), buf) != 1) return fail(" (not an IPv6 address)");
    } else {
      auto colon = v.rfind(':');
      if (colon == std::string::npos) return fail(" (no port)");
      host = v.substr(0, colon);
      port = v.substr(colon + 1);
      if (host.find(':') != std::string::npos) return fail(" (put an IPv6 address in brackets)");
      if (!valid_host(host)) return fail("");
    }
    // Port 0 asks the kernel for a free port (logged at start); useful for tests.
    bool digits =
        !port.empty() && port.size() <= 5 &&
        std::all_of(port.begin(), port.end(), [](char ch) { return ch >= '0' && ch <= '9'; });
    if (!digits || std::stoul(port) > 65535) return fail(" (port must be 0-65535)");
    c.admin_host = host;
    c.admin_port = static_cast<uint16_t>(std::stoul(port));
  }

  void validate_level(const std::string& key, std::string& out) {
    const Entry* e = find("logging", key);
    if (!e) return;
    if (std::find(kLevels.begin(), kLevels.end(), e->value) == kLevels.end()) {
      std::string msg =
          "expected one of fatal critical error warning notice information debug "
          "trace, got " +
          quote(e->value);
      if (auto guess = closest(e->value, kLevels)) msg += "; did you mean " + quote(*guess) + "?";
      error("logging", key, *e, msg);
      return;
    }
    out = e->value;
  }

  void validate_logging(LoggingSettings& l) {
    if (const Entry* e = find("logging", "channel")) {
      if (e->value != "console" && e->value != "file")
        error("logging", "channel", *e, "expected console or file, got " + quote(e->value));
      else
        l.channel = e->value;
    }
    const Entry* file = find("logging", "file");
    if (l.channel == "file") {
      if (!file || file->value.empty()) {
        const Entry* ch = find("logging", "channel");
        error("logging", "file", *ch, "required with channel = file");
      } else {
        fs::path path = resolve(file->value);
        std::error_code ec;
        fs::path dir = path.parent_path();
        if (!fs::is_directory(dir, ec))
          error("logging", "file", *file, "directory " + dir.string() + " does not exist");
        else
          l.file = path.string();
      }
    } else if (file) {
      warning("logging", "file", *file, "ignored because channel is not file");
    }
    validate_level("level", l.level);
    for (const auto& logger : kLoggers) {
      std::string level;
      validate_level("level." + logger, level);
      if (!level.empty()) l.levels[logger] = level;
    }
  }

  // ---- [ldap] -----------------------------------------------------------------------

  std::optional<bool> boolean(const std::string& section, const std::string& key) {
    const Entry* e = find(section, key);
    if (!e) return std::nullopt;
    const std::string v = lower(e->value);
    if (v == "true" || v == "yes" || v == "on") return true;
    if (v == "false" || v == "no" || v == "off") return false;
    error(section, key, *e, "expected true or false, got " + quote(e->value));
    return std::nullopt;
  }

  // A search filter must at least have balanced parentheses; the server judges the rest
  // (and its error names the filter).
  void validate_filter(const std::string& key, std::string& out) {
    const Entry* e = find("ldap", key);
    if (!e) return;
    const std::string f = directory::parenthesize_filter(e->value);
    int depth = 0;
    bool ok = f.size() > 2;
    for (size_t i = 0; i < f.size() && ok; ++i) {
      if (f[i] == '\\') {
        ++i;  // an escaped character (\28 is written as \ 2 8: the digits are harmless)
        continue;
      }
      if (f[i] == '(') ++depth;
      if (f[i] == ')' && --depth < 0) ok = false;
      if (depth == 0 && i + 1 < f.size()) ok = false;  // text after the outer filter
    }
    if (!ok || depth != 0) {
      error("ldap", key, *e,
            "expected an LDAP filter such as (uid=*) with balanced parentheses, got " +
                quote(e->value));
      return;
    }
    out = f;
  }

  void validate_base(const std::string& key, std::string& out) {
    const Entry* e = find("ldap", key);
    if (!e) return;
    if (e->value.find('=') == std::string::npos) {
      error("ldap", key, *e,
            "expected a DN such as ou=people,o=University of Cambridge,dc=cam,dc=ac,dc=uk, got " +
                quote(e->value));
      return;
    }
    out = e->value;
  }

  static bool valid_attribute_name(const std::string& a) {
    // RFC 4512 descr (letter, then letters, digits, hyphens) or a numeric OID, with
    // optional ;options.
    if (a.empty() || a.size() > 128) return false;
    const auto base = a.substr(0, a.find(';'));
    if (base.empty()) return false;
    if (std::isdigit(static_cast<unsigned char>(base[0])))
      return std::all_of(base.begin(), base.end(), [](char ch) {
        return std::isdigit(static_cast<unsigned char>(ch)) || ch == '.';
      });
    return std::isalpha(static_cast<unsigned char>(base[0])) &&
           std::all_of(a.begin(), a.end(), [](char ch) {
             return std::isalnum(static_cast<unsigned char>(ch)) || ch == '-' || ch == ';';
           });
  }

  std::optional<directory::LdapSettings> validate_ldap() {
    directory::LdapSettings l;
    const size_t errors_before = errors_.size();
    if (const Entry* e = find("ldap", "uri")) {
      bool ok = !e->value.empty();
      std::istringstream words(e->value);
      std::string u;
      bool any_ldaps = false, any_plain = false;
      while (words >> u) {
        const std::string lu = lower(u);
        if (lu.starts_with("ldaps://"))
          any_ldaps = true;
        else if (lu.starts_with("ldap://") || lu.starts_with("ldapi://"))
          any_plain = true;
        else
          ok = false;
      }
      if (!ok) {
        error(
            "ldap", "uri", *e,
            "expected ldap://host[:port], ldaps://host[:port] or ldapi://, got " + quote(e->value));
      } else {
        l.uri = e->value;
        if (any_ldaps && any_plain)
          error("ldap", "uri", *e, "mixes ldaps:// with ldap://; use one kind");
      }
    }
    if (auto v = boolean("ldap", "starttls")) {
      l.starttls = *v;
      if (l.starttls && lower(l.uri).starts_with("ldaps://"))
        error("ldap", "starttls", *find("ldap", "starttls"),
              "StartTLS is for ldap:// URIs; ldaps:// is encrypted from the start");
    }
    if (const Entry* e = find("ldap", "ca_file")) {
      fs::path path = resolve(e->value);
      std::error_code ec;
      if (e->value.empty() || !fs::is_regular_file(path, ec) || !std::ifstream(path))
        error("ldap", "ca_file", *e, "cannot read CA file " + path.string());
      else
        l.ca_file = path.string();
    }
    const Entry* dn = find("ldap", "bind_dn");
    const Entry* pw = find("ldap", "password_file");
    if (dn && !dn->value.empty()) {
      l.bind_dn = dn->value;
      if (!pw) {
        error("ldap", "password_file", *dn,
              "missing; bind_dn needs password_file (or remove bind_dn to bind anonymously)");
      } else if (auto secret = read_secret_file("ldap", *pw, "password_file")) {
        l.password = *secret;
        l.password_file = resolve(pw->value).string();
      }
    } else if (pw) {
      error("ldap", "password_file", *pw,
            "set without bind_dn; anonymous binds use no password (add bind_dn or remove this)");
    }
    validate_base("people_base", l.people_base);
    validate_base("institutions_base", l.institutions_base);
    validate_base("groups_base", l.groups_base);
    validate_filter("people_filter", l.people_filter);
    validate_filter("institutions_filter", l.institutions_filter);
    validate_filter("groups_filter", l.groups_filter);
    if (const Entry* e = find("ldap", "jid_template")) {
      if (auto why = directory::check_jid_template(e->value))
        error("ldap", "jid_template", *e, *why + ", got " + quote(e->value));
      else
        l.jid_template = e->value;
    }
    if (auto v = integer("ldap", "page_size", 1, 100000)) l.page_size = static_cast<int>(*v);
    if (auto v = integer("ldap", "network_timeout_seconds", 1, 600))
      l.network_timeout = std::chrono::seconds(*v);
    if (auto v = integer("ldap", "operation_timeout_seconds", 1, 3600))
      l.operation_timeout = std::chrono::seconds(*v);
    if (auto v = integer("ldap", "full_sync_interval_minutes", 1, 60 * 24 * 31))
      l.full_sync_interval = std::chrono::minutes(*v);
    // 0 switches incremental syncs off (full syncs only).
    if (auto v = integer("ldap", "incremental_interval_minutes", 0, 60 * 24 * 31))
      l.incremental_interval = std::chrono::minutes(*v);
    if (auto v = integer("ldap", "timestamp_skew_seconds", 0, 86400))
      l.timestamp_skew = std::chrono::seconds(*v);
    auto retry_initial = integer("ldap", "retry_initial_seconds", 1, 86400);
    if (retry_initial) l.retry_initial = std::chrono::seconds(*retry_initial);
    auto retry_max = integer("ldap", "retry_max_seconds", 1, 7 * 86400);
    if (retry_max) l.retry_max = std::chrono::seconds(*retry_max);
    if ((retry_initial || retry_max) && l.retry_max < l.retry_initial) {
      const std::string key = retry_max ? "retry_max_seconds" : "retry_initial_seconds";
      error("ldap", key, *find("ldap", key),
            "retry_max_seconds (" + std::to_string(l.retry_max.count()) +
                ") must be at least retry_initial_seconds (" +
                std::to_string(l.retry_initial.count()) + ")");
    }
    if (auto v = integer("ldap", "max_delete_percent", 0, 100))
      l.max_delete_percent = static_cast<int>(*v);
    if (auto v = integer("ldap", "batch_size", 1, 100000)) l.batch_size = *v;
    if (auto v = boolean("ldap", "schedule")) l.scheduled = *v;
    for (const auto& [field, member] : attribute_fields()) {
      const Entry* e = find("ldap", "attr." + field);
      if (!e) continue;
      if (!valid_attribute_name(e->value))
        error("ldap", "attr." + field, *e,
              "expected an LDAP attribute name such as displayName, got " + quote(e->value));
      else
        l.attributes.*member = e->value;
    }
    if (errors_.size() != errors_before) return directory::LdapSettings{};
    return l;
  }

  std::string path_;
  std::map<std::string, Section> sections_;
  fs::perms config_mode_ = fs::perms::none;
  std::vector<ConfigError> errors_;
  std::vector<ConfigError> warnings_;
};

}  // namespace

std::string ConfigError::to_string() const {
  std::string out = file;
  if (line > 0) out += ":" + std::to_string(line);
  out += ": ";
  if (!section.empty() || !key.empty()) {
    if (!section.empty()) out += "[" + section + "]";
    if (!key.empty()) out += (section.empty() ? "" : " ") + key;
    if (!env.empty()) out += " (from " + env + ")";
    out += ": ";
  }
  return out + message;
}

ConfigResult load_config(const std::string& path) {
  return Loader(path).run();
}

const std::vector<std::string>& known_loggers() {
  return kLoggers;
}

std::vector<std::pair<std::string, std::string>> known_keys() {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [section, keys] : schema())
    for (const auto& key : keys) out.emplace_back(section, key);
  return out;
}

}  // namespace commonroom::app
