#include "xmpp/log_redaction.hpp"

namespace commonroom::xmpp {

namespace {

constexpr std::string_view kRedacted = "[redacted]";

// Position just past the start tag `<name` at `at` ('>' included), or npos.
std::size_t start_tag_end(std::string_view xml, std::size_t at) {
  std::size_t gt = xml.find('>', at);
  return gt == std::string_view::npos ? gt : gt + 1;
}

// Whether `<name` at `at` opens an element of exactly that name (not <passwords>).
bool opens(std::string_view xml, std::size_t at, std::string_view name) {
  std::size_t after = at + 1 + name.size();
  if (xml.substr(at + 1, name.size()) != name || after >= xml.size()) return false;
  char c = xml[after];
  return c == '>' || c == '/' || c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Replaces the content of each <name>...</name> in [from, to) of `xml`, appending to out.
void copy_redacting(std::string_view xml, std::string_view name, std::string& out) {
  std::string open = "<" + std::string(name);
  std::string close = "</" + std::string(name) + ">";
  std::size_t pos = 0;
  while (pos < xml.size()) {
    std::size_t at = xml.find(open, pos);
    if (at == std::string_view::npos || !opens(xml, at, name)) {
      std::size_t upto = at == std::string_view::npos ? xml.size() : at + open.size();
      out.append(xml.substr(pos, upto - pos));
      pos = upto;
      continue;
    }
    std::size_t content = start_tag_end(xml, at);
    if (content == std::string_view::npos || xml[content - 2] == '/') {
      std::size_t upto = content == std::string_view::npos ? xml.size() : content;
      out.append(xml.substr(pos, upto - pos));
      pos = upto;
      continue;
    }
    std::size_t end = xml.find(close, content);
    out.append(xml.substr(pos, content - pos));
    out.append(kRedacted);
    if (end == std::string_view::npos) return;  // a truncated stanza: drop the rest
    pos = end;
  }
}

bool secret_field(std::string_view start_tag) {
  return start_tag.find("text-private") != std::string_view::npos ||
         start_tag.find("secret") != std::string_view::npos ||
         start_tag.find("password") != std::string_view::npos;
}

}  // namespace

std::string redact_secrets(std::string_view xml) {
  std::string passwords_out;
  passwords_out.reserve(xml.size());
  copy_redacting(xml, "password", passwords_out);
  std::string_view rest = passwords_out;
  std::string out;
  out.reserve(rest.size());
  std::size_t pos = 0;
  while (pos < rest.size()) {
    std::size_t at = rest.find("<field", pos);
    if (at == std::string_view::npos || !opens(rest, at, "field")) {
      std::size_t upto = at == std::string_view::npos ? rest.size() : at + 6;
      out.append(rest.substr(pos, upto - pos));
      pos = upto;
      continue;
    }
    std::size_t content = start_tag_end(rest, at);
    if (content == std::string_view::npos) {
      out.append(rest.substr(pos));
      break;
    }
    std::size_t end = rest.find("</field>", content);
    std::size_t field_end = end == std::string_view::npos ? rest.size() : end;
    out.append(rest.substr(pos, content - pos));
    if (secret_field(rest.substr(at, content - at))) {
      copy_redacting(rest.substr(content, field_end - content), "value", out);
    } else {
      out.append(rest.substr(content, field_end - content));
    }
    pos = field_end;
  }
  return out;
}

}  // namespace commonroom::xmpp
