#include "app/host_fanout.hpp"

#include <cstring>

#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace commonroom::app {

std::string HostFanout::on_connected() {
  available_.store(false, std::memory_order_release);
  carry_.store(false, std::memory_order_release);
  batch_.store(false, std::memory_order_release);
  probe_id_ = "fanout-probe-" + std::to_string(++probes_);
  std::string out = "<iq type='get' id='" + probe_id_ + "' from='";
  xmpp::append_escaped_attr(out, domain_);
  out += "' to='";
  xmpp::append_escaped_attr(out, domain_);
  out += "'><query xmlns='http://jabber.org/protocol/disco#info'/></iq>";
  out += multicast_.on_connected();
  return out;
}

bool HostFanout::take_answer(const xmpp::Element& stanza) {
  if (multicast_.take_answer(stanza)) return true;
  if (probe_id_.empty() || stanza.name() != "iq" || stanza.attr("id") != probe_id_) return false;
  const auto type = stanza.attr("type");
  // Our own question passed back to us: the host has no module (Prosody without it).
  const bool returned = type == "get" && stanza.attr("from") == domain_;
  if (type != "result" && type != "error" && !returned) return false;
  bool found = false;
  bool carries = false;
  bool batches = false;
  if (type == "result") {
    if (const auto* query = stanza.find_child("query", "http://jabber.org/protocol/disco#info")) {
      for (const auto* feature :
           query->children("feature", "http://jabber.org/protocol/disco#info")) {
        if (feature->attr("var") == kFanoutNamespace) found = true;
        if (feature->attr("var") == kCarryFeature) carries = true;
        if (feature->attr("var") == kBatchFeature) batches = true;
      }
    }
  }
  probe_id_.clear();
  carry_.store(found && carries, std::memory_order_release);
  batch_.store(found && batches, std::memory_order_release);
  available_.store(found, std::memory_order_release);
  return true;
}

bool HostFanout::write_carried(const xmpp::Element& stanza, std::string& out) const {
  if (!carry() || stanza.name() != "iq" || stanza.nodes().empty()) return false;
  const auto to = stanza.attr("to");
  if (to.empty()) return false;
  // The content as it would appear inside the stanza (the component namespace is the
  // client's on the other side, as when the host rewrites a stanza it routes).
  thread_local std::string content;
  content.clear();
  for (const auto& child : stanza.nodes()) xmpp::serialize(child, content);
  // Our serializer escapes every '>' in text and attributes, so "]]>" cannot occur; if a raw
  // fragment ever brought one, the answer goes as XML.
  if (content.size() < kCarryMinBytes || content.find("]]>") != std::string::npos) return false;
  xmpp::append_start_tag_to(stanza, domain_, out);
  out += "><carry xmlns='";
  out += kFanoutNamespace;
  out += "' to='";
  xmpp::append_escaped_attr(out, to);
  out += "'><![CDATA[";
  out += content;
  out += "]]></carry></";
  out += stanza.name();
  out += '>';
  if (content.capacity() > 1 << 20) std::string().swap(content);
  return true;
}

bool HostFanout::write_batch(const xmpp::SerializedRun& run, std::string& out) const {
  if (!batch() || run.ends.size() < 2) return false;
  // As in write_carried: our serializer never writes "]]>"; if a stanza ever held one, the
  // run goes as it is.
  if (run.bytes.find("]]>") != std::string::npos) return false;
  out += "<message from='";
  xmpp::append_escaped_attr(out, domain_);
  out += "' to='";
  xmpp::append_escaped_attr(out, domain_);
  out += "'><batch xmlns='";
  out += kFanoutNamespace;
  out += "' ends='";
  for (std::size_t i = 0; i < run.ends.size(); ++i) {
    if (i > 0) out += ' ';
    out += std::to_string(run.ends[i]);
  }
  out += "'><![CDATA[";
  out.append(run.bytes, 0, run.ends.back());
  out += "]]></batch></message>";
  return true;
}

bool HostFanout::take_returned(xmpp::Element& stanza, std::string& question, std::string& copies) {
  if (multicast_.take_bounce(stanza)) return true;
  auto& nodes = stanza.nodes();
  const auto ours = [&] {
    if (stanza.attr("to") != domain_) return false;
    const auto from = xmpp::Jid::try_parse(stanza.attr("from"));
    return from && from->domain() == domain_;  // else someone else's: the engine's
  };
  if (nodes.size() == 1 && nodes.front().is("carry", kFanoutNamespace) && ours()) {
    // A carried answer (write_carried) the module did not take: send it as plain XML.
    const std::string content = nodes.front().text();
    question = on_connected();
    if (content.empty()) return true;
    xmpp::append_start_tag_to(stanza, nodes.front().attr("to"), copies);
    copies += '>';
    copies += content;
    copies += "</";
    copies += stanza.name();
    copies += '>';
    return true;
  }
  if (nodes.size() == 1 && nodes.front().is("batch", kFanoutNamespace) && ours()) {
    // A run written by write_batch: its stanzas as they were.
    copies = nodes.front().text();
    question = on_connected();
    return true;
  }
  if (nodes.empty() || !nodes.back().is("fanout", kFanoutNamespace) || !ours()) return false;
  const std::string list = nodes.back().text();
  nodes.pop_back();
  question = on_connected();
  const xmpp::FanoutStanza copy(stanza);
  std::size_t start = 0;
  while (start < list.size()) {
    auto end = list.find(kSeparator, start);
    if (end == std::string::npos) end = list.size();
    if (end > start) copy.append_to(copies, std::string_view(list).substr(start, end - start));
    start = end + 1;
  }
  return true;
}

void HostFanout::write(const muc::Fanout& fanout, std::string& out,
                       const std::function<void(std::string& out)>& after_each) const {
  if (!module() && multicast_.available()) {
    multicast_.write(fanout, out, after_each);
    return;
  }
  const std::string& prefix = fanout.stanza->prefix();  // "<name to='"
  const std::string& suffix = fanout.stanza->suffix();  // "' attrs>content</name>" or "' attrs/>"
  const std::string_view name(prefix.data() + 1, prefix.size() - 6);
  const bool empty = suffix.size() >= 2 && suffix.compare(suffix.size() - 2, 2, "/>") == 0;
  const std::size_t head = suffix.size() - (empty ? 2 : name.size() + 3);

  std::size_t next = 0;
  const std::size_t count = fanout.recipient_count();
  while (next < count) {
    const std::string_view jid = fanout.recipient(next);
    if (jid.find(kSeparator) != std::string_view::npos) {
      fanout.stanza->append_to(out, jid);
      after_each(out);
      ++next;
      continue;
    }
    out += prefix;
    xmpp::append_escaped_attr(out, domain_);
    out.append(suffix, 0, head);
    if (empty) out += '>';
    out += "<fanout xmlns='";
    out += kFanoutNamespace;
    out += "'>";
    std::size_t listed = 0;
    for (; next < count && listed < kListBytes; ++next) {
      const std::string_view j = fanout.recipient(next);
      if (j.find(kSeparator) != std::string_view::npos) break;
      if (listed > 0) out += kSeparator;
      xmpp::append_escaped_text(out, j);
      listed += j.size() + 1;
    }
    out += "</fanout></";
    out += name;
    out += '>';
    after_each(out);
  }
}

}  // namespace commonroom::app
