#include "store/journal.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "store/journal_codec.hpp"

namespace commonroom::store {

namespace {

// Every segment starts with this, so a stray file is never replayed into the log.
constexpr std::string_view kMagic = "CRJRNL01";
constexpr uint64_t kHeaderBytes = kMagic.size();
constexpr std::string_view kPrefix = "segment-";
constexpr std::string_view kSuffix = ".journal";
// A segment grows in steps of this many zero bytes. Appends then overwrite blocks the file
// already has: an fdatasync with no new size or extents to commit costs about half the CPU
// and a third less time (measured on ext4, decision 0078), and a step is paid once a megabyte.
constexpr uint64_t kExtendBytes = 1u << 20;
// Written after every append (and at the start of a reused segment): a frame header of zeros
// that tells recovery where the written frames end, whatever older bytes follow.
constexpr char kEndMarker[kFrameHeaderBytes] = {};

std::string errno_text(int err) {
  return std::strerror(err);
}

std::string segment_name(uint64_t seq) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "segment-%020llu.journal", static_cast<unsigned long long>(seq));
  return buf;
}

bool parse_segment_name(const std::string& name, uint64_t& seq) {
  if (name.size() != kPrefix.size() + 20 + kSuffix.size()) return false;
  if (name.compare(0, kPrefix.size(), kPrefix) != 0) return false;
  if (name.compare(name.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) return false;
  seq = 0;
  for (size_t i = kPrefix.size(); i < kPrefix.size() + 20; ++i) {
    if (name[i] < '0' || name[i] > '9') return false;
    seq = seq * 10 + static_cast<uint64_t>(name[i] - '0');
  }
  return true;
}

void write_all(int fd, const char* data, size_t size, uint64_t offset, const std::string& what) {
  while (size > 0) {
    ssize_t n = ::pwrite(fd, data, size, static_cast<off_t>(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw JournalError("cannot write " + what + ": " + errno_text(errno));
    }
    data += n;
    size -= static_cast<size_t>(n);
    offset += static_cast<uint64_t>(n);
  }
}

void write_zeros(int fd, uint64_t offset, uint64_t size, const std::string& what) {
  static const std::string zeros(64u << 10, '\0');
  while (size > 0) {
    const uint64_t n = std::min<uint64_t>(size, zeros.size());
    write_all(fd, zeros.data(), n, offset, what);
    offset += n;
    size -= n;
  }
}

// Reads [offset, offset+size) or up to end of file, whichever comes first.
std::string read_range(const std::filesystem::path& path, uint64_t offset, uint64_t size) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw JournalError("cannot open " + path.string() + ": " + errno_text(errno));
  std::string out(size, '\0');
  size_t got = 0;
  while (got < size) {
    ssize_t n = ::pread(fd, out.data() + got, size - got, static_cast<off_t>(offset + got));
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      throw JournalError("cannot read " + path.string() + ": " + errno_text(err));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

void sync_dir(const std::filesystem::path& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw JournalError("cannot open " + dir.string() + ": " + errno_text(errno));
  int rc = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (rc != 0) throw JournalError("cannot fsync " + dir.string() + ": " + errno_text(err));
}

}  // namespace

void JournalBatch::add(const muc::RoomEvent& event) {
  append_event_frame(frames_, event);
  ++events_;
}

void JournalBatch::clear() {
  frames_.clear();
  events_ = 0;
}

Journal::Journal(Options options) : options_(std::move(options)) {
  if (options_.dir.empty()) throw JournalError("no journal directory configured");
  std::error_code ec;
  std::filesystem::create_directories(options_.dir, ec);
  if (ec) {
    throw JournalError("cannot create journal directory " + options_.dir.string() + ": " +
                       ec.message());
  }
  if (::access(options_.dir.c_str(), W_OK | X_OK) != 0) {
    throw JournalError("journal directory " + options_.dir.string() +
                       " is not writable: " + errno_text(errno));
  }
  // Two processes appending to and deleting each other's segments would lose events. The
  // lock goes away with the process, however it ends.
  const auto lock_path = options_.dir / "LOCK";
  lock_fd_ = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd_ < 0) {
    throw JournalError("cannot open " + lock_path.string() + ": " + errno_text(errno));
  }
  if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0) {
    int err = errno;
    ::close(lock_fd_);
    lock_fd_ = -1;
    throw JournalError("journal directory " + options_.dir.string() +
                       (err == EWOULDBLOCK ? " is in use by another commonroom process"
                                           : " cannot be locked: " + errno_text(err)) +
                       "; each instance needs its own");
  }
  try {
    recover();
  } catch (...) {
    ::close(lock_fd_);
    throw;
  }
}

