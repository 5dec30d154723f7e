// The host server's side of commonroom's component link, for the benchmarks that play the
// host on loopback (muc_component_bench, room_restore_bench): start commonroom, accept its
// XEP-0114 link and answer the handshake, and read figures of its process from /proc.
// Errors throw std::runtime_error; each benchmark's main() reports them and stops the
// commonroom it started.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "xmpp/component_handshake.hpp"

namespace bench_host {

// utime + stime of a process, in seconds (/proc/<pid>/stat fields 14 and 15).
inline double cpu_seconds(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
  std::string s((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  auto close = s.rfind(')');
  if (close == std::string::npos)
    throw std::runtime_error("cannot read /proc/" + std::to_string(pid) + "/stat");
  std::istringstream in(s.substr(close + 2));
  std::string field;
  unsigned long long utime = 0, stime = 0;
  for (int i = 3; i <= 15 && (in >> field); ++i) {
    if (i == 14) utime = std::stoull(field);
    if (i == 15) stime = std::stoull(field);
  }
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// A "Name:  N kB" line of /proc/<pid>/status (VmRSS, RssAnon), in bytes.
inline double status_bytes(pid_t pid, const std::string& name) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(name + ":", 0) == 0) return std::stod(line.substr(name.size() + 1)) * 1024.0;
  }
  throw std::runtime_error("no " + name + " for pid " + std::to_string(pid));
}

inline void send_all(int fd, std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0)
      throw std::runtime_error(std::string("send to commonroom failed: ") + std::strerror(errno));
    bytes.remove_prefix(static_cast<size_t>(n));
  }
}

// Reads from fd until `until` appears; returns all that was read.
inline std::string read_until(int fd, std::string_view until, std::chrono::seconds timeout) {
  std::string got;
  char buf[4096];
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (got.find(until) == std::string::npos) {
    if (std::chrono::steady_clock::now() > deadline)
      throw std::runtime_error("timed out waiting for '" + std::string(until) + "'");
    ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) throw std::runtime_error("commonroom closed the link");
    got.append(buf, static_cast<size_t>(n));
  }
  return got;
}

// `bin --config CONFIG COMMAND`, its output appended to `log`.
inline pid_t spawn_commonroom(const std::string& bin, const std::filesystem::path& config,
                              const std::filesystem::path& log, const char* command) {
  pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execl(bin.c_str(), bin.c_str(), "--config", config.c_str(), command,
          static_cast<char*>(nullptr));
    std::perror("exec commonroom");
    _exit(127);
  }
  return pid;
}

// `commonroom migrate` with the given configuration, to completion.
inline void migrate(const std::string& bin, const std::filesystem::path& config,
                    const std::filesystem::path& log) {
  pid_t m = spawn_commonroom(bin, config, log, "migrate");
  int status = 0;
  waitpid(m, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw std::runtime_error("commonroom migrate failed; see " + log.string());
}

// A listening socket on a free loopback port, for commonroom's link.
struct Listener {
  int fd = -1;
  int port = 0;
};

inline Listener listen_loopback() {
  Listener l;
  l.fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(l.fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(l.fd, 1) != 0)
    throw std::runtime_error("cannot listen on 127.0.0.1");
  socklen_t len = sizeof addr;
  getsockname(l.fd, reinterpret_cast<sockaddr*>(&addr), &len);
  l.port = ntohs(addr.sin_port);
  return l;
}

// The link, once commonroom connects (within `timeout`); the listener is closed.
inline int accept_link(Listener& listener, std::chrono::seconds timeout,
                       const std::filesystem::path& log) {
  timeval tv{static_cast<time_t>(timeout.count()), 0};
  setsockopt(listener.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  int fd = ::accept(listener.fd, nullptr, nullptr);
  ::close(listener.fd);
  listener.fd = -1;
  if (fd < 0)
    throw std::runtime_error("commonroom did not connect within " +
                             std::to_string(timeout.count()) + " s; see " + log.string());
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  return fd;
}

// The host's side of the XEP-0114 handshake: commonroom's stream header, ours, its digest
// checked against the shared secret, the empty <handshake/> that lets it in.
inline void answer_handshake(int fd, const std::string& domain, const std::string& secret,
                             const std::string& stream_id, std::chrono::seconds timeout) {
  std::string header = read_until(fd, "<stream:stream", timeout);
  if (header.find('>', header.find("<stream:stream")) == std::string::npos)
    read_until(fd, ">", timeout);  // the rest of the header
  send_all(fd,
           "<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' "
           "xmlns:stream='http://etherx.jabber.org/streams' from='" +
               domain + "' id='" + stream_id + "'>");
  std::string hs = read_until(fd, "</handshake>", timeout);
  auto open = hs.find("<handshake>");
  auto close = hs.find("</handshake>");
  if (open == std::string::npos) throw std::runtime_error("no <handshake> from commonroom");
  std::string digest = hs.substr(open + 11, close - open - 11);
  if (digest != commonroom::xmpp::component_handshake_digest(stream_id, secret))
    throw std::runtime_error("wrong handshake digest from commonroom: " + digest);
  send_all(fd, "<handshake/>");
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The commonroom binary of the same build (CMake passes its path), else next to ours.
inline std::string default_commonroom_bin(const char* argv0) {
#ifdef COMMONROOM_BIN
  (void)argv0;
  return COMMONROOM_BIN;
#else
  return (std::filesystem::path(argv0).parent_path() / ".." / "app" / "commonroom").string();
#endif
}

}  // namespace bench_host
