// Test doubles for the stream parser: a chunking byte source and an event recorder.
#pragma once
#include <algorithm>
#include <cstring>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "xmpp/serializer.hpp"
#include "xmpp/stream_parser.hpp"

namespace commonroom::xmpp::testing {

// Hands out at most `chunk` bytes per read. Once the data is used up it either reports end
// of input (read() returns 0) or, like a socket with nothing more to come, would block:
// then it throws, so a test fails if the parser reads ahead of what it needs.
class ChunkedSource : public ByteSource {
 public:
  enum class AtEnd { eof, would_block };
  ChunkedSource(std::string data, size_t chunk, AtEnd at_end = AtEnd::would_block)
      : data_(std::move(data)), chunk_(chunk), at_end_(at_end) {}

  size_t read(char* buffer, size_t capacity) override {
    ++reads_;
    if (pos_ == data_.size()) {
      if (at_end_ == AtEnd::eof) return 0;
      throw std::logic_error("the parser read past the available bytes (it would block here)");
    }
    const size_t n = std::min({chunk_, capacity, data_.size() - pos_});
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  size_t consumed() const { return pos_; }
  size_t reads() const { return reads_; }
  // More bytes "arrive" on the connection.
  void append(const std::string& more) { data_ += more; }

 private:
  std::string data_;
  size_t chunk_;
  AtEnd at_end_;
  size_t pos_ = 0;
  size_t reads_ = 0;
};

// Records every event as one line of text: the header's attributes, each stanza serialized
// (as inside a jabber:component:accept stream), and the close.
class Recorder : public StreamHandler {
 public:
  void on_stream_open(const Element& header) override {
    std::string line = "open " + header.name() + " {" + header.xmlns() + "}";
    for (const auto& a : header.attributes()) line += " " + a.name + "=" + a.value;
    events.push_back(line);
    headers.push_back(header);
  }
  void on_stanza(Element&& stanza) override {
    events.push_back("stanza " + to_string(stanza));
    stanzas.push_back(std::move(stanza));
  }
  void on_stream_close() override { events.push_back("close"); }

  std::vector<std::string> events;
  std::vector<Element> headers;
  std::vector<Element> stanzas;
};

struct ParseOutcome {
  std::vector<std::string> events;
  std::optional<std::string> condition;  // set when a StreamError was thrown
  std::string text;
};

// Runs the parser to the end (close, end of input or StreamError).
inline ParseOutcome parse_all(const std::string& input, size_t chunk, StreamLimits limits = {},
                              ChunkedSource::AtEnd at_end = ChunkedSource::AtEnd::eof) {
  ChunkedSource source(input, chunk, at_end);
  Recorder recorder;
  ParseOutcome out;
  try {
    StreamParser parser(source, recorder, limits);
    parser.run();
  } catch (const StreamError& e) {
    out.condition = e.condition();
    out.text = e.text();
  }
  out.events = std::move(recorder.events);
  return out;
}

inline constexpr const char* kHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
    "xmlns:stream='http://etherx.jabber.org/streams' from='conference.cam.example' "
    "id='s1'>";

}  // namespace commonroom::xmpp::testing
