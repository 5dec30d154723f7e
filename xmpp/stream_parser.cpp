#include "xmpp/stream_parser.hpp"

#include <xercesc/framework/XMLDocumentHandler.hpp>
#include <xercesc/framework/XMLPScanToken.hpp>
#include <xercesc/sax/InputSource.hpp>
#include <xercesc/sax/SAXParseException.hpp>
#include <xercesc/sax2/Attributes.hpp>
#include <xercesc/sax2/DefaultHandler.hpp>
#include <xercesc/util/BinInputStream.hpp>

#include <array>
#include <cstdio>
#include <cstring>
#include <exception>
#include <optional>
#include <string_view>
#include <vector>

#include "xmpp/namespaces.hpp"
#include "xmpp/stream_parser_framer.hpp"
#include "xmpp/stream_parser_utf.hpp"
#include "xmpp/stream_parser_xerces.hpp"

namespace commonroom::xmpp {

namespace xc = xercesc;

namespace {

// Unwind out of Xerces once the stream is over; never escape next().
struct StreamClosed {};
struct InputEnded {};

size_t length16(const XMLCh* s) {
  return std::char_traits<char16_t>::length(s);
}

std::string utf8(const XMLCh* s) {
  std::string out;
  if (s) detail::append_utf8(out, s, length16(s));
  return out;
}

// Element names and namespace URIs repeat on every stanza. Xerces hands them out from its
// element-declaration and URI pools, so the same name arrives at the same address: cache
// the UTF-8 form per address (the content is compared too, so an address reused for a
// different string is simply a miss).
class NameCache {
 public:
  const std::string& get(const XMLCh* s) {
    const auto key = reinterpret_cast<uintptr_t>(s);
    Entry& e = entries_[(key >> 3 ^ key >> 11) & (kSize - 1)];
    if (e.key == s && std::char_traits<char16_t>::compare(e.wide.data(), s, e.wide.size()) == 0 &&
        s[e.wide.size()] == 0) {
      return e.utf8;
    }
    e.key = s;
    e.wide.assign(s, length16(s));
    e.utf8.clear();
    detail::append_utf8(e.utf8, e.wide.data(), e.wide.size());
    return e.utf8;
  }

 private:
  struct Entry {
    const XMLCh* key = nullptr;
    std::u16string wide;
    std::string utf8;
  };
  static constexpr size_t kSize = 64;
  std::array<Entry, kSize> entries_;
};

bool is_xml_space(XMLCh c) {
  return c == u' ' || c == u'\t' || c == u'\n' || c == u'\r';
}

// SAX2 has no event for the XML declaration, so its encoding and version are checked by an
// "advanced document handler" that ignores every other event.
class XmlDeclCheck final : public xc::XMLDocumentHandler {
 public:
  void XMLDecl(const XMLCh* const version, const XMLCh* const encoding, const XMLCh* const,
               const XMLCh* const) override {
    const std::string enc = utf8(encoding);
    if (!enc.empty() && !equals_ascii_nocase(enc, "UTF-8")) {
      throw StreamError(
          "unsupported-encoding",
          "only UTF-8 is supported (RFC 6120 §11.6), the stream declares \"" + enc + "\"");
    }
    const std::string ver = utf8(version);
    if (!ver.empty() && ver != "1.0") {
      throw StreamError("bad-format", "XMPP streams are XML 1.0, the stream declares " + ver);
    }
  }
  void docCharacters(const XMLCh* const, const XMLSize_t, const bool) override {}
  void docComment(const XMLCh* const) override {}
  void docPI(const XMLCh* const, const XMLCh* const) override {}
  void endDocument() override {}
  void endElement(const xc::XMLElementDecl&, const unsigned int, const bool,
                  const XMLCh* const) override {}
  void endEntityReference(const xc::XMLEntityDecl&) override {}
  void ignorableWhitespace(const XMLCh* const, const XMLSize_t, const bool) override {}
  void resetDocument() override {}
  void startDocument() override {}
  void startElement(const xc::XMLElementDecl&, const unsigned int, const XMLCh* const,
                    const xc::RefVectorOf<xc::XMLAttr>&, const XMLSize_t, const bool,
                    const bool) override {}
  void startEntityReference(const xc::XMLEntityDecl&) override {}

 private:
  static bool equals_ascii_nocase(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i) {
      char x = a[i], y = b[i];
      if (x >= 'a' && x <= 'z') x = static_cast<char>(x - 'a' + 'A');
      if (y >= 'a' && y <= 'z') y = static_cast<char>(y - 'a' + 'A');
      if (x != y) return false;
    }
    return true;
  }
};

}  // namespace

