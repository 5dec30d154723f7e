#include "muc/effects.hpp"

#include "xmpp/serializer.hpp"

namespace commonroom::muc {

std::size_t Effects::stanza_count() const {
  std::size_t n = outbound.size();
  for (const auto& f : fanouts) n += f.recipients.size();
  return n;
}

void write_in_order(const Effects& effects, const std::function<void(std::string_view)>& write) {
  std::string buffer;
  std::size_t next = 0;
  auto flush_until = [&](std::size_t end) {
    for (; next < end && next < effects.outbound.size(); ++next) {
      buffer.clear();
      xmpp::serialize(effects.outbound[next], buffer);
      write(buffer);
    }
  };
  for (const Fanout& f : effects.fanouts) {
    flush_until(f.position);
    for (const std::string& to : f.recipients) {
      buffer.clear();
      f.stanza->append_to(buffer, to);
      write(buffer);
    }
  }
  flush_until(effects.outbound.size());
}

}  // namespace commonroom::muc
