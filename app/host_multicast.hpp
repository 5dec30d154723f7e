// The host server's multicast service (XEP-0033, e.g. ejabberd's mod_multicast), as the
// rooms service's shell sees it. With it a fan-out to the host's own users crosses the
// component link as one stanza addressed to the service, the recipients listed as 'bcc'
// addresses (which the service removes), and the host copies it to each of them in memory
// instead of parsing one stanza per recipient. Without it nothing changes.
#pragma once
#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "muc/effects.hpp"
#include "xmpp/element.hpp"

namespace commonroom::app {

inline constexpr std::string_view kAddressNamespace = "http://jabber.org/protocol/address";

class HostMulticast {
 public:
  // `domain`: our component's domain. The host's users are taken to live on its parent
  // (conference.cam.ac.uk -> cam.ac.uk), as the campus policy's local domains are.
  explicit HostMulticast(std::string domain);

  // Host connection thread, at each (re)connection: forgets the service (the new host may lack it)
  // and returns the questions to send: disco#info to the host's domain (a server may offer XEP-0033
  // itself) and to multicast.<that domain> (where ejabberd's mod_multicast is unless configured
  // otherwise). Empty when our domain has no parent.
  std::string on_connected();

  // Host connection thread: true when `stanza` answers one of our questions. An answer with the
  // XEP-0033 feature makes the answering entity our service, with the limits it
  // advertises (XEP-0128) or, when it names none, the most ejabberd allows a sender of
  // another domain by default.
  bool take_answer(const xmpp::Element& stanza);

  // Host connection thread: an error the service sent back for one of our requests (it refused the
  // sender or the list). Stops using the service until the next connection; the request's
  // recipients missed that one stanza (the bounce no longer says its type).
  bool take_bounce(const xmpp::Element& stanza);

  bool available() const;
  std::string service() const;

  // Writes `fanout`: one request to the service per chunk of the host's own users (at
  // most the service's limit and about kListBytes of addresses), and each recipient on
  // another domain its own copy as before.
  void write(const muc::Fanout& fanout, std::string& out,
             const std::function<void(std::string& out)>& after_each) const;

  static constexpr std::size_t kListBytes = 32 * 1024;
  // ejabberd's mod_multicast limit for senders that are not its own users, when not
  // configured (XEP-0033 itself names no default).
  static constexpr std::size_t kDefaultLimit = 20;

 private:
  struct Service {
    std::string jid;           // where requests go
    std::string users_domain;  // whose recipients it copies to
    std::size_t message_limit = kDefaultLimit;
    std::size_t presence_limit = kDefaultLimit;
  };
  std::shared_ptr<const Service> current() const;

  std::string domain_;
  std::string parent_;
  std::string probe_ids_[2];  // host connection thread only
  std::uint64_t probes_ = 0;
  mutable std::mutex
      mutex_;  // the engine thread writes while the host connection thread may reconnect
  std::shared_ptr<const Service> service_;
};

}  // namespace commonroom::app
