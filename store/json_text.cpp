#include "store/json_text.hpp"

#include "muc/event_detail.hpp"

namespace commonroom::store {

std::string json_string(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 2);
  muc::append_json_string(out, text);
  return out;
}

void JsonObject::key(std::string_view k) {
  if (body_.size() > 1) body_ += ",";
  body_ += json_string(k) + ":";
}

JsonObject& JsonObject::string(std::string_view k, std::string_view value) {
  key(k);
  body_ += json_string(value);
  return *this;
}

JsonObject& JsonObject::number(std::string_view k, long long value) {
  key(k);
  body_ += std::to_string(value);
  return *this;
}

JsonObject& JsonObject::array(std::string_view k, const std::vector<std::string>& values) {
  key(k);
  body_ += "[";
  for (size_t i = 0; i < values.size(); ++i) body_ += (i ? "," : "") + json_string(values[i]);
  body_ += "]";
  return *this;
}

JsonObject& JsonObject::raw(std::string_view k, std::string_view json) {
  key(k);
  body_ += json.empty() ? std::string("null") : std::string(json);
  return *this;
}

}  // namespace commonroom::store
