#include "xmpp/jid.hpp"

#include <arpa/inet.h>
#include <unicode/uidna.h>
#include <unicode/usprep.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

namespace commonroom::xmpp {

namespace {

// RFC 7622 §3.2-3.4: every part is limited to 1023 bytes once prepared.
constexpr size_t kMaxPartBytes = 1023;
// Mapping can only shrink input so far (a few characters map to nothing); refusing raw
// parts beyond this bounds the work done on hostile input before preparation.
constexpr size_t kMaxRawPartBytes = 4 * kMaxPartBytes;
constexpr size_t kMaxLabelBytes = 63;

enum class Part { node, domain, resource };

const char* part_name(Part p) {
  switch (p) {
    case Part::node:
      return "node";
    case Part::domain:
      return "domain";
    case Part::resource:
      return "resource";
  }
  return "part";
}

[[noreturn]] void fail(Part p, const std::string& problem) {
  throw JidError(std::string(part_name(p)) + " " + problem);
}

std::string code_point_name(UChar32 c) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(c));
  return buf;
}

// The ICU profiles are opened once and shared: usprep_prepare and the UTS #46 object are
// read-only after creation, so concurrent use from host connection and engine threads is safe.
class Profiles {
 public:
  static const Profiles& get() {
    static const Profiles instance;
    return instance;
  }
  UStringPrepProfile* node() const { return node_; }
  UStringPrepProfile* name() const { return name_; }
  UStringPrepProfile* resource() const { return resource_; }
  const UIDNA* idna() const { return idna_; }

 private:
  Profiles() {
    node_ = open(USPREP_RFC3920_NODEPREP);
    name_ = open(USPREP_RFC3491_NAMEPREP);
    resource_ = open(USPREP_RFC3920_RESOURCEPREP);
    UErrorCode ec = U_ZERO_ERROR;
    // STD3 rules: RFC 6122 §2.2 requires domainparts that are valid host names.
    idna_ = uidna_openUTS46(
        UIDNA_USE_STD3_RULES | UIDNA_NONTRANSITIONAL_TO_ASCII | UIDNA_NONTRANSITIONAL_TO_UNICODE,
        &ec);
    if (U_FAILURE(ec)) {
      throw std::runtime_error(std::string("ICU: cannot open UTS #46: ") + u_errorName(ec));
    }
  }
  ~Profiles() {
    usprep_close(node_);
    usprep_close(name_);
    usprep_close(resource_);
    uidna_close(idna_);
  }
  static UStringPrepProfile* open(UStringPrepProfileType type) {
    UErrorCode ec = U_ZERO_ERROR;
    UStringPrepProfile* p = usprep_openByType(type, &ec);
    if (U_FAILURE(ec)) {
      throw std::runtime_error(std::string("ICU: cannot open stringprep profile: ") +
                               u_errorName(ec));
    }
    return p;
  }

  UStringPrepProfile* node_ = nullptr;
  UStringPrepProfile* name_ = nullptr;
  UStringPrepProfile* resource_ = nullptr;
  UIDNA* idna_ = nullptr;
};

std::u16string to_utf16(Part p, std::string_view in) {
  std::u16string out(in.size(), u'\0');  // UTF-16 never needs more units than UTF-8 bytes
  int32_t len = 0;
  UErrorCode ec = U_ZERO_ERROR;
  u_strFromUTF8(out.data(), static_cast<int32_t>(out.size()), &len, in.data(),
                static_cast<int32_t>(in.size()), &ec);
  if (U_FAILURE(ec)) fail(p, "is not valid UTF-8");
  out.resize(static_cast<size_t>(len));
  return out;
}

std::string to_utf8(std::u16string_view in) {
  std::string out(in.size() * 3, '\0');
  int32_t len = 0;
  UErrorCode ec = U_ZERO_ERROR;
  u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &len, in.data(),
              static_cast<int32_t>(in.size()), &ec);
  if (U_FAILURE(ec)) throw std::runtime_error(std::string("ICU: ") + u_errorName(ec));
  out.resize(static_cast<size_t>(len));
  return out;
}

