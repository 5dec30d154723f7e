#include "admin-web/room_config_form.hpp"

#include <Poco/Net/HTMLForm.h>

#include <algorithm>

namespace commonroom::admin_web {

namespace {

constexpr std::size_t kMaxValueBytes = 4096;
constexpr std::size_t kMaxValues = 500;

bool multi_line(const std::string& type) {
  return type == "text-multi" || type == "jid-multi";
}

bool shown(const ConfigField& f) {
  return !f.var.empty() && f.type != "hidden" && f.type != "fixed";
}

}  // namespace

bool secret_field(const ConfigField& field) {
  return field.type == "text-private";
}

mstch::array config_form_view(const std::vector<ConfigField>& fields) {
  mstch::array out;
  for (const auto& f : fields) {
    if (!shown(f)) continue;
    const std::string value = f.values.empty() ? "" : f.values.front();
    std::string lines;
    for (const auto& v : f.values) lines += (lines.empty() ? "" : "\n") + v;
    mstch::array options;
    if (f.type == "boolean") {
      const bool on = value == "1" || value == "true";
      options.push_back(
          mstch::map{{"value", std::string("1")}, {"label", std::string("yes")}, {"selected", on}});
      options.push_back(
          mstch::map{{"value", std::string("0")}, {"label", std::string("no")}, {"selected", !on}});
    }
    for (const auto& [v, label] : f.options) {
      const bool selected = std::find(f.values.begin(), f.values.end(), v) != f.values.end();
      options.push_back(
          mstch::map{{"value", v}, {"label", label.empty() ? v : label}, {"selected", selected}});
    }
    out.push_back(
        mstch::map{{"var", f.var},
                   {"id", "cfg-" + std::to_string(out.size())},
                   {"label", f.label.empty() ? f.var : f.label},
                   {"desc", f.desc},
                   {"choice", f.type == "boolean" || f.type == "list-single"},
                   {"multi_choice", f.type == "list-multi"},
                   {"lines", multi_line(f.type)},
                   {"secret", secret_field(f)},
                   {"text", !multi_line(f.type) && !secret_field(f) && f.type != "boolean" &&
                                f.type != "list-single" && f.type != "list-multi"},
                   {"value", value},
                   {"lines_value", lines},
                   {"rows", std::to_string(std::max<std::size_t>(2, f.values.size() + 1))},
                   {"options", options}});
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> submitted_config(
    const std::vector<ConfigField>& fields, const Poco::Net::HTMLForm& form, std::string& problem) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : fields) {
    if (!shown(f) || !form.has(f.var)) continue;
    std::vector<std::string> values;
    for (const auto& [name, value] : form)
      if (name == f.var) values.push_back(value);
    if (multi_line(f.type)) {
      std::vector<std::string> lines;
      for (const auto& v : values) {
        std::size_t start = 0;
        while (start <= v.size()) {
          std::size_t end = v.find('\n', start);
          if (end == std::string::npos) end = v.size();
          std::string line = v.substr(start, end - start);
          while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
          while (!line.empty() && line.front() == ' ') line.erase(0, 1);
          if (!line.empty()) lines.push_back(line);
          start = end + 1;
        }
      }
      values = lines.empty() ? std::vector<std::string>{""} : lines;
    } else if (f.type != "list-multi") {
      values.resize(1);
    }
    // The password is never shown, so a blank one means "keep it".
    if (secret_field(f) && values.front().empty()) continue;
    if (values.size() > kMaxValues) {
      problem = (f.label.empty() ? f.var : f.label) + " has more than 500 entries.";
      return {};
    }
    for (auto& v : values) {
      if (v.size() > kMaxValueBytes) {
        problem = (f.label.empty() ? f.var : f.label) + " is longer than 4096 bytes.";
        return {};
      }
      out.emplace_back(f.var, std::move(v));
    }
  }
  return out;
}

}  // namespace commonroom::admin_web
