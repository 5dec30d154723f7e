// One XEP-0114 connection to the host server for one component domain, kept up by its own
// thread: connect, handshake, deliver stanzas, keep alive, reconnect with backoff.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "xmpp/backoff.hpp"
#include "xmpp/element.hpp"
#include "xmpp/host_connection_status.hpp"
#include "xmpp/stream_parser.hpp"

namespace commonroom::xmpp {

struct HostConnectionSettings {
  std::string host = "127.0.0.1";
  uint16_t port = 5347;
  std::string domain;  // the component name, e.g. conference.cam.example
  std::string secret;
  // A single space is sent when nothing was sent for this long; TCP keepalive probes use it
  // too, so a silent dead peer is noticed within about twice this.
  std::chrono::seconds keepalive{60};
  std::chrono::milliseconds backoff_initial{500};
  std::chrono::milliseconds backoff_max{60000};
  std::chrono::milliseconds connect_timeout{5000};
  // The server must answer our header and handshake within this long.
  std::chrono::milliseconds handshake_timeout{10000};
  // A host connection that stayed up this long resets the backoff; one that drops sooner keeps
  // growing its delay, so a host server that accepts and then immediately drops us is not hammered.
  std::chrono::milliseconds stable_after{10000};
  // After we send </stream:stream>, how long to wait for the server's before closing.
  std::chrono::milliseconds close_timeout{2000};
  StreamLimits limits;
  // Called on the host connection thread each time the handshake completes, before any stanza of
  // that connection reaches the listener; it may call send() (e.g. to ask the host a question).
  std::function<void()> on_connected;
};

class HostConnection {
 public:
  // Called on the host connection thread with each stanza received once the handshake completed.
  using StanzaListener = std::function<void(Element&&)>;

  HostConnection(HostConnectionSettings settings, StanzaListener listener,
                 Backoff::Random random = {});
  ~HostConnection();  // stop()s
  HostConnection(const HostConnection&) = delete;
  HostConnection& operator=(const HostConnection&) = delete;

  void start();
  // Graceful: sends </stream:stream>, waits up to close_timeout for the server's, closes the
  // socket and joins the host connection thread. Idempotent.
  void stop();

  // Sends serialized stanzas (thread-safe, whole buffer or nothing queued): one, or
  // `stanzas` of them back to back, so a fan-out costs one write instead of one per
  // recipient. While the host connection is down they are dropped and counted, and false is
  // returned.
  bool send(std::string_view bytes, uint64_t stanzas = 1);

  HostConnectionStatus stats() const;
  const std::string& domain() const;
  // Waits until the host connection is connected (true) or the timeout passes (false).
  bool wait_connected(std::chrono::milliseconds timeout) const;

  struct Impl;  // defined in host_connection.cpp only

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace commonroom::xmpp
