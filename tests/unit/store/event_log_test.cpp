// The event log without PostgreSQL: everything is made durable through the journal.
#include "store/event_log.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "store_test_support.hpp"

namespace commonroom::store {
namespace {

using ::testing::ElementsAre;
using testing::ids;
using testing::message;
using testing::TempDir;
using namespace std::chrono_literals;

EventLogSettings journal_only(const TempDir& dir) {
  EventLogSettings s;
  s.journal_dir = dir.path();
  s.mode = EventLogMode::database_first;  // no database configured: falls back to the journal
  return s;
}

std::vector<std::string> journal_ids(const TempDir& dir) {
  Journal journal(Journal::Options{dir.path(), 64 << 20, {}});
  std::vector<std::string> out;
  for (;;) {
    auto chunk = journal.read(1000);
    if (chunk.empty()) return out;
    for (auto& id : ids(chunk.events)) out.push_back(id);
    journal.consume(chunk);
  }
}

TEST(EventLogMode, NamesRoundTrip) {
  EventLogMode m{};
  ASSERT_TRUE(parse_event_log_mode("journal-first", m));
  EXPECT_EQ(m, EventLogMode::journal_first);
  ASSERT_TRUE(parse_event_log_mode(to_string(EventLogMode::database_first), m));
  EXPECT_EQ(m, EventLogMode::database_first);
  EXPECT_FALSE(parse_event_log_mode("journal_first", m));
}

// The defaults: copy once a second (256 per copy at most); small copies when busy.
TEST(JournalCopy, AtARoomsRateTheJournalIsCopiedOnceTheIntervalHasPassed) {
  using std::chrono::milliseconds;
  const EventLogSettings s;
  // 200 messages a second, a room of 10 at its busiest: the copy waits for the interval.
  EXPECT_FALSE(journal_copy_due_early(s, 40, milliseconds(200)));
  EXPECT_FALSE(journal_copy_due_early(s, 190, milliseconds(950)));
  // A few events, even at once: one copy a second shares its commit.
  EXPECT_FALSE(journal_copy_due_early(s, 31, milliseconds(0)));
}

TEST(JournalCopy, WhenEventsArriveFasterThanACopyHoldsTheyAreCopiedInSmallBatches) {
  using std::chrono::milliseconds;
  const EventLogSettings s;
  // 1,400 a second (half the saturating rate of a room of 1,000 here): 32 in 23 ms.
  EXPECT_TRUE(journal_copy_due_early(s, 32, milliseconds(23)));
  // Exactly the rate that fills a copy within the interval (256 a second) counts as busy.
  EXPECT_TRUE(journal_copy_due_early(s, 32, milliseconds(125)));
  EXPECT_FALSE(journal_copy_due_early(s, 32, milliseconds(126)));
  // However slowly they came, a full copy goes at once.
  EXPECT_TRUE(journal_copy_due_early(s, 256, milliseconds(900)));
}

TEST(JournalCopy, TheBusyBatchFollowsTheSettings) {
  using std::chrono::milliseconds;
  EventLogSettings s;
  s.replay_busy_events = 100;
  EXPECT_FALSE(journal_copy_due_early(s, 99, milliseconds(1)));
  EXPECT_TRUE(journal_copy_due_early(s, 100, milliseconds(1)));
  s.replay_interval = milliseconds(10000);  // 256 per 10 s: 100 in 3.9 s is busy
  EXPECT_TRUE(journal_copy_due_early(s, 100, milliseconds(3900)));
  EXPECT_FALSE(journal_copy_due_early(s, 100, milliseconds(4000)));
}

TEST(EventLog, TicketsCompleteInOrderOnlyAfterTheEventsAreInTheJournal) {
  TempDir dir;
  std::mutex m;
  std::vector<EventLog::Ticket> completed;
  std::vector<uint64_t> journaled_at_completion;
  {
    EventLog log(journal_only(dir));
    log.start();
    std::vector<EventLog::Ticket> tickets;
    for (int i = 0; i < 50; ++i) {
      tickets.push_back(log.submit({message(2 * i), message(2 * i + 1)}, [&](EventLog::Ticket t) {
        std::lock_guard lock(m);
        completed.push_back(t);
        journaled_at_completion.push_back(log.stats().journaled_events);
      }));
    }
    EXPECT_EQ(tickets.front(), 1u);
    ASSERT_TRUE(log.wait_durable(tickets.back(), 10s));
    auto stats = log.stats();
    EXPECT_EQ(stats.durable_events, 100u);
    EXPECT_EQ(stats.journaled_events, 100u);
    EXPECT_EQ(stats.backlog_events, 100u);
    EXPECT_EQ(stats.database_events, 0u);
    EXPECT_FALSE(stats.database_connected);
    EXPECT_EQ(stats.durable_through, tickets.back());
  }
  std::lock_guard lock(m);
  ASSERT_EQ(completed.size(), 50u);
  for (size_t i = 0; i < completed.size(); ++i) {
    EXPECT_EQ(completed[i], i + 1);
    EXPECT_GE(journaled_at_completion[i], 2 * (i + 1));  // its own events were already written
  }
  auto logged = journal_ids(dir);
  ASSERT_EQ(logged.size(), 100u);
  EXPECT_EQ(logged.front(), "ev-0");
  EXPECT_EQ(logged.back(), "ev-99");
}

TEST(EventLog, SubmissionsWaitingTogetherShareOneGroupCommit) {
  TempDir dir;
  auto settings = journal_only(dir);
  settings.max_batch_events = 40;
  EventLog log(settings);
  EventLog::Ticket last = 0;
  for (int i = 0; i < 100; ++i) last = log.submit({message(i)});
  log.start();  // all 100 are already waiting
  ASSERT_TRUE(log.wait_durable(last, 10s));
  auto stats = log.stats();
  EXPECT_EQ(stats.batches, 3u);  // 40 + 40 + 20, not 100 fdatasyncs
  EXPECT_EQ(stats.largest_batch_events, 40u);
  EXPECT_EQ(stats.last_batch_events, 20u);
}

TEST(EventLog, EmptySubmissionsKeepTheirPlaceInLine) {
  TempDir dir;
  EventLog log(journal_only(dir));
  std::vector<EventLog::Ticket> order;
  std::mutex m;
  auto record = [&](EventLog::Ticket t) {
    std::lock_guard lock(m);
    order.push_back(t);
  };
  log.submit({message(1)}, record);
  log.submit({}, record);
  log.submit({message(2)}, record);
  auto last = log.submit({}, record);
  log.start();
  ASSERT_TRUE(log.wait_durable(last, 10s));
  std::lock_guard lock(m);
  EXPECT_THAT(order, ElementsAre(1, 2, 3, 4));
}

TEST(EventLog, StopMakesEverythingSubmittedDurableAndTheNextStartSeesIt) {
  TempDir dir;
  {
    EventLog log(journal_only(dir));
    log.start();
    for (int i = 0; i < 500; ++i) log.submit({message(i)});
    log.stop();
    EXPECT_EQ(log.stats().durable_events, 500u);
    EXPECT_EQ(log.submit({message(999)}), 0u);  // refused after stop
  }
  EventLog again(journal_only(dir));
  EXPECT_EQ(again.stats().backlog_events, 500u);
}

TEST(EventLog, WaitDrainedIsFalseWhileEventsWaitForADatabase) {
  TempDir dir;
  EventLog log(journal_only(dir));
  log.start();
  auto t = log.submit({message(1)});
  ASSERT_TRUE(log.wait_durable(t, 10s));
  EXPECT_FALSE(log.wait_drained(100ms));
}

TEST(EventLog, SubmitWaitsWhileTooManyEventsAreQueuedAndResumesWhenTheyAreWritten) {
  TempDir dir;
  auto settings = journal_only(dir);
  settings.max_pending_events = 10;
  EventLog log(settings);
  std::vector<muc::RoomEvent> ten;
  for (int i = 0; i < 10; ++i) ten.push_back(message(i));
  log.submit(std::move(ten));  // fills the queue; the writer has not started
  std::atomic<EventLog::Ticket> second{0};
  std::thread engine([&] { second = log.submit({message(10)}); });
  std::this_thread::sleep_for(100ms);
  EXPECT_EQ(second.load(), 0u);  // held back
  log.start();
  engine.join();
  EXPECT_EQ(second.load(), 2u);
  ASSERT_TRUE(log.wait_durable(2, 10s));
  EXPECT_EQ(log.stats().durable_events, 11u);
}

TEST(EventLog, ACallbackMaySubmitEvenWhenTheQueueIsFull) {
  TempDir dir;
  auto settings = journal_only(dir);
  settings.max_pending_events = 1;
  EventLog log(settings);
  log.start();
  std::atomic<EventLog::Ticket> inner{0};
  auto first = log.submit({message(1)}, [&](EventLog::Ticket) {
    // The writer thread must not wait for itself.
    log.submit({message(2)});
    inner = log.submit({message(3)});
  });
  ASSERT_TRUE(log.wait_durable(first, 10s));
  ASSERT_NE(inner.load(), 0u);
  ASSERT_TRUE(log.wait_durable(inner.load(), 10s));
  EXPECT_EQ(log.stats().durable_events, 3u);
}

}  // namespace
}  // namespace commonroom::store