// Runs a stringprep profile and turns ICU's error into a message naming the part.
std::string stringprep(Part p, UStringPrepProfile* profile, std::string_view in) {
  std::u16string src = to_utf16(p, in);
  // NFKC can expand a character up to 18 times; start generous and retry when told.
  std::u16string dst(src.size() * 2 + 16, u'\0');
  for (int attempt = 0; attempt < 2; ++attempt) {
    UErrorCode ec = U_ZERO_ERROR;
    UParseError perr{};
    int32_t len = usprep_prepare(profile, src.data(), static_cast<int32_t>(src.size()), dst.data(),
                                 static_cast<int32_t>(dst.size()), USPREP_DEFAULT, &perr, &ec);
    if (ec == U_BUFFER_OVERFLOW_ERROR) {
      dst.assign(static_cast<size_t>(len), u'\0');
      continue;
    }
    if (U_FAILURE(ec)) {
      // For these errors ICU puts the offending character first in postContext.
      UChar32 c = 0;
      std::u16string_view post(reinterpret_cast<const char16_t*>(perr.postContext));
      if (!post.empty()) {
        size_t i = 0;
        U16_NEXT(post.data(), i, post.size(), c);
      }
      std::string at = post.empty() ? std::string() : " " + code_point_name(c);
      switch (ec) {
        case U_STRINGPREP_PROHIBITED_ERROR:
          fail(p, "contains a prohibited character" + at);
        case U_STRINGPREP_UNASSIGNED_ERROR:
          fail(p, "contains an unassigned code point" + at);
        case U_STRINGPREP_CHECK_BIDI_ERROR:
          fail(p, "mixes right-to-left and left-to-right text (RFC 3454 section 6)");
        default:
          fail(p, std::string("cannot be prepared: ") + u_errorName(ec));
      }
    }
    dst.resize(static_cast<size_t>(len));
    return to_utf8(dst);
  }
  fail(p, "cannot be prepared: output too long");
}

bool is_ascii(std::string_view s) {
  for (unsigned char c : s) {
    if (c >= 0x80) return false;
  }
  return true;
}

void check_raw_length(Part p, std::string_view in) {
  if (in.size() > kMaxRawPartBytes) {
    fail(p, "exceeds " + std::to_string(kMaxPartBytes) + " bytes (" + std::to_string(in.size()) +
                " bytes given)");
  }
}

void check_prepared_length(Part p, const std::string& out) {
  if (out.size() > kMaxPartBytes) {
    fail(p, "exceeds " + std::to_string(kMaxPartBytes) + " bytes after preparation (" +
                std::to_string(out.size()) + " bytes)");
  }
}

std::string ascii_char_name(unsigned char c) {
  std::string name = code_point_name(c);
  if (c > 0x20 && c < 0x7f) name = "'" + std::string(1, static_cast<char>(c)) + "' (" + name + ")";
  return name;
}

// Nodeprep on pure ASCII is case folding plus the RFC 3920 Appendix A.5 prohibitions
// (controls, space, and " & ' / : < > @); this skips ICU for the common case. The unit
// tests check it agrees with ICU for every ASCII character.
std::string nodeprep_ascii(std::string_view in) {
  std::string out(in);
  for (char& ch : out) {
    unsigned char c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c == 0x7f || c == '"' || c == '&' || c == '\'' || c == '/' || c == ':' ||
        c == '<' || c == '>' || c == '@') {
      fail(Part::node, "contains a prohibited character " + code_point_name(c));
    }
    if (c >= 'A' && c <= 'Z') ch = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Resourceprep maps nothing in ASCII and prohibits only the control characters.
std::string resourceprep_ascii(std::string_view in) {
  for (unsigned char c : in) {
    if (c < 0x20 || c == 0x7f) {
      fail(Part::resource, "contains a prohibited character " + code_point_name(c));
    }
  }
  return std::string(in);
}

// True when `in` is already a lower-case LDH host name whose labels need no IDNA work.
// Anything else (upper case is folded first) goes through ICU, which produces the errors.
bool plain_host_name(std::string& s) {
  for (char& ch : s) {
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  }
  size_t start = 0;
  while (start <= s.size()) {
    size_t end = s.find('.', start);
    if (end == std::string::npos) end = s.size();
    std::string_view label(s.data() + start, end - start);
    if (label.empty() || label.size() > kMaxLabelBytes) return false;
    if (label.front() == '-' || label.back() == '-') return false;
    if (label.starts_with("xn--")) return false;  // an A-label: ICU decodes it
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
    }
    start = end + 1;
  }
  return true;
}