Journal::~Journal() {
  if (active_fd_ >= 0) ::close(active_fd_);
  if (lock_fd_ >= 0) ::close(lock_fd_);
}

void Journal::log(LogSeverity severity, const std::string& message) const {
  if (options_.log) options_.log(severity, message);
}

void Journal::recover() {
  std::vector<std::pair<uint64_t, std::filesystem::path>> found;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir, ec)) {
    uint64_t seq = 0;
    if (entry.is_regular_file() && parse_segment_name(entry.path().filename().string(), seq)) {
      found.emplace_back(seq, entry.path());
    }
  }
  if (ec) throw JournalError("cannot list " + options_.dir.string() + ": " + ec.message());
  std::sort(found.begin(), found.end());
  for (size_t i = 0; i < found.size(); ++i) {
    Segment s;
    s.seq = found[i].first;
    s.path = found[i].second;
    s.sealed = true;  // never appended to again: a new segment is started for new events
    next_seq_ = std::max(next_seq_, s.seq + 1);
    scan(s, i + 1 == found.size());
    if (s.size == 0) continue;  // not a journal segment: left alone, reported by scan
    if (s.records == 0) {
      remove_segment_file(s);
      continue;
    }
    segments_.push_back(std::move(s));
  }
  auto b = backlog();
  if (b.events > 0) {
    log(LogSeverity::warning, "journal " + options_.dir.string() + ": " + std::to_string(b.events) +
                                  " event(s) in " + std::to_string(b.segments) +
                                  " segment(s) not yet in PostgreSQL; they will be replayed");
  }
}

void Journal::scan(Segment& s, bool last) {
  std::error_code ec;
  const uint64_t file_size = std::filesystem::file_size(s.path, ec);
  if (ec) throw JournalError("cannot stat " + s.path.string() + ": " + ec.message());
  // A segment is read whole: segments are bounded by segment_bytes plus one batch.
  std::string data = read_range(s.path, 0, file_size);
  if (data.size() < kHeaderBytes) {
    // Created by a process that died before the header was durable: nothing in it was
    // ever acknowledged.
    s.size = kHeaderBytes;
    s.read_offset = kHeaderBytes;
    return;
  }
  if (std::string_view(data).substr(0, kHeaderBytes) != kMagic) {
    log(LogSeverity::error, "journal: " + s.path.string() +
                                " is not a commonroom journal segment (bad header); left alone");
    s.size = 0;
    return;
  }
  uint64_t pos = kHeaderBytes;
  std::string_view rest(data);
  FrameStatus status = FrameStatus::ok;
  while (pos < data.size()) {
    std::string_view payload;
    size_t size = 0;
    status = read_frame(rest.substr(pos), payload, size);
    if (status != FrameStatus::ok) break;
    pos += size;
    ++s.records;
  }
  s.size = pos;
  s.allocated = data.size();
  s.read_offset = kHeaderBytes;
  if (pos < data.size() && status != FrameStatus::end) {
    // The zeros the segment was extended with are not counted as lost bytes.
    const size_t written = data.find_last_not_of('\0') + 1;
    const uint64_t ignored = written > pos ? written - pos : 0;
    const char* why = status == FrameStatus::incomplete ? "a partial record"
                      : status == FrameStatus::bad_crc  ? "a record whose CRC does not match"
                                                        : "a record with an impossible length";
    if (last) {
      // The expected result of a crash during an append: those events were never
      // acknowledged (the fdatasync had not returned), so nothing that was sent is lost.
      log(LogSeverity::warning, "journal: " + s.path.string() + ": torn tail (" + why +
                                    ") at offset " + std::to_string(pos) + "; ignored " +
                                    std::to_string(ignored) + " byte(s) after " +
                                    std::to_string(s.records) + " good record(s)");
    } else {
      log(LogSeverity::error, "journal: " + s.path.string() + ": corrupt: " + why + " at offset " +
                                  std::to_string(pos) + "; " + std::to_string(ignored) +
                                  " byte(s) after it cannot be read and are skipped (" +
                                  std::to_string(s.records) + " good record(s) before it)");
    }
  }
}

