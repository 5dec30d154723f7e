// Small JSON writer for the audit trail and evidence bundles: keys in the order written,
// strings escaped per RFC 8259 (text is UTF-8 already: the abuse log stores valid UTF-8).
#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace commonroom::store {

// "text" with quotes, backslashes and control characters escaped.
std::string json_string(std::string_view text);

// Builds one JSON object, member by member.
class JsonObject {
 public:
  JsonObject& string(std::string_view key, std::string_view value);
  JsonObject& number(std::string_view key, long long value);
  JsonObject& array(std::string_view key, const std::vector<std::string>& values);
  // value must already be JSON (an object, array or literal); "" is written as null.
  JsonObject& raw(std::string_view key, std::string_view json);
  std::string str() const { return body_ + "}"; }

 private:
  void key(std::string_view k);
  std::string body_ = "{";
};

}  // namespace commonroom::store
