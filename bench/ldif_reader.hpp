// A small LDIF reader for the directory benchmarks: reads what scripts/gen-lookup-ldif
// writes (RFC 2849 content records, base64 values, folded lines) into LDAP entries, so the
// benchmark searches exactly the people slapd (and the peer) serves.
#pragma once
#include <cstdio>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "directory/ldap_entry.hpp"

namespace commonroom::bench {

inline std::string base64_decode(std::string_view in) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
  };
  std::string out;
  unsigned buffer = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) continue;  // padding, whitespace
    buffer = (buffer << 6) | static_cast<unsigned>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buffer >> bits) & 0xFF));
    }
  }
  return out;
}

// Calls on_entry for every record with a dn. Throws std::runtime_error when the file cannot
// be read.
template <typename OnEntry>
void read_ldif(const std::string& path, OnEntry on_entry) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("cannot open " + path);
  std::string content;
  char buf[1 << 16];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) content.append(buf, n);
  std::fclose(f);

  directory::LdapEntry entry;
  std::string logical;  // one attribute line with its continuations unfolded
  auto flush_line = [&] {
    if (logical.empty() || logical[0] == '#') {
      logical.clear();
      return;
    }
    auto colon = logical.find(':');
    if (colon == std::string::npos) {
      logical.clear();
      return;
    }
    std::string attr = logical.substr(0, colon);
    std::string value;
    if (colon + 1 < logical.size() && logical[colon + 1] == ':') {
      value = base64_decode(std::string_view(logical).substr(colon + 2));
    } else {
      std::size_t start = colon + 1;
      while (start < logical.size() && logical[start] == ' ') ++start;
      value = logical.substr(start);
    }
    if (attr == "dn") {
      entry.dn = value;
    } else {
      bool added = false;
      for (auto& [name, values] : entry.attributes)
        if (name == attr) {
          values.push_back(value);
          added = true;
          break;
        }
      if (!added) entry.attributes.push_back({attr, {value}});
    }
    logical.clear();
  };
  auto flush_entry = [&] {
    flush_line();
    if (!entry.dn.empty()) on_entry(entry);
    entry = directory::LdapEntry();
  };
  std::size_t pos = 0;
  while (pos <= content.size()) {
    std::size_t end = content.find('\n', pos);
    if (end == std::string::npos) end = content.size();
    std::string_view line(content.data() + pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) {
      flush_entry();
    } else if (line[0] == ' ') {
      logical.append(line.substr(1));  // folded continuation
    } else {
      flush_line();
      logical.assign(line);
    }
    pos = end + 1;
  }
  flush_entry();
}

}  // namespace commonroom::bench
