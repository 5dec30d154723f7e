#include "xmpp/outbox.hpp"

#include <algorithm>

#include "xmpp/parse_element.hpp"
#include "xmpp/serializer.hpp"

namespace commonroom::xmpp {

std::size_t Outbox::stanza_count() const {
  std::size_t n = outbound.size();
  for (const auto& f : fanouts) n += f.recipient_count();
  for (const auto& r : runs) n += r.ends.size();
  return n;
}

std::size_t Outbox::held_bytes() const {
  constexpr std::size_t kElementBytes = 1024;  // a presence or reply as a tree, roughly
  std::size_t n = outbound.size() * kElementBytes;
  for (const auto& f : fanouts) {
    n += f.stanza->prefix().size() + f.stanza->suffix().size();
    n += f.recipients.capacity() * sizeof(Jid);  // the JIDs' text is the sessions'
    n += f.addresses.capacity() + f.address_ends.capacity() * sizeof(f.address_ends[0]);
  }
  for (const auto& r : runs) n += r.bytes.capacity() + r.ends.capacity() * sizeof(r.ends[0]);
  return n;
}

void Outbox::add_serialized(const Element& stanza, std::size_t expected_more) {
  // Runs hold at most about this much: a roster of thousands of presences is then many
  // small blocks that malloc reuses from one join to the next, instead of one large block
  // grown by doubling (half of it unused, copied at every step, and left in the heap).
  constexpr std::size_t kRunBytes = 32 * 1024;
  SerializedRun* run = nullptr;
  if (!runs.empty() && runs.back().position == outbound.size() &&
      runs.back().fanout_position == fanouts.size() && runs.back().bytes.size() < kRunBytes) {
    run = &runs.back();
  } else {
    run = &runs.emplace_back();
    run->position = outbound.size();
    run->fanout_position = fanouts.size();
  }
  const std::size_t start = run->bytes.size();
  serialize(stanza, run->bytes);
  if (start == 0 && expected_more > 0) {
    // Sized once from the first stanza (plus slack for longer ones) rather than doubled.
    const std::size_t each = run->bytes.size();
    const std::size_t count = std::min(expected_more + 1, kRunBytes / each + 1);
    run->bytes.reserve(count * each + count * each / 8);
    run->ends.reserve(count);
  }
  run->ends.push_back(static_cast<std::uint32_t>(run->bytes.size()));
}

void Outbox::append(Outbox&& later) {
  const std::size_t offset = outbound.size(), fanout_offset = fanouts.size();
  for (auto& e : later.outbound) outbound.push_back(std::move(e));
  for (auto& f : later.fanouts) {
    f.position += offset;
    fanouts.push_back(std::move(f));
  }
  for (auto& r : later.runs) {
    r.position += offset;
    r.fanout_position += fanout_offset;
    runs.push_back(std::move(r));
  }
  for (auto& d : later.dropped) dropped.push_back(std::move(d));
}

Element Outbox::take_outbound(std::size_t index) {
  Element taken = std::move(outbound[index]);
  outbound.erase(outbound.begin() + static_cast<std::ptrdiff_t>(index));
  for (auto& f : fanouts)
    if (f.position > index) --f.position;
  for (auto& r : runs)
    if (r.position > index) --r.position;
  return taken;
}

void Outbox::drop_to(const Jid& bare) {
  auto addressed = [&](std::string_view to) {
    const auto jid = Jid::try_parse(to);
    return jid && jid->same_bare(bare);
  };
  for (std::size_t i = outbound.size(); i-- > 0;)
    if (addressed(outbound[i].attr("to"))) take_outbound(i);
  for (auto& f : fanouts) {
    std::erase_if(f.recipients, [&](const Jid& j) { return j.same_bare(bare); });
    if (f.address_ends.empty()) continue;
    std::string addresses;
    std::vector<std::uint32_t> ends;
    for (std::size_t i = 0; i < f.address_ends.size(); ++i) {
      if (addressed(f.recipient(i))) continue;
      addresses.append(f.recipient(i));
      ends.push_back(static_cast<std::uint32_t>(addresses.size()));
    }
    f.addresses = std::move(addresses);
    f.address_ends = std::move(ends);
  }
  for (auto& r : runs) {
    std::string bytes;
    std::vector<std::uint32_t> ends;
    std::uint32_t begin = 0;
    for (const std::uint32_t end : r.ends) {
      const std::string_view text = std::string_view(r.bytes).substr(begin, end - begin);
      begin = end;
      if (addressed(parse_element(text).attr("to"))) continue;
      bytes.append(text);
      ends.push_back(static_cast<std::uint32_t>(bytes.size()));
    }
    r.bytes = std::move(bytes);
    r.ends = std::move(ends);
  }
  std::erase_if(runs, [](const SerializedRun& r) { return r.ends.empty(); });
}

void Outbox::detach_recipients() {
  for (auto& f : fanouts) {
    if (f.recipients.empty()) continue;
    // Sized from the first JID: a room's occupants' JIDs are of much the same length.
    const std::size_t n = f.recipients.size();
    f.addresses.reserve(n * (f.recipients.front().full().size() + 8));
    f.address_ends.reserve(n);
    for (const Jid& to : f.recipients) {
      f.addresses.append(to.full());
      f.address_ends.push_back(static_cast<std::uint32_t>(f.addresses.size()));
    }
    std::vector<Jid>().swap(f.recipients);
  }
}

std::string_view Fanout::recipient_domain(std::size_t i) const {
  if (!recipients.empty()) return recipients[i].domain();
  // A prepared JID: the node has no '@' or '/', the domain neither, so the domain runs from
  // the first '@' before the first '/' (if any) to that '/'.
  const std::string_view full = recipient(i);
  const std::string_view bare = full.substr(0, full.find('/'));
  const std::size_t at = bare.find('@');
  return at == std::string_view::npos ? bare : bare.substr(at + 1);
}

void append_in_order(const Outbox& outbox, std::string& out,
                     const std::function<void(std::string& out)>& after_each,
                     const FanoutWriter& write_fanout, const OutboundWriter& write_outbound,
                     const RunWriter& write_run) {
  std::size_t next = 0;
  auto flush_until = [&](std::size_t end) {
    for (; next < end && next < outbox.outbound.size(); ++next) {
      const Element& stanza = outbox.outbound[next];
      if (!write_outbound || !write_outbound(stanza, out)) serialize(stanza, out);
      after_each(out);
    }
  };
  // Fan-outs and runs each keep the order they were added in; a run goes before the
  // fan-outs added after it (index >= its fanout_position).
  std::size_t f = 0, r = 0;
  while (f < outbox.fanouts.size() || r < outbox.runs.size()) {
    if (r < outbox.runs.size() &&
        (f == outbox.fanouts.size() || outbox.runs[r].fanout_position <= f)) {
      const SerializedRun& run = outbox.runs[r++];
      flush_until(run.position);
      if (write_run && write_run(run, out)) {
        after_each(out);
        continue;
      }
      std::size_t start = 0;
      for (std::size_t end : run.ends) {
        out.append(run.bytes, start, end - start);
        after_each(out);
        start = end;
      }
      continue;
    }
    const Fanout& fanout = outbox.fanouts[f++];
    flush_until(fanout.position);
    if (write_fanout) {
      write_fanout(fanout, out, after_each);
      continue;
    }
    for (std::size_t i = 0, n = fanout.recipient_count(); i < n; ++i) {
      fanout.stanza->append_to(out, fanout.recipient(i));
      after_each(out);
    }
  }
  flush_until(outbox.outbound.size());
}

void write_in_order(const Outbox& outbox, const std::function<void(std::string_view)>& write) {
  std::string buffer;
  append_in_order(outbox, buffer, [&](std::string& out) {
    write(out);
    out.clear();
  });
}

}  // namespace commonroom::xmpp
