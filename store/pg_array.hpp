// PostgreSQL text arrays: literals for passing a list as one parameter ($1::text[]), and
// reading a text[] column back.
#pragma once
#include <pqxx/pqxx>

#include <optional>
#include <string>
#include <vector>

namespace commonroom::store {

// {"a","b"} with every element quoted and " and \ escaped; {} for an empty list.
inline std::string array_text(const std::vector<std::string>& values) {
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

// The same, but nullopt for an empty list (a query parameter that means "no filter").
inline std::optional<std::string> array_literal(const std::vector<std::string>& values) {
  if (values.empty()) return std::nullopt;
  return array_text(values);
}

// A text[] column as strings: NULL elements are skipped, a NULL array is empty.
inline std::vector<std::string> array_values(const pqxx::field& f) {
  std::vector<std::string> out;
  if (f.is_null()) return out;
  auto parser = f.as_array();
  for (auto step = parser.get_next(); step.first != pqxx::array_parser::done;
       step = parser.get_next()) {
    if (step.first == pqxx::array_parser::string_value) out.push_back(std::move(step.second));
  }
  return out;
}

}  // namespace commonroom::store
