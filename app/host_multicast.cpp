#include "app/host_multicast.hpp"

#include <charconv>
#include <limits>

#include "xmpp/serializer.hpp"

namespace commonroom::app {

namespace {

constexpr std::string_view kDiscoInfo = "http://jabber.org/protocol/disco#info";
constexpr std::string_view kDataForms = "jabber:x:data";

// A limit the service advertises: a number, or "infinite" (ejabberd's word for none).
std::size_t parse_limit(std::string_view text, std::size_t fallback) {
  if (text == "infinite") return std::numeric_limits<std::size_t>::max();
  std::size_t n = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (error != std::errc() || end != text.data() + text.size() || n == 0) return fallback;
  return n;
}

}  // namespace

HostMulticast::HostMulticast(std::string domain) : domain_(std::move(domain)) {
  const auto dot = domain_.find('.');
  if (dot != std::string::npos && dot + 1 < domain_.size()) parent_ = domain_.substr(dot + 1);
}

std::string HostMulticast::on_connected() {
  {
    std::lock_guard lock(mutex_);
    service_.reset();
  }
  if (parent_.empty()) return {};
  ++probes_;
  const std::string targets[2] = {parent_, "multicast." + parent_};
  std::string out;
  for (int i = 0; i < 2; ++i) {
    probe_ids_[i] = "multicast-probe-" + std::to_string(probes_) + "-" + std::to_string(i);
    out += "<iq type='get' id='" + probe_ids_[i] + "' from='";
    xmpp::append_escaped_attr(out, domain_);
    out += "' to='";
    xmpp::append_escaped_attr(out, targets[i]);
    out += "'><query xmlns='";
    out += kDiscoInfo;
    out += "'/></iq>";
  }
  return out;
}

bool HostMulticast::take_answer(const xmpp::Element& stanza) {
  if (stanza.name() != "iq") return false;
  const auto id = stanza.attr("id");
  int which = -1;
  for (int i = 0; i < 2; ++i)
    if (!probe_ids_[i].empty() && id == probe_ids_[i]) which = i;
  if (which < 0) return false;
  const auto type = stanza.attr("type");
  // Our own question passed back to us: nobody at that address but us.
  const bool returned = type == "get" && stanza.attr("from") == domain_;
  if (type != "result" && type != "error" && !returned) return false;
  probe_ids_[which].clear();
  if (type != "result") return true;
  const auto* query = stanza.find_child("query", kDiscoInfo);
  if (!query) return true;
  bool supported = false;
  for (const auto* feature : query->children("feature", kDiscoInfo))
    if (feature->attr("var") == kAddressNamespace) supported = true;
  if (!supported) return true;

  auto found = std::make_shared<Service>();
  found->jid = std::string(stanza.attr("from"));
  found->users_domain = parent_;
  for (const auto* form : query->children("x", kDataForms)) {
    bool ours = false;
    for (const auto* field : form->children("field", kDataForms))
      if (field->attr("var") == "FORM_TYPE" &&
          field->child_text("value", kDataForms) == kAddressNamespace)
        ours = true;
    if (!ours) continue;
    for (const auto* field : form->children("field", kDataForms)) {
      const auto var = field->attr("var");
      const auto value = field->child_text("value", kDataForms);
      if (var == "message") found->message_limit = parse_limit(value, kDefaultLimit);
      if (var == "presence") found->presence_limit = parse_limit(value, kDefaultLimit);
    }
  }
  std::lock_guard lock(mutex_);
  // The host's own answer wins over the conventional address: ask once, use one.
  if (!service_ || found->jid == parent_) service_ = std::move(found);
  return true;
}

bool HostMulticast::take_bounce(const xmpp::Element& stanza) {
  if (stanza.name() != "message" && stanza.name() != "presence") return false;
  if (stanza.attr("type") != "error" || !stanza.find_child("addresses", kAddressNamespace))
    return false;
  std::lock_guard lock(mutex_);
  if (!service_ || stanza.attr("from") != service_->jid) return false;
  const auto to = xmpp::Jid::try_parse(stanza.attr("to"));
  if (!to || to->domain() != domain_) return false;
  service_.reset();
  return true;
}

std::shared_ptr<const HostMulticast::Service> HostMulticast::current() const {
  std::lock_guard lock(mutex_);
  return service_;
}

bool HostMulticast::available() const {
  return current() != nullptr;
}

std::string HostMulticast::service() const {
  auto s = current();
  return s ? s->jid : std::string();
}

void HostMulticast::write(const muc::Fanout& fanout, std::string& out,
                          const std::function<void(std::string& out)>& after_each) const {
  const auto service = current();
  const std::string& prefix = fanout.stanza->prefix();  // "<name to='"
  const std::string& suffix = fanout.stanza->suffix();  // "' attrs>content</name>" or "' attrs/>"
  const std::string_view name(prefix.data() + 1, prefix.size() - 6);
  std::size_t limit = 0;
  if (service && name == "message") limit = service->message_limit;
  if (service && name == "presence") limit = service->presence_limit;
  const std::size_t count = fanout.recipient_count();
  if (limit < 2) {  // nothing to gain, or no service (any more)
    for (std::size_t i = 0; i < count; ++i) {
      fanout.stanza->append_to(out, fanout.recipient(i));
      after_each(out);
    }
    return;
  }
  const bool empty = suffix.size() >= 2 && suffix.compare(suffix.size() - 2, 2, "/>") == 0;
  const std::size_t head = suffix.size() - (empty ? 2 : name.size() + 3);

  // Recipients elsewhere first, each its own copy; then the host's own users in requests.
  std::size_t local = 0;
  for (std::size_t i = 0; i < count; ++i) {
    if (fanout.recipient_domain(i) == service->users_domain)
      ++local;
    else {
      fanout.stanza->append_to(out, fanout.recipient(i));
      after_each(out);
    }
  }
  std::size_t next = 0;
  while (local > 0) {
    out += prefix;
    xmpp::append_escaped_attr(out, service->jid);
    out.append(suffix, 0, head);
    if (empty) out += '>';
    out += "<addresses xmlns='";
    out += kAddressNamespace;
    out += "'>";
    std::size_t listed = 0, bytes = 0;
    for (; next < count && listed < limit && bytes < kListBytes; ++next) {
      if (fanout.recipient_domain(next) != service->users_domain) continue;
      const std::string_view jid = fanout.recipient(next);
      out += "<address type='bcc' jid='";
      xmpp::append_escaped_attr(out, jid);
      out += "'/>";
      ++listed;
      bytes += jid.size() + 30;
    }
    local -= listed;
    out += "</addresses></";
    out += name;
    out += '>';
    after_each(out);
  }
}

}  // namespace commonroom::app
