#include "xmpp/parse_element.hpp"

#include <algorithm>
#include <cstring>
#include <optional>
#include <string>

namespace commonroom::xmpp {

namespace {

class StringSource : public ByteSource {
 public:
  explicit StringSource(std::string data) : data_(std::move(data)) {}
  size_t read(char* buffer, size_t capacity) override {
    size_t n = std::min(capacity, data_.size() - pos_);
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string data_;
  size_t pos_ = 0;
};

class OneElement : public StreamHandler {
 public:
  void on_stream_open(const Element&) override {}
  void on_stanza(Element&& stanza) override {
    if (element) throw StreamError("not-well-formed", "more than one element in the fragment");
    element = std::move(stanza);
  }
  void on_stream_close() override {}
  std::optional<Element> element;
};

}  // namespace

Element parse_element(std::string_view xml, std::string_view stream_xmlns, StreamLimits limits) {
  std::string doc = "<stream:stream xmlns='";
  doc.append(stream_xmlns);
  doc += "' xmlns:stream='";
  doc.append(ns::stream);
  doc += "'>";
  doc.append(xml);
  doc += "</stream:stream>";
  StringSource source(std::move(doc));
  OneElement handler;
  StreamParser parser(source, handler, limits);
  parser.run();
  if (!handler.element) throw StreamError("not-well-formed", "the fragment holds no element");
  return std::move(*handler.element);
}

}  // namespace commonroom::xmpp