struct StreamParser::Impl final : public xc::DefaultHandler {
  // Xerces owns (and deletes) the BinInputStream it gets from makeStream(); it reads
  // through to the Impl, which owns the checks that must see every byte.
  class Stream final : public xc::BinInputStream {
   public:
    explicit Stream(Impl& impl) : impl_(impl) {}
    XMLFilePos curPos() const override { return impl_.bytes_in_; }
    XMLSize_t readBytes(XMLByte* const to_fill, const XMLSize_t max_to_read) override {
      return impl_.read_bytes(reinterpret_cast<char*>(to_fill), max_to_read);
    }
    const XMLCh* getContentType() const override { return nullptr; }

   private:
    Impl& impl_;
  };

  class Source final : public xc::InputSource {
   public:
    explicit Source(Impl& impl) : impl_(impl) {
      // Forced, so a declaration naming another encoding cannot switch the decoder before
      // XMLDecl() refuses it, and no BOM sniffing picks UTF-16.
      static const XMLCh kUtf8[] = u"UTF-8";
      setEncoding(kUtf8);
      static const XMLCh kSystemId[] = u"xmpp-stream";
      setSystemId(kSystemId);
    }
    xc::BinInputStream* makeStream() const override { return new Stream(impl_); }

   private:
    Impl& impl_;
  };

  Impl(ByteSource& source, StreamHandler& handler, StreamLimits limits)
      : source_(source),
        handler_(handler),
        limits_(limits),
        framer_(limits.max_stanza_bytes),
        input_(*this) {
    reader_ = detail::make_stream_reader(security_);
    reader_->setContentHandler(this);
    reader_->setErrorHandler(this);
    reader_->setLexicalHandler(this);
    reader_->setEntityResolver(this);
    reader_->installAdvDocHandler(&decl_check_);
    open_.reserve(limits.max_depth + 1);
  }

  ~Impl() override {
    // The reader may still hold a Stream pointing here; destroy it first.
    reader_.reset();
  }

  // ---- bytes in ----

  size_t read_bytes(char* buffer, size_t capacity) {
    // A refusal is reported to Xerces as end of input and raised from the error it then
    // reports; throwing from here instead would leak inside Xerces' XMLReader constructor
    // (3.2.4), which makes the first read.
    if (pending_) {
      pending_reached_ = true;
      return 0;
    }
    if (closed_ || eof_) return 0;
    size_t n;
    try {
      n = source_.read(buffer, capacity);
    } catch (...) {
      // Same reason: carried past Xerces and rethrown by next().
      source_error_ = std::current_exception();
      return 0;
    }
    if (n == 0) {
      eof_ = true;
      return 0;
    }
    // Hand Xerces only the bytes before the first problem, and raise the problem when it
    // asks for more: everything before it is parsed and delivered first, whatever the
    // chunking.
    size_t ok = utf8_.scan(buffer, n);
    ok = framer_.scan(buffer, ok);
    if (ok < n) {
      if (framer_.failed()) {
        pending_ = StreamError(framer_.condition(), framer_.error());
      } else {
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02X", utf8_.error_byte());
        pending_ = StreamError("unsupported-encoding",
                               "invalid UTF-8: byte " + std::string(hex) + " at offset " +
                                   std::to_string(utf8_.error_offset()) + " of the stream");
      }
      if (ok == 0) {
        pending_reached_ = true;
        return 0;
      }
    }
    bytes_in_ += ok;
    return ok;
  }

  // The input stopped because the source failed or bytes were refused: that is the error.
  void rethrow_if_aborted() {
    if (source_error_) std::rethrow_exception(source_error_);
    if (pending_reached_) throw *pending_;
  }

  // ---- driving ----

  bool next() {
    if (done_) return false;
    try {
      const uint64_t before = events_;
      while (events_ == before) {
        bool more;
        if (!started_) {
          started_ = true;
          more = reader_->parseFirst(input_, token_);
        } else {
          more = reader_->parseNext(token_);
        }
        if (!more) {
          // Xerces stops without reporting through the ErrorHandler only at end of input.
          rethrow_if_aborted();
          if (eof_) throw InputEnded{};
          throw StreamError("not-well-formed", "the XML parser stopped unexpectedly");
        }
      }
      return true;
    } catch (const StreamClosed&) {
      done_ = true;
      return false;
    } catch (const InputEnded&) {
      done_ = true;
      return false;
    } catch (...) {
      done_ = true;
      throw;
    }
  }

