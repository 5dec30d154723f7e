// PostgreSQL array literals for passing a list as one text parameter ($1::text[]).
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace commonroom::store {

// {"a","b"} with every element quoted and " and \ escaped; nullopt for an empty list.
inline std::optional<std::string> array_literal(const std::vector<std::string>& values) {
  if (values.empty()) return std::nullopt;
  std::string out = "{";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i) out += ',';
    out += '"';
    for (char c : values[i]) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + '}';
}

}  // namespace commonroom::store
