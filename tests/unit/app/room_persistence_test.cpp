// Room saves on their own thread: the engine waits for a save only while PostgreSQL keeps
// up, never longer than the wait budget, and nothing handed over is lost when PostgreSQL
// fails or stalls (the latest state per room is written when it answers again). The writer
// is injected: no database here.
#include "app/room_persistence.hpp"

#include <Poco/Logger.h>
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <stdexcept>

using namespace commonroom;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

// A writer the test controls: records what it was given, can fail or hold until released.
struct FakeDatabase {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::vector<store::RoomChange>> writes;
  std::map<std::string, std::string> rooms;  // jid -> room name, as last written
  bool fail = false;
  bool hold = false;
  int attempts = 0;

  app::RoomPersistence::Writer writer() {
    return [this](const std::vector<store::RoomChange>& changes) {
      std::unique_lock lock(mutex);
      ++attempts;
      cv.wait(lock, [this] { return !hold; });
      if (fail) throw std::runtime_error("connection refused");
      writes.push_back(changes);
      for (const auto& c : changes) {
        if (c.snapshot) {
          rooms[c.jid] = c.snapshot->config.name;
        } else {
          rooms.erase(c.jid);
        }
      }
      cv.notify_all();
    };
  }
  void set(bool FakeDatabase::*flag, bool value) {
    std::lock_guard lock(mutex);
    this->*flag = value;
    cv.notify_all();
  }
  std::map<std::string, std::string> stored() {
    std::lock_guard lock(mutex);
    return rooms;
  }
};

muc::Effects save(const std::string& jid, const std::string& name) {
  muc::Effects fx;
  muc::RoomSnapshot s;
  s.jid = jid;
  s.config.name = name;
  fx.saves.push_back(s);
  return fx;
}

app::RoomPersistence::Timing fast() {
  return {std::chrono::milliseconds(300), std::chrono::milliseconds(50)};
}

}  // namespace

TEST(RoomPersistence, AHealthySaveIsWrittenBeforeProcessReturns) {
  FakeDatabase db;
  app::RoomPersistence p("", db.writer(), Poco::Logger::get("test"), fast());
  p.process(save("coven@chat.shakespeare.lit", "Coven"));
  // Written by the time the outcome's stanzas would be sent.
  EXPECT_EQ(db.stored(),
            (std::map<std::string, std::string>{{"coven@chat.shakespeare.lit", "Coven"}}));
  EXPECT_FALSE(p.has_pending());
}

TEST(RoomPersistence, AStalledDatabaseHoldsTheEngineNoLongerThanTheBudget) {
  FakeDatabase db;
  db.hold = true;  // PostgreSQL accepts the connection but never answers
  app::RoomPersistence p("", db.writer(), Poco::Logger::get("test"), fast());
  auto t0 = Clock::now();
  p.process(save("coven@chat.shakespeare.lit", "One"));
  auto first = Clock::now() - t0;
  EXPECT_GE(first, 250ms);
  EXPECT_LT(first, 3s);
  // Behind now: later outcomes do not wait at all.
  t0 = Clock::now();
  p.process(save("coven@chat.shakespeare.lit", "Two"));
  p.process(save("heath@chat.shakespeare.lit", "Heath"));
  EXPECT_LT(Clock::now() - t0, 200ms);
  EXPECT_TRUE(p.has_pending());
  // When it answers, the latest state of each room is written.
  db.set(&FakeDatabase::hold, false);
  ASSERT_TRUE(p.flush(5s));
  EXPECT_EQ(db.stored(),
            (std::map<std::string, std::string>{{"coven@chat.shakespeare.lit", "Two"},
                                                {"heath@chat.shakespeare.lit", "Heath"}}));
  // Caught up: saves are waited for again.
  p.process(save("heath@chat.shakespeare.lit", "Heath 2"));
  EXPECT_EQ(db.stored().at("heath@chat.shakespeare.lit"), "Heath 2");
}

TEST(RoomPersistence, AFailedSaveIsRetriedWithTheLatestStateAndNothingIsLost) {
  FakeDatabase db;
  db.fail = true;
  app::RoomPersistence p("", db.writer(), Poco::Logger::get("test"), fast());
  p.process(save("coven@chat.shakespeare.lit", "One"));
  auto t0 = Clock::now();
  p.process(save("coven@chat.shakespeare.lit", "Two"));  // failing: no wait
  muc::Effects gone;
  gone.deletions.push_back("heath@chat.shakespeare.lit");
  p.process(gone);
  EXPECT_LT(Clock::now() - t0, 200ms);
  EXPECT_TRUE(p.has_pending());
  EXPECT_FALSE(p.flush(150ms));  // still down
  db.set(&FakeDatabase::fail, false);
  ASSERT_TRUE(p.flush(5s));
  EXPECT_EQ(db.stored(),
            (std::map<std::string, std::string>{{"coven@chat.shakespeare.lit", "Two"}}));
  EXPECT_GE(db.attempts, 2);
  EXPECT_FALSE(p.has_pending());
}

TEST(RoomPersistence, StoppingWhileAWriteHangsDoesNotHang) {
  auto db = std::make_shared<FakeDatabase>();
  db->hold = true;
  auto t0 = Clock::now();
  {
    // The writer keeps the fake alive: the thread left behind still holds it.
    app::RoomPersistence p(
        "", [db, write = db->writer()](const auto& changes) { write(changes); },
        Poco::Logger::get("test"), fast());
    p.process(save("coven@chat.shakespeare.lit", "One"));
    EXPECT_FALSE(p.flush(100ms));
  }
  EXPECT_LT(Clock::now() - t0, 5s);
  // Lets the left-behind write finish; it must not log then (under ThreadSanitizer, its
  // logging raced with the logger's destruction at exit).
  db->set(&FakeDatabase::hold, false);
}