std::string idna_problem(uint32_t errors, std::string_view name) {
  if (errors & UIDNA_ERROR_EMPTY_LABEL) return "has an empty label";
  if (errors & UIDNA_ERROR_LABEL_TOO_LONG) {
    return "has a label longer than " + std::to_string(kMaxLabelBytes) + " bytes";
  }
  if (errors & UIDNA_ERROR_DISALLOWED) {
    for (unsigned char c : name) {
      bool ldh = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '-' || c == '.';
      if (c < 0x80 && !ldh)
        return "contains a character not allowed in host names " + ascii_char_name(c);
    }
    return "contains a character not allowed in host names";
  }
  if (errors & (UIDNA_ERROR_LEADING_HYPHEN | UIDNA_ERROR_TRAILING_HYPHEN)) {
    return "has a label that starts or ends with '-'";
  }
  if (errors & (UIDNA_ERROR_PUNYCODE | UIDNA_ERROR_INVALID_ACE_LABEL)) {
    return "has an invalid punycode (xn--) label";
  }
  if (errors & UIDNA_ERROR_LEADING_COMBINING_MARK)
    return "has a label that starts with a combining mark";
  if (errors & UIDNA_ERROR_BIDI) return "violates the IDNA right-to-left rules";
  if (errors &
      (UIDNA_ERROR_CONTEXTJ | UIDNA_ERROR_CONTEXTO_PUNCTUATION | UIDNA_ERROR_CONTEXTO_DIGITS)) {
    return "uses a joiner or context-dependent character where IDNA forbids it";
  }
  return "is not a valid internationalized domain name";
}

// One UTS #46 conversion (to Unicode or to ASCII) of a UTF-8 name; returns the converted
// name and the error bits that make a JID domain invalid.
std::pair<std::string, uint32_t> uts46(bool to_unicode, std::string_view in) {
  const UIDNA* idna = Profiles::get().idna();
  std::string out(in.size() * 4 + 16, '\0');
  for (int attempt = 0; attempt < 2; ++attempt) {
    UErrorCode ec = U_ZERO_ERROR;
    UIDNAInfo info = UIDNA_INFO_INITIALIZER;
    int32_t len =
        to_unicode
            ? uidna_nameToUnicodeUTF8(idna, in.data(), static_cast<int32_t>(in.size()), out.data(),
                                      static_cast<int32_t>(out.size()), &info, &ec)
            : uidna_nameToASCII_UTF8(idna, in.data(), static_cast<int32_t>(in.size()), out.data(),
                                     static_cast<int32_t>(out.size()), &info, &ec);
    if (ec == U_BUFFER_OVERFLOW_ERROR) {
      out.assign(static_cast<size_t>(len), '\0');
      continue;
    }
    if (U_FAILURE(ec)) {
      if (ec == U_INVALID_CHAR_FOUND || ec == U_ILLEGAL_ARGUMENT_ERROR) {
        fail(Part::domain, "is not valid UTF-8");
      }
      fail(Part::domain, std::string("cannot be prepared: ") + u_errorName(ec));
    }
    out.resize(static_cast<size_t>(len));
    // Ignored: the 253-byte DNS total (RFC 7622 allows 1023 bytes) and '--' in positions
    // 3-4 of labels that are not xn-- (IDNA2003, which RFC 6122 uses, allows those and real
    // host names such as r3---sn-x.example have them).
    constexpr uint32_t ignored = UIDNA_ERROR_DOMAIN_NAME_TOO_LONG | UIDNA_ERROR_HYPHEN_3_4;
    return {out, info.errors & ~ignored};
  }
  fail(Part::domain, "cannot be prepared: output too long");
}

// Strips one final label separator (RFC 7622 §3.2: "MUST be stripped before any other
// canonicalization"): '.', or its ideographic and full/half-width forms.
std::string_view strip_trailing_dot(std::string_view in) {
  if (!in.empty() && in.back() == '.') return in.substr(0, in.size() - 1);
  for (std::string_view dot : {"\xE3\x80\x82", "\xEF\xBC\x8E", "\xEF\xBD\xA1"}) {
    if (in.ends_with(dot)) return in.substr(0, in.size() - dot.size());
  }
  return in;
}

bool looks_like_ipv4(std::string_view s) {
  int dots = 0;
  for (char c : s) {
    if (c == '.') {
      ++dots;
    } else if (c < '0' || c > '9') {
      return false;
    }
  }
  return dots == 3;
}

// Nameprep label by label, as IDNA2003's ToASCII applies it (RFC 3490 §4): its bidi rule
// (RFC 3454 §6) is about one label, so a right-to-left label beside a left-to-right one is a
// valid domain, and an xn-- label decoded to Unicode prepares the same as it was typed.
// The IDNA label separators (U+3002, U+FF0E, U+FF61) count as dots.
std::string nameprep_labels(std::string_view name) {
  std::string dotted;
  dotted.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    std::string_view rest = name.substr(i);
    if (rest.starts_with("\xE3\x80\x82") || rest.starts_with("\xEF\xBC\x8E") ||
        rest.starts_with("\xEF\xBD\xA1")) {
      dotted += '.';
      i += 2;
    } else {
      dotted += name[i];
    }
  }
  std::string out;
  size_t start = 0;
  for (;;) {
    size_t dot = dotted.find('.', start);
    std::string_view label = std::string_view(dotted).substr(
        start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!label.empty()) out += stringprep(Part::domain, Profiles::get().name(), label);
    if (dot == std::string::npos) break;
    out += '.';
    start = dot + 1;
  }
  return out;
}