  // ---- stream structure (SAX2 ContentHandler) ----

  void startPrefixMapping(const XMLCh* const prefix, const XMLCh* const uri) override {
    // Declarations arrive just before the startElement they belong to; keep the header's
    // default namespace (the stream's content namespace).
    if (depth_ == 0 && prefix && *prefix == 0) {
      header_default_ns_ = utf8(uri);
      header_has_default_ns_ = true;
    }
  }

  void startElement(const XMLCh* const uri, const XMLCh* const localname, const XMLCh* const,
                    const xc::Attributes& attrs) override {
    ++depth_;
    if (depth_ == 1) {
      open_stream(uri, localname, attrs);
      return;
    }
    const size_t level = depth_ - 1;  // 1 = the stanza itself
    if (level > limits_.max_depth) {
      throw StreamError("policy-violation", "elements are nested deeper than " +
                                                std::to_string(limits_.max_depth) + " levels");
    }
    Element* e;
    if (level == 1) {
      stanza_ = Element(names_.get(localname), uris_.get(uri));
      e = &stanza_;
    } else {
      // The innermost open element is the only one that grows, so pointers to the open
      // elements (each living in its parent's children) stay valid.
      auto& siblings = open_.back()->nodes();
      // Most elements with element children have a few (body, stanza-id, occupant-id...):
      // one allocation instead of growing 1, 2, 4.
      if (siblings.empty()) siblings.reserve(4);
      e = &siblings.emplace_back(names_.get(localname), uris_.get(uri));
    }
    open_.push_back(e);
    add_attributes(*e, attrs);
  }

  void endElement(const XMLCh* const, const XMLCh* const, const XMLCh* const) override {
    if (depth_ == 1) {
      depth_ = 0;
      closed_ = true;
      ++events_;
      handler_.on_stream_close();
      // Stop here: Xerces would otherwise go on to read what follows the root element.
      throw StreamClosed{};
    }
    --depth_;
    open_.pop_back();
    if (open_.empty()) {
      ++events_;
      handler_.on_stanza(std::move(stanza_));
    }
  }

  void characters(const XMLCh* const chars, const XMLSize_t length) override {
    if (depth_ <= 1) {
      // Xerces flushes pending text when its input stops; a failed read is the real story.
      if (source_error_) std::rethrow_exception(source_error_);
      for (XMLSize_t i = 0; i < length; ++i) {
        if (!is_xml_space(chars[i])) {
          throw StreamError("bad-format", "character data between stanzas: \"" +
                                              utf8_prefix(chars, length, 40) + "\"");
        }
      }
      return;  // whitespace keepalive
    }
    if (length == 0) return;
    auto& nodes = open_.back()->nodes();
    if (nodes.empty() || !nodes.back().is_text()) {
      // The common case, a new text node: convert straight into its own string.
      std::string text;
      detail::append_utf8(text, chars, length);
      nodes.push_back(Element::text_node(std::move(text)));
      return;
    }
    text_.clear();
    detail::append_utf8(text_, chars, length);
    open_.back()->add_text(text_);
  }

  void ignorableWhitespace(const XMLCh* const chars, const XMLSize_t length) override {
    characters(chars, length);
  }

  void processingInstruction(const XMLCh* const target, const XMLCh* const) override {
    throw StreamError(
        "restricted-xml",
        "processing instructions are not allowed (RFC 6120 §11.1): <?" + utf8(target) + " ...?>");
  }

  // ---- restricted XML (SAX2 LexicalHandler, EntityResolver) ----

  void startDTD(const XMLCh* const name, const XMLCh* const, const XMLCh* const) override {
    throw StreamError("restricted-xml",
                      "a DOCTYPE is not allowed (RFC 6120 §11.1): <!DOCTYPE " + utf8(name));
  }
  void comment(const XMLCh* const, const XMLSize_t) override {
    throw StreamError("restricted-xml", "comments are not allowed (RFC 6120 §11.1)");
  }
  void startEntity(const XMLCh* const name) override {
    throw StreamError("restricted-xml", "entity references are not allowed: &" + utf8(name) + ";");
  }
  xc::InputSource* resolveEntity(const XMLCh* const, const XMLCh* const system_id) override {
    throw StreamError("restricted-xml", "external entities are not allowed: " + utf8(system_id));
  }

  // ---- errors (SAX ErrorHandler) ----

