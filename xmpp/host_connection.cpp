#include "xmpp/host_connection.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>

#include <Poco/Exception.h>
#include <Poco/Logger.h>
#include <Poco/Net/NetException.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Timespan.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "xmpp/component_handshake.hpp"

namespace commonroom::xmpp {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::duration_cast;
using std::chrono::milliseconds;

constexpr std::string_view stream_close = "</stream:stream>";

// One poll(2) on the socket. Poco's Socket::poll creates, fills and closes an epoll
// instance on every call: four system calls per read of the link instead of one.
bool wait_for(Poco::Net::StreamSocket& sock, short events, milliseconds timeout) {
  pollfd p{sock.impl()->sockfd(), events, 0};
  const int n = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (n < 0) {
    if (errno == EINTR) return false;
    throw Poco::Net::NetException(std::system_category().message(errno));
  }
  return n > 0;
}

std::string seconds_text(milliseconds d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(d.count()) / 1000.0);
  return buf;
}

int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch())
      .count();
}

}  // namespace

struct HostConnection::Impl {
  Impl(HostConnectionSettings s, StanzaListener l, Backoff::Random random)
      : settings(std::move(s)),
        listener(std::move(l)),
        backoff(settings.backoff_initial, settings.backoff_max, Jitter::equal, std::move(random)),
        log(Poco::Logger::get("link")),
        prefix(settings.domain + ": ") {}

  HostConnectionSettings settings;
  StanzaListener listener;
  Backoff backoff;  // host connection thread only
  Poco::Logger& log;
  std::string prefix;
  std::string endpoint() const { return settings.host + ":" + std::to_string(settings.port); }

  std::thread thread;
  std::mutex stop_mutex;
  std::atomic<bool> stopping{false};

  // Guards started/finished/shutdown_handle/last_error/write_error; cv signals stop,
  // connection and the host connection thread's end.
  mutable std::mutex mutex;
  mutable std::condition_variable cv;
  bool started = false;
  bool finished = false;
  // A second handle on the current socket, so stop() (or a failed write) can shut it down
  // and so unblock the host connection thread's read.
  std::optional<Poco::Net::StreamSocket> shutdown_handle;
  std::string last_error;
  std::string write_error;  // set by a failed send(); explains the disconnect

  // Serialises writes. `live` points at the current socket while stanzas may be sent.
  std::mutex send_mutex;
  Poco::Net::StreamSocket* live = nullptr;
  std::atomic<int64_t> last_send_ns{0};

  std::atomic<bool> connected{false};
  std::atomic<bool> peer_closed_on_stop{false};  // the server answered our </stream:stream>
  std::atomic<uint64_t> connects{0}, attempts{0}, stanzas_in{0}, stanzas_out{0}, bytes_in{0},
      bytes_out{0}, dropped{0};

  void run();
  // One connection from connect to close. Returns why it ended ("" when we were stopping),
  // and sets up_for to how long the handshake had been complete.
  std::string attempt(milliseconds& up_for);
  void connect(Poco::Net::StreamSocket& sock);
  // Writes all of `bytes`; the caller holds send_mutex. Throws Poco::Exception on failure.
  void send_locked(Poco::Net::StreamSocket& sock, std::string_view bytes);
  // Takes send_mutex and writes all of `bytes`; throws Poco::Exception on failure.
  void write_all(Poco::Net::StreamSocket& sock, std::string_view bytes);
  // A single space while the host connection is up; false once stop() has closed our side (then no
  // keepalive may follow </stream:stream>). Throws Poco::Exception on failure.
  bool send_keepalive(Poco::Net::StreamSocket& sock);
  // Writes, swallowing errors (for the last words before closing).
  void write_quietly(Poco::Net::StreamSocket& sock, std::string_view bytes);
  void shutdown_socket();
  void set_last_error(const std::string& e) {
    std::lock_guard lock(mutex);
    last_error = e;
  }
};

namespace {

// Feeds the parser from the socket. The read blocks (the parser pulls), but in slices, so
// the whitespace keepalive and the handshake deadline are served from the same thread.
class SocketSource : public ByteSource {
 public:
  SocketSource(HostConnection::Impl& conn, Poco::Net::StreamSocket& sock,
               const ComponentHandshake& hs)
      : conn_(conn),
        sock_(sock),
        hs_(hs),
        handshake_deadline_(Clock::now() + conn.settings.handshake_timeout) {}

