#include "directory/person.hpp"

namespace commonroom::directory {

namespace {
bool iequals_ascii(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}
}  // namespace

Affiliation parse_affiliation(std::string_view text) {
  if (iequals_ascii(text, "staff")) return Affiliation::staff;
  if (iequals_ascii(text, "student")) return Affiliation::student;
  return Affiliation::other;
}

}  // namespace commonroom::directory
