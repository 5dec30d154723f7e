// Stream parser benchmark: how much of bare Xerces SAX2 speed is left once stanzas become
// Elements, next to memcpy, the serializer and the fan-out writer. One thread, data in
// memory, median of five runs. Target: StreamParser >= 60% of bare Xerces.
#include <xercesc/framework/XMLPScanToken.hpp>
#include <xercesc/sax/InputSource.hpp>
#include <xercesc/sax2/DefaultHandler.hpp>
#include <xercesc/util/BinInputStream.hpp>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "xmpp/serializer.hpp"
#include "xmpp/stream_parser.hpp"
#include "xmpp/stream_parser_xerces.hpp"

namespace {

namespace xc = xercesc;
using commonroom::xmpp::ByteSource;
using commonroom::xmpp::Element;
using commonroom::xmpp::FanoutStanza;
using commonroom::xmpp::StreamHandler;
using commonroom::xmpp::StreamParser;

constexpr size_t kReadSize = 48 * 1024;  // what Xerces asks for per read
constexpr size_t kTargetBytes = 50u << 20;
constexpr int kRuns = 5;

const char* const kHeader =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
    "xmlns:stream='http://etherx.jabber.org/streams' from='conference.cam.example' "
    "id='bench'>";

// Typical groupchat traffic: a reflected message with XEP-0359 stanza-id and XEP-0421
// occupant-id, bodies of varied length, one in four with non-ASCII text.
std::string make_stream(size_t target, size_t& stanza_count) {
  std::mt19937 rng(42);
  const char* const words[] = {"lecture", "tomorrow", "supervision", "the", "essay",
                               "formal",  "hall",     "punting",     "is",  "at",
                               "library", "college",  "deadline",    "we",  "notes"};
  const char* const utf8_words[] = {"caf\xC3\xA9",
                                    "\xE2\x82\xAC"
                                    "5",
                                    "na\xC3\xAFve",
                                    "\xF0\x9F\x98\x80",
                                    "\xE4\xB8\xAD\xE6\x96\x87",
                                    "Gr\xC3\xBC\xC3\x9F"
                                    "e"};
  std::string s = kHeader;
  s.reserve(target + 1024);
  stanza_count = 0;
  while (s.size() < target) {
    const unsigned room = rng() % 200, sender = rng() % 5000, recipient = rng() % 5000;
    const std::string room_jid = "room" + std::to_string(room) + "@conference.cam.example";
    std::string body;
    const bool non_ascii = rng() % 4 == 0;
    const size_t n_words = 3 + rng() % 9;
    for (size_t w = 0; w < n_words; ++w) {
      if (w) body += ' ';
      body += (non_ascii && w % 3 == 1) ? utf8_words[rng() % 6] : words[rng() % 15];
    }
    if (rng() % 8 == 0) body += " &amp; more &lt;3";
    char id[24];
    std::snprintf(id, sizeof id, "%08x%04x", static_cast<unsigned>(rng()),
                  static_cast<unsigned>(rng() & 0xFFFF));
    s += "<message from='" + room_jid + "/Student " + std::to_string(sender) + "' to='ab" +
         std::to_string(recipient) + "@cam.example/laptop' id='" + id +
         "' type='groupchat'><body>" + body + "</body><stanza-id xmlns='urn:xmpp:sid:0' id='" + id +
         "s' by='" + room_jid + "'/><occupant-id xmlns='urn:xmpp:occupant-id:0' id='occ" +
         std::to_string(sender) + "'/></message>";
    if (stanza_count % 50 == 49) s += "\n";  // an occasional keepalive
    ++stanza_count;
  }
  s += "</stream:stream>";
  return s;
}

// Thread CPU time, not wall time: the machines this runs on are shared (2 cores, several
// builds), and time spent descheduled says nothing about the parser.
double cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double time_once(const std::function<void()>& run) {
  const double start = cpu_seconds();
  run();
  return cpu_seconds() - start;
}

double median_seconds(const std::function<void()>& run) {
  std::vector<double> t;
  for (int i = 0; i < kRuns; ++i) t.push_back(time_once(run));
  return median(t);
}

// ---- (b) bare Xerces ----

class MemoryStream final : public xc::BinInputStream {
 public:
  explicit MemoryStream(const std::string& data) : data_(data) {}
  XMLFilePos curPos() const override { return pos_; }
  XMLSize_t readBytes(XMLByte* const to_fill, const XMLSize_t max) override {
    const size_t n = std::min({max, kReadSize, data_.size() - pos_});
    std::memcpy(to_fill, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }
  const XMLCh* getContentType() const override { return nullptr; }

 private:
  const std::string& data_;
  size_t pos_ = 0;
};

class MemorySource final : public xc::InputSource {
 public:
  explicit MemorySource(const std::string& data) : data_(data) {
    static const XMLCh kUtf8[] = u"UTF-8";
    setEncoding(kUtf8);
  }
  xc::BinInputStream* makeStream() const override { return new MemoryStream(data_); }