  size_t read(char* buffer, size_t capacity) override {
    if (eof_) return 0;
    try {
      for (;;) {
        auto now = Clock::now();
        milliseconds wait;
        if (hs_.connected()) {
          auto keepalive = duration_cast<milliseconds>(conn_.settings.keepalive);
          auto idle = duration_cast<milliseconds>(
              std::chrono::nanoseconds(now.time_since_epoch().count() - conn_.last_send_ns.load()));
          if (keepalive.count() > 0 && idle >= keepalive) {
            // Whitespace between stanzas is allowed (RFC 6120 §4.6.1) and keeps NATs and
            // the server's idle timers from closing a quiet host connection.
            if (conn_.send_keepalive(sock_)) continue;
            wait = milliseconds(1000);  // closing: just wait for the server's </stream:stream>
          } else {
            wait = keepalive.count() > 0 ? keepalive - idle : milliseconds(1000);
          }
        } else {
          if (now >= handshake_deadline_) {
            return end("the host server did not complete the handshake within " +
                       seconds_text(conn_.settings.handshake_timeout));
          }
          wait = duration_cast<milliseconds>(handshake_deadline_ - now);
        }
        wait = std::clamp(wait, milliseconds(1), milliseconds(1000));
        if (!wait_for(sock_, POLLIN, wait)) continue;
        int n = sock_.receiveBytes(buffer, static_cast<int>(std::min<size_t>(capacity, 1 << 30)));
        if (n <= 0) return end("");
        conn_.bytes_in += static_cast<uint64_t>(n);
        return static_cast<size_t>(n);
      }
    } catch (const Poco::Exception& e) {
      return end("connection to the host server lost (" + e.displayText() + ")");
    } catch (const std::exception& e) {
      return end(std::string("connection to the host server lost (") + e.what() + ")");
    }
  }

  bool eof() const { return eof_; }
  const std::string& error() const { return error_; }

 private:
  size_t end(std::string error) {
    eof_ = true;
    error_ = std::move(error);
    return 0;
  }

  HostConnection::Impl& conn_;
  Poco::Net::StreamSocket& sock_;
  const ComponentHandshake& hs_;
  Clock::time_point handshake_deadline_;
  bool eof_ = false;
  std::string error_;
};

// Receives the parser's events: runs the handshake, then hands stanzas to the listener.
class ConnectedHandler : public StreamHandler {
 public:
  ConnectedHandler(HostConnection::Impl& conn, Poco::Net::StreamSocket& sock,
                   ComponentHandshake& hs)
      : conn_(conn), sock_(sock), hs_(hs) {}

  void on_stream_open(const Element& header) override {
    std::string reply = hs_.on_stream_open(header);
    if (hs_.failed()) return handshake_failed();
    try {
      conn_.write_all(sock_, reply);
    } catch (const Poco::Exception& e) {
      // Not thrown through the parser: it ends the attempt like any other failure.
      error_ = "connection to the host server lost (" + e.displayText() + ")";
      done_ = true;
    }
  }

  void on_stanza(Element&& stanza) override {
    if (!hs_.connected()) {
      hs_.on_element(stanza);
      if (hs_.failed()) return handshake_failed();
      if (hs_.connected()) on_connected();
      return;
    }
    std::string condition, text;
    if (parse_stream_error(stanza, condition, text)) {
      error_ = "the host server ended the stream (" + condition +
               (text.empty() ? "" : ": \"" + text + "\"") + ")";
      done_ = true;
      return;
    }
    ++conn_.stanzas_in;
    try {
      conn_.listener(std::move(stanza));
    } catch (const std::exception& e) {
      // A bug downstream must not take the host connection down with it.
      conn_.log.error(conn_.prefix + "dropped a stanza: " + e.what());
    }
  }

  void on_stream_close() override {
    peer_closed_ = true;
    done_ = true;
    if (!hs_.connected()) {
      hs_.on_stream_close();
      handshake_failed();
    } else {
      error_ = "the host server closed the stream";
    }
  }

