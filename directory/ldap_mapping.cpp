#include "directory/ldap_mapping.hpp"

#include <algorithm>
#include <cstdio>
#include <ctime>

namespace commonroom::directory {

namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

char lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (lower(a[i]) != lower(b[i])) return false;
  return true;
}

void append_utf8(std::string& out, char32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

// Decodes one UTF-8 sequence at s[i]; returns the code point and advances i, or returns
// U+FFFD and skips one byte when the sequence is invalid (overlong, surrogate, truncated).
char32_t decode_one(std::string_view s, size_t& i) {
  const auto b0 = static_cast<unsigned char>(s[i]);
  if (b0 < 0x80) {
    ++i;
    return b0;
  }
  int len = 0;
  char32_t cp = 0;
  char32_t min = 0;
  if ((b0 & 0xE0) == 0xC0) {
    len = 2, cp = b0 & 0x1F, min = 0x80;
  } else if ((b0 & 0xF0) == 0xE0) {
    len = 3, cp = b0 & 0x0F, min = 0x800;
  } else if ((b0 & 0xF8) == 0xF0) {
    len = 4, cp = b0 & 0x07, min = 0x10000;
  } else {
    ++i;
    return 0xFFFD;
  }
  if (i + len > s.size()) {
    ++i;
    return 0xFFFD;
  }
  for (int k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) {
      ++i;
      return 0xFFFD;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++i;
    return 0xFFFD;
  }
  i += len;
  return cp;
}

std::vector<std::string> cleaned_values(const LdapEntry& entry, std::string_view attr,
                                        size_t max_values = 64) {
  std::vector<std::string> out;
  if (attr.empty()) return out;
  const auto* vals = entry.values(attr);
  if (!vals) return out;
  for (const auto& v : *vals) {
    if (out.size() >= max_values) break;
    std::string c = clean_text(v);
    if (c.empty() || std::find(out.begin(), out.end(), c) != out.end()) continue;
    out.push_back(std::move(c));
  }
  return out;
}

std::string first_clean(const LdapEntry& entry, std::string_view attr) {
  if (attr.empty()) return {};
  const auto* vals = entry.values(attr);
  if (!vals) return {};
  for (const auto& v : *vals) {
    std::string c = clean_text(v);
    if (!c.empty()) return c;
  }
  return {};
}

void add_attr(std::vector<std::string>& list, const std::string& name) {
  if (name.empty()) return;
  for (const auto& a : list)
    if (iequals(a, name)) return;
  list.push_back(name);
}

}  // namespace

std::optional<std::string> check_jid_template(std::string_view t) {
  const auto pos = t.find("{uid}");
  if (pos == std::string_view::npos) return "must contain {uid}, e.g. {uid}@cam.ac.uk";
  if (t.find("{uid}", pos + 1) != std::string_view::npos) return "must contain {uid} only once";
  std::string rest = std::string(t.substr(0, pos)) + "x" + std::string(t.substr(pos + 5));
  if (rest.find_first_of("{}") != std::string::npos) return "only {uid} may appear in braces";
  const auto at = rest.find('@');
  if (at == std::string::npos || at == 0 || at + 1 == rest.size() ||
      rest.find('@', at + 1) != std::string::npos || rest.find('/') != std::string::npos ||
      rest.find_first_of(" \t\"&'<>:") != std::string::npos)
    return "must look like node@domain, e.g. {uid}@cam.ac.uk";
  return std::nullopt;
}

std::string apply_jid_template(std::string_view t, std::string_view uid) {
  std::string out(t);
  if (auto pos = out.find("{uid}"); pos != std::string::npos) out.replace(pos, 5, uid);
  return out;
}

std::optional<std::string> normalize_uid(std::string_view raw) {
  raw = trim(raw);
  if (raw.empty() || raw.size() > 64) return std::nullopt;
  std::string out;
  out.reserve(raw.size());
  for (char c : raw) {
    c = lower(c);
    const bool ok =
        (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
    if (!ok) return std::nullopt;
    out += c;
  }
  return out;
}

std::string clean_text(std::string_view raw, std::size_t max_bytes) {
  std::string out;
  out.reserve(std::min(raw.size(), max_bytes + 4));
  size_t i = 0;
  while (i < raw.size()) {
    char32_t cp = decode_one(raw, i);
    if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && cp < 0xA0)) cp = ' ';
    const size_t before = out.size();
    append_utf8(out, cp);
    if (out.size() > max_bytes) {
      out.resize(before);
      break;
    }
  }
  return std::string(trim(out));
}