 private:
  const std::string& data_;
};

class CountingSaxHandler final : public xc::DefaultHandler {
 public:
  void endElement(const XMLCh* const, const XMLCh* const, const XMLCh* const) override { ++ends; }
  size_t ends = 0;
};

size_t bare_xerces(const std::string& data) {
  xc::SecurityManager security;
  auto reader = commonroom::xmpp::detail::make_stream_reader(security);
  CountingSaxHandler handler;
  reader->setContentHandler(&handler);
  reader->setErrorHandler(&handler);
  MemorySource source(data);
  xc::XMLPScanToken token;
  bool more = reader->parseFirst(source, token);
  while (more) more = reader->parseNext(token);
  return handler.ends;
}

// ---- (c) StreamParser ----

class MemoryByteSource final : public ByteSource {
 public:
  explicit MemoryByteSource(const std::string& data) : data_(data) {}
  size_t read(char* buffer, size_t capacity) override {
    const size_t n = std::min({capacity, kReadSize, data_.size() - pos_});
    std::memcpy(buffer, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  const std::string& data_;
  size_t pos_ = 0;
};

class CollectingHandler final : public StreamHandler {
 public:
  explicit CollectingHandler(size_t keep) : keep_(keep) {}
  void on_stream_open(const Element&) override {}
  void on_stanza(Element&& stanza) override {
    ++stanzas;
    if (kept.size() < keep_) kept.push_back(std::move(stanza));
  }
  void on_stream_close() override {}
  size_t stanzas = 0;
  std::vector<Element> kept;

 private:
  size_t keep_;
};

size_t stream_parser(const std::string& data, std::vector<Element>* keep = nullptr,
                     size_t keep_count = 0) {
  MemoryByteSource source(data);
  CollectingHandler handler(keep ? keep_count : 0);
  StreamParser parser(source, handler);
  parser.run();
  if (keep) *keep = std::move(handler.kept);
  return handler.stanzas;
}

void report(const char* what, double seconds, size_t bytes, size_t items, const char* item_name) {
  std::printf("  %-44s %9.1f MB/s %12.0f %s/s   (%.3f s CPU)\n", what,
              static_cast<double>(bytes) / seconds / 1e6, static_cast<double>(items) / seconds,
              item_name, seconds);
}

}  // namespace

int main(int argc, char** argv) {
  size_t expected_stanzas = 0;
  const std::string data = make_stream(kTargetBytes, expected_stanzas);
  // "parser_bench parser" or "parser_bench sax": only that stage, for a profiler.
  const std::string only = argc > 1 ? argv[1] : "";
  if (only == "parser" || only == "sax") {
    const double t = median_seconds([&] {
      if (only == "parser")
        stream_parser(data);
      else
        bare_xerces(data);
    });
    report(only.c_str(), t, data.size(), expected_stanzas, "stanzas");
    return 0;
  }
  std::printf(
      "parser_bench: %.1f MB stream, %zu stanzas (%.0f bytes each on average), "
      "%zu-byte reads, median of %d runs, thread CPU time\n",
      static_cast<double>(data.size()) / 1e6, expected_stanzas,
      static_cast<double>(data.size()) / static_cast<double>(expected_stanzas), kReadSize, kRuns);

  // (a) the ceiling: copying the bytes
  std::string copy(data.size(), '\0');
  const double t_memcpy = median_seconds([&] {
    std::memcpy(copy.data(), data.data(), data.size());
    asm volatile("" : : "r"(copy.data()) : "memory");
  });

  // (b) bare Xerces SAX2 (same reader configuration, empty handlers) and (c) StreamParser
  // into Elements, alternating so that both see the same machine load.
  size_t sax_ends = 0;
  size_t parsed = 0;
  std::vector<double> sax_times, parser_times, ratios;
  for (int i = 0; i < kRuns; ++i) {
    sax_times.push_back(time_once([&] { sax_ends = bare_xerces(data); }));
    parser_times.push_back(time_once([&] { parsed = stream_parser(data); }));
    ratios.push_back(sax_times.back() / parser_times.back());
  }
  const double t_sax = median(sax_times);
  const double t_parser = median(parser_times);
  // every stanza has 4 elements, plus the root
  if (sax_ends != expected_stanzas * 4 + 1) {
    std::printf("FAIL: bare Xerces saw %zu end tags, expected %zu\n", sax_ends,
                expected_stanzas * 4 + 1);
    return 1;
  }
  if (parsed != expected_stanzas) {
    std::printf("FAIL: StreamParser delivered %zu stanzas, expected %zu\n", parsed,
                expected_stanzas);
    return 1;
  }

  // (d) serializer over parsed stanzas (a sample, serialized as many times as the stream has
  // stanzas), and the fan-out writer for 1,000 recipients
  std::vector<Element> sample;
  stream_parser(data, &sample, 10000);
  size_t out_bytes = 0;
  std::string sink;
  const double t_serialize = median_seconds([&] {
    out_bytes = 0;
    for (size_t i = 0; i < expected_stanzas; ++i) {
      sink = commonroom::xmpp::to_string(sample[i % sample.size()]);
      out_bytes += sink.size();
    }
  });

  constexpr size_t kRecipients = 1000;
  constexpr size_t kFanoutStanzas = 1000;
  std::vector<std::string> recipients;
  for (size_t r = 0; r < kRecipients; ++r) {
    recipients.push_back("member" + std::to_string(r) + "@cam.example/device" +
                         std::to_string(r % 3));
  }
  size_t fanout_bytes = 0;
  std::string out;
  out.reserve(1 << 20);
  const double t_fanout = median_seconds([&] {
    fanout_bytes = 0;
    for (size_t i = 0; i < kFanoutStanzas; ++i) {
      const FanoutStanza f(sample[i % sample.size()]);
      for (const auto& to : recipients) {
        f.append_to(out, to);
        if (out.size() > (1 << 20) - 4096) {  // "written to the sockets"
          fanout_bytes += out.size();
          out.clear();
        }
      }
    }
    fanout_bytes += out.size();
    out.clear();
  });

  std::printf("results:\n");
  report("(a) memcpy", t_memcpy, data.size(), expected_stanzas, "stanzas");
  report("(b) bare Xerces SAX2, empty handlers", t_sax, data.size(), expected_stanzas, "stanzas");
  report("(c) StreamParser -> Elements", t_parser, data.size(), expected_stanzas, "stanzas");
  report("(d) serializer to_string", t_serialize, out_bytes, expected_stanzas, "stanzas");
  report("(e) FanoutStanza::append_to, 1000 recipients", t_fanout, fanout_bytes,
         kFanoutStanzas * kRecipients, "copies");
  // The median of the per-pair ratios: each pair ran back to back under the same load.
  const double c_over_b = median(ratios);
  const double c_over_a = t_memcpy / t_parser;
  std::printf(
      "ratios: c/b = %.1f%% (median of %d back-to-back pairs; ratio of medians %.1f%%)"
      "   c/a = %.2f%%\n",
      100 * c_over_b, kRuns, 100 * t_sax / t_parser, 100 * c_over_a);
  const bool pass = c_over_b >= 0.60;
  std::printf("%s: StreamParser runs at %.0f%% of bare Xerces SAX2 (target >= 60%%)\n",
              pass ? "PASS" : "FAIL", 100 * c_over_b);
  return pass ? 0 : 1;
}