  bool done() const { return done_; }
  bool peer_closed() const { return peer_closed_; }
  const std::string& error() const { return error_; }
  // The stream error to send before closing ("" for none).
  const std::string& send_condition() const { return send_condition_; }
  const std::string& send_text() const { return send_text_; }
  Clock::time_point connected_at() const { return connected_at_; }

 private:
  void handshake_failed() {
    const auto& f = hs_.failure();
    done_ = true;
    switch (f.kind) {
      case ComponentHandshake::FailureKind::refused:
        error_ = f.text + " (" + f.condition + ")";
        break;
      case ComponentHandshake::FailureKind::protocol_error:
        error_ = "protocol error: " + f.text + " (answered " + f.condition + ")";
        send_condition_ = f.condition;
        send_text_ = f.text;
        break;
      default:
        error_ = f.text;
        break;
    }
  }

  void on_connected() {
    connected_at_ = Clock::now();
    {
      std::lock_guard send_lock(conn_.send_mutex);
      conn_.live = &sock_;
    }
    unsigned failures = conn_.backoff.attempts();
    ++conn_.connects;
    {
      // Under the mutex so wait_connected() cannot miss the notification.
      std::lock_guard lock(conn_.mutex);
      conn_.connected = true;
      conn_.write_error.clear();
    }
    conn_.cv.notify_all();
    conn_.log.information(
        conn_.prefix + "connected to " + conn_.endpoint() + " (stream id " + hs_.stream_id() + ")" +
        (failures > 0
             ? ", after " + std::to_string(failures) + " failed attempt" + (failures > 1 ? "s" : "")
             : ""));
    if (conn_.settings.on_connected) conn_.settings.on_connected();
  }

  HostConnection::Impl& conn_;
  Poco::Net::StreamSocket& sock_;
  ComponentHandshake& hs_;
  bool done_ = false;
  bool peer_closed_ = false;
  std::string error_;
  std::string send_condition_;
  std::string send_text_;
  Clock::time_point connected_at_{};
};

}  // namespace

void HostConnection::Impl::send_locked(Poco::Net::StreamSocket& sock, std::string_view bytes) {
  size_t off = 0;
  while (off < bytes.size()) {
    // MSG_NOSIGNAL: a peer that went away must give an error here, not kill the process.
    int n = sock.sendBytes(bytes.data() + off,
                           static_cast<int>(std::min<size_t>(bytes.size() - off, 1 << 30)),
                           MSG_NOSIGNAL);
    if (n <= 0) throw Poco::Net::ConnectionResetException("nothing written");
    off += static_cast<size_t>(n);
  }
  bytes_out += bytes.size();
  last_send_ns = now_ns();
}

void HostConnection::Impl::write_all(Poco::Net::StreamSocket& sock, std::string_view bytes) {
  std::lock_guard lock(send_mutex);
  send_locked(sock, bytes);
}

bool HostConnection::Impl::send_keepalive(Poco::Net::StreamSocket& sock) {
  std::lock_guard lock(send_mutex);
  if (live != &sock) return false;
  send_locked(sock, " ");
  return true;
}

void HostConnection::Impl::write_quietly(Poco::Net::StreamSocket& sock, std::string_view bytes) {
  try {
    write_all(sock, bytes);
  } catch (const std::exception&) {
    // The connection is being closed anyway; there is nobody left to tell.
  }
}

void HostConnection::Impl::shutdown_socket() {
  std::lock_guard lock(mutex);
  if (!shutdown_handle) return;
  try {
    shutdown_handle->shutdown();
  } catch (const std::exception&) {
    // Not connected (yet or any more): the reader wakes up anyway.
  }
}

void HostConnection::Impl::connect(Poco::Net::StreamSocket& sock) {
  Poco::Net::SocketAddress address(settings.host, settings.port);
  // Non-blocking connect polled in short slices, so stop() never waits a full timeout.
  sock.connectNB(address);
  auto deadline = Clock::now() + settings.connect_timeout;
  for (;;) {
    if (stopping) throw Poco::Exception("stopping");
    if (wait_for(sock, POLLOUT, milliseconds(100))) break;
    if (Clock::now() >= deadline) {
      throw Poco::TimeoutException("no answer within " + seconds_text(settings.connect_timeout));
    }
  }
  if (int err = sock.impl()->socketError(); err != 0) {
    throw Poco::Net::NetException(std::system_category().message(err));
  }
  sock.setBlocking(true);
}