std::string derive_given_name(std::string_view cn, std::string_view sn) {
  cn = trim(cn);
  sn = trim(sn);
  if (sn.empty() || cn.size() <= sn.size()) return {};
  const size_t n = sn.size();
  if (iequals(cn.substr(cn.size() - n), sn) && is_space(cn[cn.size() - n - 1])) {
    return std::string(trim(cn.substr(0, cn.size() - n)));
  }
  if (iequals(cn.substr(0, n), sn) && is_space(cn[n])) {
    return std::string(trim(cn.substr(n)));
  }
  return {};
}

MappingResult person_from_entry(const LdapEntry& entry, const AttributeMap& map,
                                std::string_view jid_template) {
  MappingResult r;
  const auto* uids = entry.values(map.uid);
  if (!uids || uids->empty()) {
    r.rejected = entry.dn + ": no " + map.uid;
    return r;
  }
  auto uid = normalize_uid(uids->front());
  if (!uid) {
    r.rejected = entry.dn + ": " + map.uid + " \"" + clean_text(uids->front(), 80) +
                 "\" is not a CRSid-like identifier";
    return r;
  }
  Person p;
  p.uid = *uid;
  p.jid = apply_jid_template(jid_template, p.uid);
  auto cns = cleaned_values(entry, map.cn);
  if (!cns.empty()) {
    p.cn = cns.front();
    p.other_names.assign(cns.begin() + 1, cns.end());
  }
  p.sn = first_clean(entry, map.sn);
  p.given_name = first_clean(entry, map.given_name);
  if (p.given_name.empty()) p.given_name = derive_given_name(p.cn, p.sn);
  p.display_name = first_clean(entry, map.display_name);
  if (p.display_name.empty()) p.display_name = p.cn;
  p.mail = first_clean(entry, map.mail);
  p.title = first_clean(entry, map.title);
  // Someone both staff and student (a PhD student who teaches) is shown as staff.
  p.affiliation = Affiliation::other;
  if (const auto* vals = entry.values(map.affiliation)) {
    for (const auto& v : *vals) {
      const auto a = parse_affiliation(trim(v));
      if (a == Affiliation::staff) {
        p.affiliation = a;
        break;
      }
      if (a == Affiliation::student) p.affiliation = a;
    }
  }
  p.institutions = cleaned_values(entry, map.institutions);
  p.ous = cleaned_values(entry, map.ou);
  p.modify_timestamp = clean_text(entry.first(map.modify_timestamp), 32);
  r.person = std::move(p);
  return r;
}

std::optional<Institution> institution_from_entry(const LdapEntry& entry, const AttributeMap& map) {
  Institution inst;
  inst.inst_id = first_clean(entry, map.inst_id);
  if (inst.inst_id.empty()) return std::nullopt;
  inst.name = first_clean(entry, map.inst_name);
  return inst;
}

std::optional<Group> group_from_entry(const LdapEntry& entry, const AttributeMap& map) {
  Group g;
  g.group_id = first_clean(entry, map.group_id);
  if (g.group_id.empty()) return std::nullopt;
  g.title = first_clean(entry, map.group_title);
  if (const auto* vals = entry.values(map.group_member)) {
    g.members.reserve(vals->size());
    for (const auto& v : *vals) {
      if (auto uid = normalize_uid(v)) g.members.push_back(std::move(*uid));
    }
    std::sort(g.members.begin(), g.members.end());
    g.members.erase(std::unique(g.members.begin(), g.members.end()), g.members.end());
  }
  return g;
}

std::vector<std::string> people_attributes(const AttributeMap& m) {
  std::vector<std::string> a;
  for (const auto* n : {&m.uid, &m.cn, &m.sn, &m.given_name, &m.display_name, &m.mail, &m.title,
                        &m.affiliation, &m.institutions, &m.ou, &m.modify_timestamp})
    add_attr(a, *n);
  return a;
}