std::string prepare_domain(std::string_view in) {
  check_raw_length(Part::domain, in);
  std::string_view name = strip_trailing_dot(in);
  if (name.empty()) fail(Part::domain, "is empty");

  // IP literals (RFC 7622 §3.2): an IPv6 address in brackets or a dotted-quad IPv4 address,
  // kept in their canonical text form so that == compares addresses.
  if (name.front() == '[') {
    if (name.back() != ']' || name.size() < 3) {
      fail(Part::domain, "is not a valid IPv6 address literal (expected [address])");
    }
    std::string inner(name.substr(1, name.size() - 2));
    in6_addr addr{};
    if (inet_pton(AF_INET6, inner.c_str(), &addr) != 1) {
      fail(Part::domain, "is not a valid IPv6 address literal");
    }
    char buf[INET6_ADDRSTRLEN];
    inet_ntop(AF_INET6, &addr, buf, sizeof buf);
    return "[" + std::string(buf) + "]";
  }
  if (looks_like_ipv4(name)) {
    std::string text(name);
    in_addr addr{};
    if (inet_pton(AF_INET, text.c_str(), &addr) != 1) {
      fail(Part::domain, "is not a valid IPv4 address");
    }
    char buf[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &addr, buf, sizeof buf);
    return buf;
  }

  if (is_ascii(name)) {
    std::string out(name);
    if (plain_host_name(out)) {
      check_prepared_length(Part::domain, out);
      return out;
    }
  }

  // Nameprep (IDNA2003, which RFC 6122 names), then UTS #46 to decode xn-- labels into
  // their Unicode form and to validate the host name rules; the A-label conversion checks
  // label lengths in DNS terms.
  std::string prepped = nameprep_labels(name);
  auto [unicode, errors] = uts46(true, prepped);
  if (errors != 0) fail(Part::domain, idna_problem(errors, prepped));
  if (unicode.empty()) fail(Part::domain, "is empty");
  if (unicode.back() == '.') fail(Part::domain, "has an empty label");
  // Four numeric labels after mapping (full-width digits, ideographic dots) are an IPv4
  // address as if typed so, valid or not (found by fuzz_jid).
  if (looks_like_ipv4(unicode)) return prepare_domain(unicode);
  if (unicode != prepped) {
    // An xn-- label was decoded: what it stands for must prepare as if typed in Unicode, or
    // one domain written two ways would be two JIDs, or one of them refused (found by
    // fuzz_jid: xn--mxf decodes to a code point stringprep's Unicode 3.2 does not have).
    if (nameprep_labels(unicode) != unicode) {
      fail(Part::domain, "has an xn-- label whose Unicode form is not a prepared domain label");
    }
  }
  auto [ascii, ascii_errors] = uts46(false, unicode);
  if (ascii_errors != 0) fail(Part::domain, idna_problem(ascii_errors, unicode));
  check_prepared_length(Part::domain, unicode);
  return unicode;
}

std::string prepare_node(std::string_view in) {
  check_raw_length(Part::node, in);
  std::string out =
      is_ascii(in) ? nodeprep_ascii(in) : stringprep(Part::node, Profiles::get().node(), in);
  if (out.empty()) fail(Part::node, "is empty after preparation");
  check_prepared_length(Part::node, out);
  return out;
}

std::string prepare_resource(std::string_view in) {
  check_raw_length(Part::resource, in);
  std::string out = is_ascii(in) ? resourceprep_ascii(in)
                                 : stringprep(Part::resource, Profiles::get().resource(), in);
  if (out.empty()) fail(Part::resource, "is empty after preparation");
  check_prepared_length(Part::resource, out);
  return out;
}

}  // namespace

// node@domain/resource in one heap block, shared by every copy: a header of four 16-bit
// lengths, then the text. One allocation (with the shared_ptr's counts) instead of a
// struct plus a separate string buffer, which halves what a JID costs: rooms keep a few
// per occupant, and every stanza parses two.
namespace {

struct Header {
  uint16_t size = 0;
  uint16_t node_len = 0;
  uint16_t domain_begin = 0;
  uint16_t domain_end = 0;  // == size when there is no resource
};

Header header_of(const char* d) {
  Header h;
  std::memcpy(&h, d, sizeof h);
  return h;
}

std::string_view text_of(const char* d) {
  return {d + sizeof(Header), header_of(d).size};
}

}  // namespace