std::string HostConnection::Impl::attempt(milliseconds& up_for) {
  up_for = milliseconds(0);
  ++attempts;
  Poco::Net::StreamSocket sock;
  try {
    connect(sock);
  } catch (const Poco::Exception& e) {
    if (stopping) return {};
    return "cannot connect to the host server at " + endpoint() + " (" + e.displayText() + ")";
  }

  try {
    sock.setNoDelay(true);
    // TCP keepalive finds a host that vanished without a FIN (a server that never writes to
    // a quiet component would otherwise look alive forever).
    int idle = static_cast<int>(std::max<int64_t>(settings.keepalive.count(), 1));
    sock.setKeepAlive(true);
    sock.setOption(IPPROTO_TCP, TCP_KEEPIDLE, idle);
    sock.setOption(IPPROTO_TCP, TCP_KEEPINTVL, std::max(idle / 4, 1));
    sock.setOption(IPPROTO_TCP, TCP_KEEPCNT, 4);
    // Unacknowledged writes fail after this long instead of the kernel's ~15 minutes.
    sock.setOption(IPPROTO_TCP, TCP_USER_TIMEOUT, idle * 2 * 1000);
    sock.setSendTimeout(Poco::Timespan(idle * 2, 0));
  } catch (const Poco::Exception& e) {
    log.warning(prefix + "could not set socket options: " + e.displayText());
  }

  {
    std::lock_guard lock(mutex);
    shutdown_handle = sock;
  }
  // stop() may have looked for a socket to shut down just before we registered this one.
  if (stopping) {
    std::lock_guard lock(mutex);
    shutdown_handle.reset();
    sock.close();
    return {};
  }

  ComponentHandshake hs(settings.domain, settings.secret);
  SocketSource source(*this, sock, hs);
  ConnectedHandler handler(*this, sock, hs);
  std::string error;
  std::string send_condition, send_text;
  try {
    write_all(sock, hs.open());
    StreamParser parser(source, handler, settings.limits);
    while (!handler.done() && parser.next()) {
    }
    if (!handler.done() && !source.eof()) error = "the host server closed the stream";
  } catch (const StreamError& e) {
    if (!source.eof()) {
      error = "the host server sent bad XML (" + e.condition() + ": " + e.text() + ")";
      send_condition = e.condition();
      send_text = e.text();
    }
  } catch (const Poco::Exception& e) {
    if (error.empty()) error = "connection to the host server lost (" + e.displayText() + ")";
  } catch (const std::exception& e) {
    if (error.empty()) error = std::string("link failed (") + e.what() + ")";
  }

  bool was_connected = hs.connected() || connected;
  // What ended the attempt, most specific first.
  if (error.empty()) error = handler.error();
  if (handler.send_condition().size() > 0) {
    send_condition = handler.send_condition();
    send_text = handler.send_text();
  }
  if (error.empty() && source.eof()) {
    error = source.error().empty() ? (was_connected ? "the host server closed the connection"
                                                    : "the host server closed the connection "
                                                      "before the handshake completed")
                                   : source.error();
  }
  {
    std::lock_guard lock(mutex);
    if (!write_error.empty()) error = write_error;
    write_error.clear();
  }

  // Last words, then close.
  {
    std::lock_guard lock(send_mutex);
    live = nullptr;
  }
  connected = false;
  if (stopping && handler.peer_closed()) peer_closed_on_stop = true;
  if (!send_condition.empty() && !stopping) {
    write_quietly(sock, stream_error_bytes(send_condition, send_text));
  } else if (handler.peer_closed() && !stopping) {
    write_quietly(sock, stream_close);  // answer the server's close (RFC 6120 §4.4)
  }
  {
    std::lock_guard lock(mutex);
    shutdown_handle.reset();
  }
  try {
    sock.shutdown();
  } catch (const std::exception&) {
  }
  sock.close();
  cv.notify_all();

  if (was_connected) up_for = duration_cast<milliseconds>(Clock::now() - handler.connected_at());
  if (stopping) return {};
  if (error.empty()) error = "the link ended for an unknown reason";
  return error;
}

