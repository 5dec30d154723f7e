// Discussion history (muc#maxhistoryfetch): what the room keeps and what a newcomer gets,
// limited by <history maxchars maxstanzas seconds since/> (§7.2.13-14), each message
// stamped with a XEP-0203 delay.
#include <charconv>

#include "muc/engine.hpp"
#include "muc/features/feature.hpp"
#include "muc/timestamp.hpp"
#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace commonroom::muc {

namespace {

std::optional<std::uint64_t> non_negative(std::string_view s) {
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return n;
}

class History : public RoomFeature {
 public:
  std::string_view name() const override { return "history"; }
  void add_config_fields(const RoomConfig& c, const Limits&,
                         std::vector<xmpp::FormField>& out) const override {
    out.push_back(text_field("muc#maxhistoryfetch", std::to_string(c.max_history),
                             "Maximum Number of History Messages Returned by Room"));
  }
  std::optional<std::string> read_config(const xmpp::DataForm& form, const Limits& limits,
                                         RoomConfig& next) const override {
    const xmpp::FormField* f = form.field("muc#maxhistoryfetch");
    if (!f || f->values.empty()) return std::nullopt;
    auto n = non_negative(f->value());
    if (!n)
      return "muc#maxhistoryfetch: expected a number, got \"" + std::string(f->value()) + "\"";
    if (*n > limits.max_history) {
      return "muc#maxhistoryfetch: rooms here keep at most " + std::to_string(limits.max_history) +
             " messages";
    }
    next.max_history = static_cast<std::uint32_t>(*n);
    return std::nullopt;
  }
  void add_roominfo_fields(const Room& room, std::vector<xmpp::FormField>& out) const override {
    out.push_back(text_field("muc#maxhistoryfetch", std::to_string(room.config().max_history),
                             "Maximum Number of History Messages Returned by Room"));
  }
  bool changed(const RoomConfig& a, const RoomConfig& b) const override {
    return a.max_history != b.max_history;
  }
};

}  // namespace

void Engine::send_history(Ctx& ctx, const Room& room, const xmpp::Jid& to,
                          const xmpp::Element* request) {
  const auto& history = room.history();
  if (history.empty()) return;
  std::optional<std::uint64_t> maxchars, maxstanzas;
  std::optional<TimePoint> since;
  if (request) {
    // Malformed limits are ignored, as if absent: the room's own limit still applies.
    if (request->has_attr("maxchars")) maxchars = non_negative(request->attr("maxchars"));
    if (request->has_attr("maxstanzas")) maxstanzas = non_negative(request->attr("maxstanzas"));
    if (request->has_attr("seconds")) {
      if (auto s = non_negative(request->attr("seconds"))) {
        since = ctx.now - std::chrono::seconds(
                              static_cast<std::int64_t>(std::min<std::uint64_t>(*s, 1ull << 40)));
      }
    }
    if (request->has_attr("since")) {
      if (auto t = parse_timestamp(request->attr("since")); t && (!since || *t > *since)) since = t;
    }
  }
  // The smallest history meeting every limit (§7.2.14): by time, then count, then size.
  size_t begin = 0;
  if (since) {
    while (begin < history.size() && history[begin].at < *since) ++begin;
  }
  if (maxstanzas && history.size() - begin > *maxstanzas) begin = history.size() - *maxstanzas;
  std::vector<xmpp::Element> out;
  for (size_t i = begin; i < history.size(); ++i) {
    xmpp::Element m = *history[i].message;
    m.set_attr("to", to.full());
    xmpp::Element& delay = m.add_child("delay", std::string(xmpp::ns::delay));
    delay.set_attr("from", room.jid_str());
    delay.set_attr("stamp", format_timestamp(history[i].at));
    out.push_back(std::move(m));
  }
  size_t first = 0;
  if (maxchars) {
    // Whole stanzas only, counting their complete XML, newest first.
    std::uint64_t total = 0;
    first = out.size();
    while (first > 0) {
      std::uint64_t size = xmpp::to_string(out[first - 1]).size();
      if (total + size > *maxchars) break;
      total += size;
      --first;
    }
  }
  // Serialized as built, after the self-presence (send_join_sequence).
  for (size_t i = first; i < out.size(); ++i) ctx.out.add_serialized(out[i], out.size() - i);
}

const RoomFeature& history_feature() {
  static const History kFeature;
  return kFeature;
}

}  // namespace commonroom::muc