Journal::Segment& Journal::open_active_locked() {
  if (!segments_.empty() && !segments_.back().sealed) {
    Segment& active = segments_.back();
    if (active.size < options_.segment_bytes) return active;
    // Full: later appends go to a new segment; this one is deleted once drained.
    active.sealed = true;
    ::close(active_fd_);
    active_fd_ = -1;
  }
  Segment s;
  s.seq = next_seq_++;
  s.path = options_.dir / segment_name(s.seq);
  int fd = ::open(s.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw JournalError("cannot create " + s.path.string() + ": " + errno_text(errno));
  try {
    write_all(fd, kMagic.data(), kMagic.size(), 0, s.path.string());
    if (::fdatasync(fd) != 0) {
      throw JournalError("cannot fdatasync " + s.path.string() + ": " + errno_text(errno));
    }
    // The new name must be durable too, or a machine crash could lose the whole file.
    sync_dir(options_.dir);
  } catch (...) {
    ::close(fd);
    ::unlink(s.path.c_str());
    throw;
  }
  s.size = kHeaderBytes;
  s.allocated = kHeaderBytes;
  s.read_offset = kHeaderBytes;
  active_fd_ = fd;
  segments_.push_back(std::move(s));
  return segments_.back();
}

void Journal::append(const JournalBatch& batch) {
  if (batch.empty()) return;
  int fd = -1;
  uint64_t offset = 0;
  uint64_t allocated = 0;
  uint64_t seq = 0;
  std::string path;
  {
    std::lock_guard lock(mutex_);
    Segment& s = open_active_locked();
    fd = active_fd_;
    offset = s.size;
    allocated = s.allocated;
    seq = s.seq;
    path = s.path.string();
    appending_ = true;
  }
  const uint64_t marker_end = offset + batch.bytes() + kFrameHeaderBytes;
  try {
    // pwrite at the end of the valid part: bytes left by a failed earlier append are
    // overwritten, never read. The marker after the frames hides whatever follows them.
    write_all(fd, batch.frames().data(), batch.bytes(), offset, path);
    write_all(fd, kEndMarker, kFrameHeaderBytes, offset + batch.bytes(), path);
    if (marker_end > allocated) {
      const uint64_t to = (marker_end + kExtendBytes - 1) / kExtendBytes * kExtendBytes;
      write_zeros(fd, marker_end, to - marker_end, path);
      allocated = to;
    }
    if (::fdatasync(fd) != 0)
      throw JournalError("cannot fdatasync " + path + ": " + errno_text(errno));
  } catch (...) {
    std::lock_guard lock(mutex_);
    appending_ = false;
    // After a failed fsync the kernel's view of the file cannot be trusted (its dirty pages
    // may have been dropped): never append to this segment again.
    for (auto& s : segments_) {
      if (s.seq == seq && !s.sealed) {
        s.sealed = true;
        ::close(active_fd_);
        active_fd_ = -1;
      }
    }
    throw;
  }
  std::lock_guard lock(mutex_);
  appending_ = false;
  for (auto& s : segments_) {
    if (s.seq == seq) {
      s.size = offset + batch.bytes();
      s.allocated = std::max(s.allocated, allocated);
      s.records += batch.events();
    }
  }
}

JournalChunk Journal::read(size_t max_events, uint64_t max_bytes) {
  JournalChunk chunk;
  std::filesystem::path path;
  uint64_t start = 0;
  uint64_t end = 0;
  uint64_t records_left = 0;
  {
    std::lock_guard lock(mutex_);
    for (const auto& s : segments_) {
      if (s.read_offset < s.size) {
        path = s.path;
        start = s.read_offset;
        end = s.size;
        chunk.segment = s.seq;
        records_left = s.records - s.read_records;
        break;
      }
    }
  }
  if (path.empty() || max_events == 0) return chunk;
  std::string data =
      read_range(path, start, std::min(end - start, std::max<uint64_t>(max_bytes, 1)));
  uint64_t pos = 0;
  for (;;) {
    if (chunk.frames == max_events || start + pos >= end) break;
    std::string_view payload;
    size_t size = 0;
    FrameStatus status = read_frame(std::string_view(data).substr(pos), payload, size);
    if (status == FrameStatus::incomplete && start + pos + kFrameHeaderBytes <= end &&
        chunk.frames == 0) {
      // One frame larger than the read window: read exactly that frame.
      std::string header = read_range(path, start + pos, kFrameHeaderBytes);
      uint64_t len = header.size() == kFrameHeaderBytes
                         ? (uint64_t{static_cast<unsigned char>(header[0])} |
                            uint64_t{static_cast<unsigned char>(header[1])} << 8 |
                            uint64_t{static_cast<unsigned char>(header[2])} << 16 |
                            uint64_t{static_cast<unsigned char>(header[3])} << 24)
                         : 0;
      if (len > 0 && len <= kMaxRecordBytes && data.size() < kFrameHeaderBytes + len) {
        data = read_range(path, start + pos, std::min(end - start - pos, kFrameHeaderBytes + len));
        start += pos;
        pos = 0;
        continue;
      }
    }
    if (status == FrameStatus::incomplete && start + pos < end && chunk.frames > 0) break;
    if (status != FrameStatus::ok) {
      // Was valid when scanned or written: the file changed under us (disk error, an
      // operator). Nothing after it in this segment can be framed; give it up, loudly.
      log(LogSeverity::error, "journal: " + path.string() + ": unreadable record at offset " +
                                  std::to_string(start + pos) +
                                  "; skipping the rest of the segment (" +
                                  std::to_string(records_left - chunk.frames) + " record(s))");
      chunk.frames = records_left;
      chunk.end = end;
      return chunk;
    }
    muc::RoomEvent event;
    if (decode_event(payload, event)) {
      chunk.events.push_back(std::move(event));
    } else {
      log(LogSeverity::error, "journal: " + path.string() + ": record at offset " +
                                  std::to_string(start + pos) +
                                  " has a valid CRC but cannot be decoded (written by a newer "
                                  "commonroom?); skipped");
    }
    pos += size;
    ++chunk.frames;
  }
  chunk.end = start + pos;
  return chunk;
}

void Journal::consume(const JournalChunk& chunk) {
  if (chunk.empty()) return;
  std::lock_guard lock(mutex_);
  for (auto& s : segments_) {
    if (s.seq == chunk.segment) {
      s.read_offset = std::max(s.read_offset, chunk.end);
      s.read_records = std::min(s.records, s.read_records + chunk.frames);
    }
  }
  while (!segments_.empty() && segments_.front().read_offset >= segments_.front().size) {
    Segment& s = segments_.front();
    if (!s.sealed) {
      if (appending_) break;
      // The active segment is drained: start it over, keeping its blocks (appends overwrite
      // them), instead of creating a file per batch. The marker is not synced: should a crash
      // lose it, the old events are replayed, which inserts nothing (idempotent on event id).
      if (::pwrite(active_fd_, kEndMarker, kFrameHeaderBytes, static_cast<off_t>(kHeaderBytes)) !=
          static_cast<ssize_t>(kFrameHeaderBytes)) {
        log(LogSeverity::warning,
            "journal: cannot reset " + s.path.string() + ": " + errno_text(errno));
        break;
      }
      s.size = kHeaderBytes;
      s.read_offset = kHeaderBytes;
      s.records = 0;
      s.read_records = 0;
      break;
    }
    remove_segment_file(s);
    segments_.pop_front();
  }
}

void Journal::remove_segment_file(const Segment& s) {
  if (::unlink(s.path.c_str()) != 0 && errno != ENOENT) {
    log(LogSeverity::warning,
        "journal: cannot delete drained segment " + s.path.string() + ": " + errno_text(errno));
  }
}

JournalBacklog Journal::backlog() const {
  std::lock_guard lock(mutex_);
  JournalBacklog b;
  for (const auto& s : segments_) {
    b.events += s.records - s.read_records;
    b.bytes += s.size - s.read_offset;
  }
  b.segments = segments_.size();
  return b;
}

}  // namespace commonroom::store