std::vector<std::string> institution_attributes(const AttributeMap& m) {
  std::vector<std::string> a;
  add_attr(a, m.inst_id);
  add_attr(a, m.inst_name);
  add_attr(a, m.modify_timestamp);
  return a;
}

std::vector<std::string> group_attributes(const AttributeMap& m) {
  std::vector<std::string> a;
  add_attr(a, m.group_id);
  add_attr(a, m.group_title);
  add_attr(a, m.group_member);
  add_attr(a, m.modify_timestamp);
  return a;
}

std::string to_generalized_time(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02d%02d%02d%02d%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::optional<std::chrono::system_clock::time_point> parse_generalized_time(std::string_view s) {
  auto digits = [&](size_t pos, size_t n) -> std::optional<int> {
    if (pos + n > s.size()) return std::nullopt;
    int v = 0;
    for (size_t i = pos; i < pos + n; ++i) {
      if (s[i] < '0' || s[i] > '9') return std::nullopt;
      v = v * 10 + (s[i] - '0');
    }
    return v;
  };
  auto year = digits(0, 4), month = digits(4, 2), day = digits(6, 2), hour = digits(8, 2);
  if (!year || !month || !day || !hour) return std::nullopt;
  size_t pos = 10;
  int minute = 0, second = 0;
  if (auto m = digits(pos, 2)) {
    minute = *m;
    pos += 2;
    if (auto sec = digits(pos, 2)) {
      second = *sec;
      pos += 2;
    }
  }
  if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
    ++pos;
    const size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') ++pos;
    if (pos == start) return std::nullopt;
  }
  long offset = 0;
  if (pos < s.size() && s[pos] == 'Z') {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int sign = s[pos] == '+' ? 1 : -1;
    auto oh = digits(pos + 1, 2), om = digits(pos + 3, 2);
    if (!oh || !om || *oh > 23 || *om > 59) return std::nullopt;
    offset = sign * (*oh * 3600L + *om * 60L);
    pos += 5;
  } else {
    return std::nullopt;  // local time without zone: ambiguous, refuse
  }
  if (pos != s.size()) return std::nullopt;
  if (*month < 1 || *month > 12 || *day < 1 || *day > 31 || *hour > 23 || minute > 59 ||
      second > 60)
    return std::nullopt;
  std::tm tm{};
  tm.tm_year = *year - 1900;
  tm.tm_mon = *month - 1;
  tm.tm_mday = *day;
  tm.tm_hour = *hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  const std::time_t t = timegm(&tm);
  return std::chrono::system_clock::from_time_t(t - offset);
}

std::string escape_filter_value(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '*' || c == '(' || c == ')' || c == '\\' || u == 0) {
      char buf[4];
      std::snprintf(buf, sizeof buf, "\\%02x", u);
      out += buf;
    } else {
      out += c;
    }
  }
  return out;
}

std::string parenthesize_filter(std::string_view filter) {
  filter = trim(filter);
  if (!filter.empty() && filter.front() == '(') return std::string(filter);
  return "(" + std::string(filter) + ")";
}

std::string incremental_filter(std::string_view filter, std::string_view timestamp_attribute,
                               std::chrono::system_clock::time_point since) {
  return "(&" + parenthesize_filter(filter) + "(" + std::string(timestamp_attribute) +
         ">=" + escape_filter_value(to_generalized_time(since)) + "))";
}

DeletionCheck check_deletions(std::string_view what, std::size_t stored, std::size_t to_remove,
                              int max_percent, bool force) {
  DeletionCheck c;
  if (to_remove == 0 || stored == 0 || force) return c;
  if (to_remove * 100 <= stored * static_cast<std::size_t>(std::max(max_percent, 0))) return c;
  c.allowed = false;
  const auto pct = (to_remove * 100 + stored / 2) / stored;
  c.reason = "refusing to remove " + std::to_string(to_remove) + " of " + std::to_string(stored) +
             " " + std::string(what) + " (" + std::to_string(pct) + "%, limit " +
             std::to_string(max_percent) +
             "%); if they really left, run `commonroom directory sync --full --force`";
  return c;
}

}  // namespace commonroom::directory