std::shared_ptr<const char[]> Jid::make(std::string_view node, std::string_view domain,
                                        std::string_view resource) {
  Header h;
  const std::size_t size = (node.empty() ? 0 : node.size() + 1) + domain.size() +
                           (resource.empty() ? 0 : resource.size() + 1);
  auto d = std::make_shared_for_overwrite<char[]>(sizeof(Header) + size);
  char* out = d.get() + sizeof(Header);
  auto put = [&](std::string_view part) {
    std::memcpy(out, part.data(), part.size());
    out += part.size();
  };
  if (!node.empty()) {
    put(node);
    *out++ = '@';
  }
  h.node_len = static_cast<uint16_t>(node.size());
  h.domain_begin = static_cast<uint16_t>(out - d.get() - sizeof(Header));
  put(domain);
  h.domain_end = static_cast<uint16_t>(out - d.get() - sizeof(Header));
  if (!resource.empty()) {
    *out++ = '/';
    put(resource);
  }
  h.size = static_cast<uint16_t>(size);
  std::memcpy(d.get(), &h, sizeof h);
  return d;
}

Jid::Jid() = default;

Jid Jid::parse(std::string_view text) {
  if (text.empty()) throw JidError("JID is empty");
  std::string_view rest = text;
  std::string_view resource;
  bool has_slash = false;
  if (size_t slash = rest.find('/'); slash != std::string_view::npos) {
    resource = rest.substr(slash + 1);
    rest = rest.substr(0, slash);
    has_slash = true;
  }
  std::string_view node;
  bool has_at = false;
  if (size_t at = rest.find('@'); at != std::string_view::npos) {
    node = rest.substr(0, at);
    rest = rest.substr(at + 1);
    has_at = true;
  }
  if (has_at && node.empty()) fail(Part::node, "is empty (nothing before '@')");
  if (rest.empty()) fail(Part::domain, "is empty");
  if (has_slash && resource.empty()) fail(Part::resource, "is empty (nothing after '/')");

  std::string n = has_at ? prepare_node(node) : std::string();
  std::string d = prepare_domain(rest);
  std::string r = has_slash ? prepare_resource(resource) : std::string();
  return Jid(make(n, d, r));
}

std::optional<Jid> Jid::try_parse(std::string_view text, std::string* error) {
  try {
    return parse(text);
  } catch (const JidError& e) {
    if (error) *error = e.what();
    return std::nullopt;
  }
}

Jid Jid::from_parts(std::string_view node, std::string_view domain, std::string_view resource) {
  if (domain.empty()) fail(Part::domain, "is empty");
  std::string n = node.empty() ? std::string() : prepare_node(node);
  std::string d = prepare_domain(domain);
  std::string r = resource.empty() ? std::string() : prepare_resource(resource);
  return Jid(make(n, d, r));
}

bool Jid::empty() const {
  return !d_;
}

std::string_view Jid::node() const {
  return d_ ? text_of(d_.get()).substr(0, header_of(d_.get()).node_len) : std::string_view();
}

std::string_view Jid::domain() const {
  if (!d_) return {};
  Header h = header_of(d_.get());
  return text_of(d_.get()).substr(h.domain_begin, h.domain_end - h.domain_begin);
}

std::string_view Jid::resource() const {
  if (!d_) return {};
  Header h = header_of(d_.get());
  if (h.domain_end == h.size) return {};
  return text_of(d_.get()).substr(h.domain_end + 1u);
}

std::string_view Jid::full() const {
  return d_ ? text_of(d_.get()) : std::string_view();
}

std::string_view Jid::bare_str() const {
  return d_ ? text_of(d_.get()).substr(0, header_of(d_.get()).domain_end) : std::string_view();
}

Jid Jid::bare() const {
  if (is_bare()) return *this;
  return Jid(make(node(), domain(), {}));
}

Jid Jid::with_resource(std::string_view resource) const {
  if (!d_) throw JidError("domain is empty");
  if (resource.empty()) return bare();
  return Jid(make(node(), domain(), prepare_resource(resource)));
}

std::string nodeprep(std::string_view in) {
  if (in.empty()) fail(Part::node, "is empty");
  return prepare_node(in);
}

std::string nameprep(std::string_view in) {
  return prepare_domain(in);
}

std::string resourceprep(std::string_view in) {
  if (in.empty()) fail(Part::resource, "is empty");
  return prepare_resource(in);
}

}  // namespace commonroom::xmpp