void HostConnection::Impl::run() {
  while (!stopping) {
    milliseconds up_for{0};
    std::string error = attempt(up_for);
    if (stopping) break;
    if (up_for >= settings.stable_after) backoff.reset();
    milliseconds delay = backoff.next();
    set_last_error(error);
    log.warning(prefix + error + "; retrying in " + seconds_text(delay) + " (attempt " +
                std::to_string(backoff.attempts()) + ")");
    std::unique_lock lock(mutex);
    cv.wait_for(lock, delay, [this] { return stopping.load(); });
  }
  std::lock_guard lock(mutex);
  finished = true;
  cv.notify_all();
}

HostConnection::HostConnection(HostConnectionSettings settings, StanzaListener listener,
                               Backoff::Random random)
    : impl_(std::make_unique<Impl>(std::move(settings), std::move(listener), std::move(random))) {}

HostConnection::~HostConnection() {
  stop();
}

void HostConnection::start() {
  std::lock_guard lock(impl_->mutex);
  if (impl_->started) return;
  impl_->started = true;
  impl_->thread = std::thread([this] { impl_->run(); });
}

void HostConnection::stop() {
  Impl& d = *impl_;
  std::lock_guard stop_lock(d.stop_mutex);  // a concurrent second stop() waits for the first
  {
    // Under the mutex, so the host connection thread's backoff wait cannot miss the notification.
    std::lock_guard lock(d.mutex);
    d.stopping = true;
  }
  d.cv.notify_all();  // ends a backoff wait at once
  if (!d.thread.joinable()) return;

  bool closing = false;
  {
    std::lock_guard lock(d.send_mutex);
    if (d.live != nullptr) {
      try {
        // Our half of a graceful close; the host connection thread keeps reading until the
        // server's.
        d.send_locked(*d.live, stream_close);
        closing = true;
      } catch (const std::exception&) {
      }
      d.live = nullptr;  // nothing may follow </stream:stream>
    }
  }
  if (closing) {
    std::unique_lock lock(d.mutex);
    d.cv.wait_for(lock, d.settings.close_timeout, [&d] { return d.finished; });
  }
  d.shutdown_socket();
  d.thread.join();
  if (closing) {
    if (d.peer_closed_on_stop) {
      d.log.information(d.prefix + "stream closed");
    } else {
      d.log.information(d.prefix + "stream closed without the host server's answer within " +
                        seconds_text(d.settings.close_timeout));
    }
  }
}

bool HostConnection::send(std::string_view bytes, uint64_t stanzas) {
  Impl& d = *impl_;
  std::unique_lock lock(d.send_mutex);
  if (d.live == nullptr) {
    d.dropped += stanzas;
    return false;
  }
  try {
    d.send_locked(*d.live, bytes);
  } catch (const Poco::Exception& e) {
    // Shut down this very socket (not whatever the host connection thread connects next) so the
    // host connection thread notices and reconnects.
    Poco::Net::StreamSocket failed = *d.live;
    d.live = nullptr;
    lock.unlock();
    d.dropped += stanzas;
    {
      std::lock_guard state_lock(d.mutex);
      d.write_error = "writing to the host server failed (" + e.displayText() + ")";
    }
    try {
      failed.shutdown();
    } catch (const std::exception&) {
    }
    return false;
  }
  d.stanzas_out += stanzas;
  return true;
}

HostConnectionStatus HostConnection::stats() const {
  const Impl& d = *impl_;
  HostConnectionStatus s;
  s.domain = d.settings.domain;
  s.connected = d.connected;
  s.connects = d.connects;
  s.attempts = d.attempts;
  s.stanzas_in = d.stanzas_in;
  s.stanzas_out = d.stanzas_out;
  s.bytes_in = d.bytes_in;
  s.bytes_out = d.bytes_out;
  s.dropped = d.dropped;
  std::lock_guard lock(d.mutex);
  s.last_error = d.last_error;
  return s;
}

const std::string& HostConnection::domain() const {
  return impl_->settings.domain;
}

bool HostConnection::wait_connected(std::chrono::milliseconds timeout) const {
  std::unique_lock lock(impl_->mutex);
  return impl_->cv.wait_for(lock, timeout, [this] { return impl_->connected.load(); });
}

}  // namespace commonroom::xmpp
