#include "app/host_fanout.hpp"

#include <cstring>

#include "xmpp/namespaces.hpp"
#include "xmpp/serializer.hpp"

namespace commonroom::app {

std::string HostFanout::on_connected() {
  available_.store(false, std::memory_order_release);
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
  if (type == "result") {
    if (const auto* query = stanza.find_child("query", "http://jabber.org/protocol/disco#info")) {
      for (const auto* feature :
           query->children("feature", "http://jabber.org/protocol/disco#info"))
        if (feature->attr("var") == kFanoutNamespace) found = true;
    }
  }
  probe_id_.clear();
  available_.store(found, std::memory_order_release);
  return true;
}

bool HostFanout::take_returned(xmpp::Element& stanza, std::string& question, std::string& copies) {
  if (multicast_.take_bounce(stanza)) return true;
  auto& nodes = stanza.nodes();
  if (nodes.empty() || !nodes.back().is("fanout", kFanoutNamespace)) return false;
  if (stanza.attr("to") != domain_) return false;
  const auto from = xmpp::Jid::try_parse(stanza.attr("from"));
  if (!from || from->domain() != domain_) return false;  // someone else's: the engine's
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
