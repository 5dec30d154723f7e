// The abuse log's local journal: append-only segment files of CRC-framed events, fsync'd per
// group commit, replayed into PostgreSQL and deleted once drained. A segment is extended with
// zeros a megabyte ahead of its frames and reused from its start once drained, so an append
// overwrites blocks the file already has and its fdatasync has no file size to commit.
#pragma once
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

#include "muc/room_event.hpp"

namespace commonroom::store {

enum class LogSeverity : uint8_t { information, warning, error };
// Where store/ reports what an operator should see; app/ routes it to the "store" logger.
using LogSink = std::function<void(LogSeverity, const std::string&)>;

// The journal directory cannot be used (create, write, fsync, read, delete failed).
class JournalError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Events encoded as frames, ready to append (built outside any lock, by the writer thread).
class JournalBatch {
 public:
  void add(const muc::RoomEvent& event);
  size_t events() const { return events_; }
  size_t bytes() const { return frames_.size(); }
  bool empty() const { return events_ == 0; }
  const std::string& frames() const { return frames_; }
  void clear();

 private:
  std::string frames_;
  size_t events_ = 0;
};

struct JournalBacklog {
  uint64_t events = 0;  // appended and not yet consumed (drained)
  uint64_t bytes = 0;   // their frame bytes
  size_t segments = 0;  // segment files on disk
};

// Events read back for draining; pass the chunk to consume() once they are in PostgreSQL.
struct JournalChunk {
  std::vector<muc::RoomEvent> events;
  uint64_t segment = 0;  // the segment they came from (a chunk never spans two)
  uint64_t end = 0;      // byte offset just after the last frame read
  uint64_t frames = 0;   // frames covered, including undecodable ones that were skipped
  bool empty() const { return frames == 0; }
};

// Thread-safety: one appender thread and one reader (drainer) thread may use it at once;
// backlog() may be called from anywhere.
class Journal {
 public:
  struct Options {
    std::filesystem::path dir;
    uint64_t segment_bytes = 64ull << 20;  // a segment is closed once it is this large
    LogSink log;
  };

  // Creates the directory if needed, locks it (a second process using the same directory
  // gets a JournalError) and recovers the segments in it: each is scanned, a torn
  // tail (a partial last record after a crash) or a corrupt record ends the readable part of
  // its segment, with a log line saying how many bytes were ignored. Throws JournalError.
  explicit Journal(Options options);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Writes the batch to the current segment and fdatasyncs it: when this returns, the events
  // survive a crash of the process or the machine. Throws JournalError (nothing is counted
  // then; a later append or recovery ignores the partial bytes).
  void append(const JournalBatch& batch);

  // Reads up to max_events unconsumed events (from one segment), without consuming them.
  JournalChunk read(size_t max_events, uint64_t max_bytes = 16u << 20);
  // Marks a chunk returned by read() as drained; deletes segments that are fully drained.
  void consume(const JournalChunk& chunk);

  JournalBacklog backlog() const;
  const std::filesystem::path& dir() const { return options_.dir; }

 private:
  struct Segment {
    uint64_t seq = 0;
    std::filesystem::path path;
    uint64_t size = 0;          // bytes of valid frames + header; nothing after it is read
    uint64_t allocated = 0;     // file bytes written so far (frames, then zeros or old frames)
    uint64_t records = 0;       // valid frames
    uint64_t read_offset = 0;   // drain cursor (bytes)
    uint64_t read_records = 0;  // drain cursor (frames)
    bool sealed = false;        // no more appends (recovered, full, or drained while idle)
  };

  void recover();
  void scan(Segment& segment, bool last);
  Segment& open_active_locked();
  void log(LogSeverity severity, const std::string& message) const;
  void remove_segment_file(const Segment& segment);

  Options options_;
  mutable std::mutex mutex_;
  std::deque<Segment> segments_;  // oldest first; the active one (if any) is last
  int active_fd_ = -1;
  int lock_fd_ = -1;        // flock'd: one process per journal directory
  bool appending_ = false;  // an append is writing outside the lock
  uint64_t next_seq_ = 1;
};

}  // namespace commonroom::store
