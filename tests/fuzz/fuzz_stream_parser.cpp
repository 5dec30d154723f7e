// libFuzzer target for the stream parser: arbitrary bytes after a fixed stream header, cut
// into reads at fuzzer-chosen sizes. Any outcome other than events or a StreamError is a bug
// (ASan catches memory errors), and so is any difference from parsing the same bytes in one
// read: chunk boundaries must never change what the parser delivers.
//
// Input layout: byte 0 = how many chunk-size bytes follow (mod 8); each of those is a read
// size (1..256, used in turn); the rest is the stream body.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <vector>

#include "xmpp/serializer.hpp"
#include "xmpp/stream_parser.hpp"

namespace {

using commonroom::xmpp::ByteSource;
using commonroom::xmpp::Element;
using commonroom::xmpp::StreamError;
using commonroom::xmpp::StreamHandler;
using commonroom::xmpp::StreamLimits;
using commonroom::xmpp::StreamParser;

constexpr char kHeader[] =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
    "xmlns:stream='http://etherx.jabber.org/streams' from='fuzz.example' id='f'>";

class ChunkSource final : public ByteSource {
 public:
  ChunkSource(const std::string& data, std::vector<size_t> sizes)
      : data_(data), sizes_(std::move(sizes)) {}
  size_t read(char* buffer, size_t capacity) override {
    if (pos_ == data_.size()) return 0;
    size_t want = sizes_.empty() ? capacity : sizes_[turn_++ % sizes_.size()];
    const size_t n = std::min({want, capacity, data_.size() - pos_});
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  const std::string& data_;
  std::vector<size_t> sizes_;
  size_t pos_ = 0;
  size_t turn_ = 0;
};

class Recorder final : public StreamHandler {
 public:
  void on_stream_open(const Element& header) override {
    std::string line = "open";
    for (const auto& a : header.attributes()) line += " " + a.name + "=" + a.value;
    events.push_back(std::move(line));
  }
  void on_stanza(Element&& stanza) override {
    events.push_back(commonroom::xmpp::to_string(stanza));
  }
  void on_stream_close() override { events.push_back("close"); }
  std::vector<std::string> events;
};

struct Outcome {
  std::vector<std::string> events;
  std::optional<std::string> condition;
};

Outcome parse(const std::string& data, std::vector<size_t> sizes) {
  StreamLimits limits;
  limits.max_stanza_bytes = 2048;  // small, so the limit paths are reached
  limits.max_depth = 8;
  limits.max_attributes = 8;
  ChunkSource source(data, std::move(sizes));
  Recorder recorder;
  Outcome out;
  try {
    StreamParser parser(source, recorder, limits);
    parser.run();
  } catch (const StreamError& e) {
    out.condition = e.condition();
  }
  out.events = std::move(recorder.events);
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t n_sizes = std::min<size_t>(data[0] % 8, size - 1);
  std::vector<size_t> sizes;
  for (size_t i = 0; i < n_sizes; ++i) sizes.push_back(static_cast<size_t>(data[1 + i]) + 1);
  const std::string stream =
      std::string(kHeader) +
      std::string(reinterpret_cast<const char*>(data) + 1 + n_sizes, size - 1 - n_sizes);
  const Outcome chunked = parse(stream, sizes);
  const Outcome whole = parse(stream, {});
  if (chunked.events != whole.events || chunked.condition != whole.condition) {
    std::fprintf(stderr, "chunking changed the outcome: %zu vs %zu events, %s vs %s\n",
                 chunked.events.size(), whole.events.size(),
                 chunked.condition.value_or("(none)").c_str(),
                 whole.condition.value_or("(none)").c_str());
    std::abort();
  }
  return 0;
}
