#include "store/journal.hpp"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "store/journal_codec.hpp"
#include "store_test_support.hpp"

namespace commonroom::store {
namespace {

using ::testing::ContainsRegex;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::ids;
using testing::message;
using ::testing::Not;
using testing::segment_files;
using testing::TempDir;

struct Logged {
  std::vector<std::pair<LogSeverity, std::string>> lines;
  LogSink sink() {
    return [this](LogSeverity s, const std::string& m) { lines.emplace_back(s, m); };
  }
  std::string all() const {
    std::string out;
    for (const auto& [s, m] : lines) out += m + "\n";
    return out;
  }
};

Journal::Options options(const TempDir& dir, Logged* logged = nullptr, uint64_t segment = 1 << 20) {
  Journal::Options o;
  o.dir = dir.path();
  o.segment_bytes = segment;
  if (logged) o.log = logged->sink();
  return o;
}

void append(Journal& journal, int from, int to) {
  JournalBatch batch;
  for (int i = from; i < to; ++i) batch.add(message(i));
  journal.append(batch);
}

std::vector<std::string> drain(Journal& journal, size_t per_read = 1000) {
  std::vector<std::string> out;
  for (;;) {
    JournalChunk chunk = journal.read(per_read);
    if (chunk.empty()) return out;
    for (auto& id : ids(chunk.events)) out.push_back(id);
    journal.consume(chunk);
  }
}

// Where the frames of message(from..to) end in a fresh segment (the rest is zeros).
uint64_t frames_end(int from, int to) {
  std::string frames;
  for (int i = from; i < to; ++i) append_event_frame(frames, message(i));
  return 8 + frames.size();  // after the segment header
}

TEST(Journal, AppendedEventsSurviveAReopenAndReadBackInOrder) {
  TempDir dir;
  {
    Journal journal(options(dir));
    append(journal, 0, 3);
    append(journal, 3, 5);
    EXPECT_EQ(journal.backlog().events, 5u);
  }
  Logged logged;
  Journal reopened(options(dir, &logged));
  EXPECT_EQ(reopened.backlog().events, 5u);
  EXPECT_THAT(logged.all(), HasSubstr("5 event(s) in 1 segment(s) not yet in PostgreSQL"));
  JournalChunk chunk = reopened.read(100);
  EXPECT_THAT(ids(chunk.events), ElementsAre("ev-0", "ev-1", "ev-2", "ev-3", "ev-4"));
  EXPECT_EQ(chunk.events[2].body, "hello 2");
  // Reading does not consume: a failed PostgreSQL write must be able to retry them.
  EXPECT_EQ(reopened.backlog().events, 5u);
  reopened.consume(chunk);
  EXPECT_EQ(reopened.backlog().events, 0u);
  EXPECT_EQ(reopened.backlog().bytes, 0u);
}

TEST(Journal, ReadRespectsTheEventLimitAndConsumeMovesOn) {
  TempDir dir;
  Journal journal(options(dir));
  append(journal, 0, 10);
  JournalChunk first = journal.read(4);
  EXPECT_THAT(ids(first.events), ElementsAre("ev-0", "ev-1", "ev-2", "ev-3"));
  journal.consume(first);
  EXPECT_EQ(journal.backlog().events, 6u);
  EXPECT_EQ(drain(journal, 4).size(), 6u);
}

TEST(Journal, AFrameLargerThanTheReadWindowIsStillRead) {
  TempDir dir;
  Journal journal(options(dir));
  JournalBatch batch;
  batch.add(message(1, std::string(100000, 'x')));
  journal.append(batch);
  JournalChunk chunk = journal.read(10, 64);
  ASSERT_EQ(chunk.events.size(), 1u);
  EXPECT_EQ(chunk.events[0].body.size(), 100000u);
}

TEST(Journal, TornTailFromACrashIsIgnoredWithALogLine) {
  TempDir dir;
  {
    Journal journal(options(dir));
    append(journal, 0, 3);
  }
  auto files = segment_files(dir.path());
  ASSERT_EQ(files.size(), 1u);
  // A segment from before the zero-filled ones, or a file system that lost its tail: the
  // last record lost its final bytes.
  std::filesystem::resize_file(files[0], frames_end(0, 3) - 5);
  Logged logged;
  Journal journal(options(dir, &logged));
  EXPECT_EQ(journal.backlog().events, 2u);
  EXPECT_THAT(logged.all(), HasSubstr("torn tail (a partial record)"));
  EXPECT_THAT(logged.all(), HasSubstr("after 2 good record(s)"));
  EXPECT_EQ(logged.lines.front().first, LogSeverity::warning);
  // New events go to a new segment, after the recovered ones.
  append(journal, 10, 12);
  EXPECT_EQ(segment_files(dir.path()).size(), 2u);
  EXPECT_THAT(drain(journal), ElementsAre("ev-0", "ev-1", "ev-10", "ev-11"));
  // The recovered segment is deleted once drained; the current one is kept for reuse.
  EXPECT_EQ(segment_files(dir.path()).size(), 1u);
}

TEST(Journal, ARecordCutShortByACrashInZeroFilledSpaceIsATornTail) {
  TempDir dir;
  {
    Journal journal(options(dir));
    append(journal, 0, 3);
  }
  auto file = segment_files(dir.path())[0];
  // The segment was extended with zeros ahead of its frames: a crash in the middle of the
  // last append leaves that record's end as zeros.
  EXPECT_GE(std::filesystem::file_size(file), 1u << 20);
  {
    std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(frames_end(0, 3) - 5));
    f << std::string(5, '\0');
  }
  Logged logged;
  Journal journal(options(dir, &logged));
  EXPECT_EQ(journal.backlog().events, 2u);
  EXPECT_THAT(logged.all(), HasSubstr("torn tail (a record whose CRC does not match)"));
  // The record's own bytes, not the megabyte of zeros after it.
  EXPECT_THAT(logged.all(), ContainsRegex("ignored [0-9]{1,3} byte\\(s\\) after 2 good"));
  EXPECT_THAT(drain(journal), ElementsAre("ev-0", "ev-1"));
}

TEST(Journal, ZerosAfterTheFramesAreTheirEndNotDamage) {
  TempDir dir;
  {
    Journal journal(options(dir));
    append(journal, 0, 2);
  }
  Logged logged;
  Journal journal(options(dir, &logged));
  EXPECT_EQ(journal.backlog().events, 2u);
  EXPECT_EQ(logged.all(), "journal " + dir.path().string() +
                              ": 2 event(s) in 1 segment(s) not yet in PostgreSQL; they will be "
                              "replayed\n");
}

TEST(Journal, AReusedSegmentReplaysOnlyWhatWasAppendedSinceItsDrain) {
  TempDir dir;
  std::uintmax_t size_before = 0;
  {
    Journal journal(options(dir));
    append(journal, 0, 20);
    EXPECT_EQ(drain(journal).size(), 20u);
    size_before = std::filesystem::file_size(segment_files(dir.path())[0]);
    // Appends after the drain overwrite the old frames from the start of the same file,
    // which does not grow; the old frames after the new ones are still on disk.
    append(journal, 100, 102);
    EXPECT_EQ(std::filesystem::file_size(segment_files(dir.path())[0]), size_before);
  }
  Logged logged;
  Journal journal(options(dir, &logged));
  EXPECT_EQ(journal.backlog().events, 2u);
  EXPECT_THAT(logged.all(), Not(HasSubstr("torn")));
  EXPECT_THAT(drain(journal), ElementsAre("ev-100", "ev-101"));
}

TEST(Journal, CrcMismatchInAnOlderSegmentIsReportedAsCorruption) {
  TempDir dir;
  {
    Journal journal(options(dir, nullptr, 200));  // tiny segments: one batch each
    append(journal, 0, 2);
    append(journal, 2, 4);
  }
  auto files = segment_files(dir.path());
  ASSERT_EQ(files.size(), 2u);
  // Flip a byte inside the second record of the first segment.
  std::string first_frame;
  append_event_frame(first_frame, message(0));
  {
    std::fstream f(files[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(8 + first_frame.size() + kFrameHeaderBytes + 12));
    f.put('#');
  }
  Logged logged;
  Journal journal(options(dir, &logged, 200));
  EXPECT_THAT(logged.all(), HasSubstr("corrupt: a record whose CRC does not match"));
  EXPECT_EQ(logged.lines.front().first, LogSeverity::error);
  // The good record before it and the whole later segment are still replayed.
  EXPECT_THAT(drain(journal), ElementsAre("ev-0", "ev-2", "ev-3"));
}

TEST(Journal, RotatesSegmentsAndDeletesThemOnceDrained) {
  TempDir dir;
  Journal journal(options(dir, nullptr, 1000));
  for (int i = 0; i < 20; ++i) append(journal, i * 3, i * 3 + 3);
  const size_t files = segment_files(dir.path()).size();
  EXPECT_GT(files, 5u);
  EXPECT_EQ(journal.backlog().segments, files);
  EXPECT_EQ(journal.backlog().events, 60u);
  // Drain half: the segments holding it go, the rest stay.
  JournalChunk chunk;
  size_t drained = 0;
  while (drained < 30) {
    chunk = journal.read(30 - drained);
    drained += chunk.events.size();
    journal.consume(chunk);
  }
  EXPECT_LT(segment_files(dir.path()).size(), files);
  EXPECT_EQ(journal.backlog().events, 30u);
  auto rest = drain(journal);
  ASSERT_EQ(rest.size(), 30u);
  EXPECT_EQ(rest.front(), "ev-30");
  EXPECT_EQ(rest.back(), "ev-59");
  EXPECT_EQ(journal.backlog().events, 0u);
  EXPECT_LE(segment_files(dir.path()).size(), 1u);
}

TEST(Journal, DrainedCurrentSegmentIsReusedAndEmptyOnesAreRemovedAtStart) {
  TempDir dir;
  {
    Journal journal(options(dir));
    append(journal, 0, 3);
    EXPECT_EQ(drain(journal).size(), 3u);
    append(journal, 3, 4);  // appends after a drain land in the same, emptied file
    EXPECT_EQ(segment_files(dir.path()).size(), 1u);
    EXPECT_THAT(drain(journal), ElementsAre("ev-3"));
  }
  Journal reopened(options(dir));
  EXPECT_EQ(reopened.backlog().events, 0u);
  EXPECT_TRUE(segment_files(dir.path()).empty());
}

TEST(Journal, AForeignFileWithASegmentNameIsLeftAlone) {
  TempDir dir;
  auto stray = dir.path() / "segment-00000000000000000001.journal";
  std::ofstream(stray) << "not a journal at all";
  Logged logged;
  Journal journal(options(dir, &logged));
  EXPECT_THAT(logged.all(), HasSubstr("is not a commonroom journal segment"));
  EXPECT_EQ(journal.backlog().events, 0u);
  append(journal, 0, 1);  // does not reuse its number
  EXPECT_TRUE(std::filesystem::exists(stray));
  EXPECT_EQ(segment_files(dir.path()).size(), 2u);
  EXPECT_THAT(drain(journal), ElementsAre("ev-0"));
}

TEST(Journal, ADirectoryServesOneJournalAtATime) {
  TempDir dir;
  auto first = std::make_unique<Journal>(options(dir));
  try {
    Journal second(options(dir));
    FAIL() << "expected JournalError";
  } catch (const JournalError& e) {
    EXPECT_THAT(e.what(), HasSubstr("is in use by another commonroom process"));
  }
  first.reset();
  Journal third(options(dir));  // free again once the first is gone
  EXPECT_EQ(third.backlog().events, 0u);
}

TEST(Journal, UnusableDirectoryIsAClearError) {
  TempDir dir;
  std::ofstream(dir.path() / "file") << "x";
  try {
    Journal journal(Journal::Options{dir.path() / "file" / "journal", 1 << 20, {}});
    FAIL() << "expected JournalError";
  } catch (const JournalError& e) {
    EXPECT_THAT(e.what(), HasSubstr("cannot create journal directory"));
  }
}

}  // namespace
}  // namespace commonroom::store
