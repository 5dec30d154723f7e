// The host server's fan-out module (deploy/prosody/mod_commonroom_fanout.lua), as the rooms
// service's shell sees it. With the module a fan-out crosses the host connection as one
// stanza addressed to our own domain with the recipients in a last child
//   <fanout xmlns='urn:commonroom:fanout:0'>JID<tab>JID...</fanout>
// which the host copies to each of them in memory, instead of one stanza per recipient that
// the host must parse (decision 0033). A host without the module but with a multicast
// service (XEP-0033, app/host_multicast.hpp) gets one request per chunk of its users
// instead. Without either nothing changes.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "app/host_multicast.hpp"
#include "muc/effects.hpp"
#include "xmpp/element.hpp"

namespace commonroom::app {

inline constexpr std::string_view kFanoutNamespace = "urn:commonroom:fanout:0";
// The module's feature for carried answers (write_carried).
inline constexpr std::string_view kCarryFeature = "urn:commonroom:fanout:0#carry";
// The module's feature for carried runs of stanzas (write_batch).
inline constexpr std::string_view kBatchFeature = "urn:commonroom:fanout:0#batch";
// Between the JIDs of the list. No valid JID contains a tab (a control character), and
// unlike a line break it does not make Prosody's XML parser hand the text over in pieces.
inline constexpr char kSeparator = '\t';

class HostFanout {
 public:
  explicit HostFanout(std::string domain) : domain_(domain), multicast_(std::move(domain)) {}

  // Host connection thread, at each (re)connection: the new host may lack the module, so fan-outs
  // go per recipient until it says otherwise. Returns the questions to send: disco#info from our
  // domain to our domain, which only the module answers with its feature (without it the host
  // passes the question itself back to us), then the multicast service's.
  std::string on_connected();

  // Host connection thread: true when `stanza` answers one of our questions, or is the question
  // itself passed back (it is then ours, not the engine's); an answer listing the module's feature,
  // or a multicast service's, turns the fan-out on.
  bool take_answer(const xmpp::Element& stanza);

  bool available() const {
    return available_.load(std::memory_order_acquire) || multicast_.available();
  }
  // Through the module (rather than a multicast service).
  bool module() const { return available_.load(std::memory_order_acquire); }
  // The module carries large answers (write_carried).
  bool carry() const { return carry_.load(std::memory_order_acquire); }
  // The module carries runs of stanzas (write_batch).
  bool batch() const { return batch_.load(std::memory_order_acquire); }

  // When carry() holds and `stanza` is an iq with at least kCarryMinBytes of content (every
  // search form answer, even "nobody found": its reported fields alone are ~300 bytes): writes
  // it for the module to carry, with its attributes but 'to' our domain and its content in
  // one CDATA section of a child <carry xmlns='urn:commonroom:fanout:0' to='RECIPIENT'>,
  // and returns true. Prosody then parses one text instead of hundreds of elements (a
  // directory search's page of 20 people is ~240) and writes the content to the recipient
  // as it came (decision 0084). Otherwise writes nothing and returns false.
  bool write_carried(const xmpp::Element& stanza, std::string& out) const;
  static constexpr std::size_t kCarryMinBytes = 256;

  // When batch() holds and `run` has two stanzas or more (a newcomer's roster: one presence
  // per occupant, each ~4 elements for the host to parse): writes the whole run as one
  //   <message from='DOMAIN' to='DOMAIN'><batch xmlns='urn:commonroom:fanout:0'
  //     ends='E1 E2 ...'><![CDATA[stanza1 stanza2 ...]]></batch></message>
  // (Ei: where stanza i ends in the text) and returns true. The module reads each stanza's
  // top tag, routes a stanza with those attributes to its recipient (every hook, filter and
  // stream management counter sees each one) and writes its content as it came
  // (decision 0086). Otherwise writes nothing and returns false.
  bool write_batch(const xmpp::SerializedRun& run, std::string& out) const;

  const HostMulticast& multicast() const { return multicast_; }

  // Host connection thread: a fan-out request, carried answer or batch of ours that came back (the
  // host lost the module while we were connected, e.g. a reload without it). Returns false for any
  // other stanza. Otherwise turns the fan-out off, and fills `question` with a new question for
  // the host and `copies` with the stanza for each of its recipients (or the carried answer as
  // plain XML, or the batch's stanzas), for the caller to send. A multicast service's refusal of a
  // request is taken too: the service is not used again until the next connection (`question` and
  // `copies` stay empty).
  bool take_returned(xmpp::Element& stanza, std::string& question, std::string& copies);
  const std::string& domain() const { return domain_; }

  // Writes `fanout` as requests for the module (or the multicast service when there is no
  // module), each with at most about kListBytes of
  // recipients (hosts bound a stanza's size; Prosody's default is 512 KiB). A recipient
  // that cannot be listed (a tab in its JID) gets its own copy as before.
  void write(const muc::Fanout& fanout, std::string& out,
             const std::function<void(std::string& out)>& after_each) const;

  static constexpr std::size_t kListBytes = 32 * 1024;

 private:
  std::string domain_;
  std::string probe_id_;  // host connection thread only
  std::uint64_t probes_ = 0;
  std::atomic<bool> available_{false};
  std::atomic<bool> carry_{false};
  std::atomic<bool> batch_{false};
  HostMulticast multicast_;
};

}  // namespace commonroom::app