  void warning(const xc::SAXParseException&) override {}
  void error(const xc::SAXParseException& e) override { fail_from_xerces(e); }
  void fatalError(const xc::SAXParseException& e) override { fail_from_xerces(e); }

  [[noreturn]] void fail_from_xerces(const xc::SAXParseException& e) {
    // A refusal counts only once Xerces asked for the refused bytes: anything Xerces found
    // before that point came first.
    rethrow_if_aborted();
    if (eof_) throw InputEnded{};  // the peer closed mid-document: not a protocol error
    throw StreamError("not-well-formed", utf8(e.getMessage()) + " (line " +
                                             std::to_string(e.getLineNumber()) + ", column " +
                                             std::to_string(e.getColumnNumber()) + ")");
  }

  // ---- helpers ----

  static std::string utf8_prefix(const XMLCh* s, size_t n, size_t max_units) {
    std::string out;
    detail::append_utf8(out, s, n < max_units ? n : max_units);
    if (n > max_units) out += "...";
    return out;
  }

  void open_stream(const XMLCh* uri, const XMLCh* localname, const xc::Attributes& attrs) {
    const std::string name = utf8(localname);
    const std::string ns = utf8(uri);
    if (name != "stream" || ns != ns::stream) {
      throw StreamError("invalid-namespace", "the stream must open with <stream xmlns='" +
                                                 std::string(ns::stream) + "'>, got <" + name +
                                                 "> in namespace '" + ns + "'");
    }
    Element header(name, ns);
    add_attributes(header, attrs);
    if (header_has_default_ns_) header.set_attr("xmlns", header_default_ns_);
    ++events_;
    handler_.on_stream_open(header);
  }

  void add_attributes(Element& e, const xc::Attributes& attrs) {
    const XMLSize_t n = attrs.getLength();
    if (n > limits_.max_attributes) {
      throw StreamError(
          "policy-violation",
          "an element has more than " + std::to_string(limits_.max_attributes) + " attributes");
    }
    for (XMLSize_t i = 0; i < n; ++i) {
      const XMLCh* qname = attrs.getQName(i);
      attr_name_.clear();
      detail::append_utf8(attr_name_, qname, length16(qname));
      if (attr_name_ == "xmlns" || attr_name_.starts_with("xmlns:")) continue;
      const XMLCh* value = attrs.getValue(i);
      attr_value_.clear();
      detail::append_utf8(attr_value_, value, length16(value));
      const size_t colon = attr_name_.find(':');
      if (colon != std::string::npos && std::string_view(attr_name_).substr(0, colon) != "xml") {
        // Keep the declaration this attribute's prefix needs, or the element would
        // serialize with an unbound prefix.
        std::string decl = "xmlns:" + attr_name_.substr(0, colon);
        if (!e.has_attr(decl)) e.set_attr(decl, utf8(attrs.getURI(i)));
      }
      e.set_attr(attr_name_, attr_value_);
    }
  }

  ByteSource& source_;
  StreamHandler& handler_;
  StreamLimits limits_;
  detail::Utf8Validator utf8_;
  detail::StreamFramer framer_;
  std::optional<StreamError> pending_;  // refused bytes: raised when Xerces wants more
  bool pending_reached_ = false;        // ...which it has now done
  std::exception_ptr source_error_;     // what ByteSource::read threw
  uint64_t bytes_in_ = 0;

  xc::SecurityManager security_;
  XmlDeclCheck decl_check_;
  std::unique_ptr<xc::SAX2XMLReader> reader_;
  Source input_;
  xc::XMLPScanToken token_;
  bool started_ = false;
  bool closed_ = false;
  bool eof_ = false;
  bool done_ = false;
  uint64_t events_ = 0;

  size_t depth_ = 0;  // 1 = inside <stream:stream>, 2 = inside a stanza
  std::string header_default_ns_;
  bool header_has_default_ns_ = false;
  Element stanza_;
  std::vector<Element*> open_;  // open elements of the current stanza, outermost first
  NameCache names_;
  NameCache uris_;
  std::string text_;
  std::string attr_name_;
  std::string attr_value_;
};

StreamParser::StreamParser(ByteSource& source, StreamHandler& handler, StreamLimits limits)
    // Xerces must be initialised before any of its objects (the InputSource) is built.
    : impl_(
          (detail::ensure_xerces_initialized(), std::make_unique<Impl>(source, handler, limits))) {}

StreamParser::~StreamParser() = default;

bool StreamParser::next() {
  return impl_->next();
}

void StreamParser::run() {
  while (next()) {
  }
}

}  // namespace commonroom::xmpp
