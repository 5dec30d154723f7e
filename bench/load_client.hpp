// What the end-to-end load generators (muc_load_bench, campus_day_bench) share: clocks, and
// a client connection to a host server's c2s port that logs in over plain TCP with SASL
// PLAIN and binds a resource. No XML parser: the login looks for the few markers it needs
// in what has arrived, so the generators stay far cheaper than the servers they drive.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace load_client {

inline std::int64_t now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

// This process's CPU time (user + system), to show the generator is not the bottleneck.
inline double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return double(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         double(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

inline std::string base64(std::string_view in) {
  static const char* t = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    unsigned v =
        (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8 | (unsigned char)in[i + 2];
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += t[v & 63];
  }
  if (i + 1 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16;
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += "==";
  } else if (i + 2 == in.size()) {
    unsigned v = (unsigned char)in[i] << 16 | (unsigned char)in[i + 1] << 8;
    out += t[v >> 18];
    out += t[(v >> 12) & 63];
    out += t[(v >> 6) & 63];
    out += '=';
  }
  return out;
}

// Where a connection's login stands; `bound` once its resource is bound.
enum class Login { features1, auth, features2, bind, bound };

struct Connection {
  int fd = -1;
  int index = 0;  // also the epoll data, to find the connection again
  std::string user, password;
  Login login = Login::features1;
  std::string in;   // unprocessed input
  std::string out;  // unsent output
};

inline void flush(Connection& c) {
  while (!c.out.empty()) {
    ssize_t n = ::send(c.fd, c.out.data(), c.out.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EAGAIN || errno == ENOTCONN || errno == EINPROGRESS) return;
      throw std::runtime_error("send: " + std::string(strerror(errno)));
    }
    c.out.erase(0, std::size_t(n));
  }
}

inline void send(Connection& c, std::string_view bytes) {
  c.out.append(bytes);
  flush(c);
}

inline std::string stream_header(const std::string& domain) {
  return "<?xml version='1.0'?><stream:stream to='" + domain +
         "' version='1.0' xmlns='jabber:client' "
         "xmlns:stream='http://etherx.jabber.org/streams'>";
}

// Connects to 127.0.0.1:port without blocking, registers the socket with `epoll` (edge
// triggered, data.u32 = c.index) and opens the stream.
inline void open_connection(Connection& c, int epoll, int port, const std::string& domain) {
  c.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
  int one = 1;
  setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(std::uint16_t(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(c.fd, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 && errno != EINPROGRESS)
    throw std::runtime_error("connect: " + std::string(strerror(errno)));
  epoll_event ev{};
  ev.events = EPOLLIN | EPOLLOUT | EPOLLET;
  ev.data.u32 = std::uint32_t(c.index);
  epoll_ctl(epoll, EPOLL_CTL_ADD, c.fd, &ev);
  c.login = Login::features1;
  send(c, stream_header(domain));
}

// Advances the login from what has arrived in c.in (consuming it); returns false when the
// marker it waits for is not complete yet. The resource is "r<index>".
inline bool advance_login(Connection& c, const std::string& domain) {
  std::string& in = c.in;
  switch (c.login) {
    case Login::features1: {
      auto end = in.find("</stream:features>");
      if (end == std::string::npos) return false;
      in.erase(0, end + 18);
      std::string cred = std::string(1, '\0') + c.user + std::string(1, '\0') + c.password;
      send(c, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>" + base64(cred) +
                  "</auth>");
      c.login = Login::auth;
      return true;
    }
    case Login::auth: {
      if (in.find("<failure") != std::string::npos)
        throw std::runtime_error("SASL failed for " + c.user);
      auto end = in.find("<success");
      if (end == std::string::npos) return false;
      auto close = in.find('>', end);
      if (close == std::string::npos) return false;
      if (in[close - 1] != '/') {
        close = in.find("</success>", end);
        if (close == std::string::npos) return false;
        close += 9;
      }
      in.erase(0, close + 1);
      c.login = Login::features2;
      send(c, stream_header(domain));
      return true;
    }
    case Login::features2: {
      auto end = in.find("</stream:features>");
      if (end == std::string::npos) return false;
      in.erase(0, end + 18);
      send(c,
           "<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'>"
           "<resource>r" +
               std::to_string(c.index) + "</resource></bind></iq>");
      c.login = Login::bind;
      return true;
    }
    case Login::bind: {
      auto end = in.find("</iq>");
      if (end == std::string::npos) return false;
      if (in.find("type='error'") < end || in.find("type=\"error\"") < end)
        throw std::runtime_error("bind failed for " + c.user);
      in.erase(0, end + 5);
      c.login = Login::bound;
      return true;
    }
    case Login::bound:
      return false;
  }
  return false;
}

// The p-quantile (0..1) of values already sorted ascending; 0 when there are none.
template <typename T>
double percentile(const std::vector<T>& sorted, double p) {
  if (sorted.empty()) return 0;
  return double(sorted[std::min(sorted.size() - 1, std::size_t(p * double(sorted.size())))]);
}

// The accounts of a --users option, "user:password,user:password,...".
inline std::vector<std::pair<std::string, std::string>> parse_users(const std::string& list) {
  std::vector<std::pair<std::string, std::string>> users;
  std::size_t p = 0;
  for (;;) {
    const auto comma = list.find(',', p);
    const std::string item = list.substr(p, comma == std::string::npos ? comma : comma - p);
    const auto colon = item.find(':');
    if (colon == std::string::npos) throw std::runtime_error("--users wants user:password,...");
    users.emplace_back(item.substr(0, colon), item.substr(colon + 1));
    if (comma == std::string::npos) break;
    p = comma + 1;
  }
  return users;
}

}  // namespace load_client
