// The archive worker answers XEP-0313 queries off the engine thread: a slow archive delays
// only the person who asked, a flood of queries is refused rather than queued forever, and
// a broken database gives the asker an error instead of silence.
#include <Poco/Logger.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string_view>
#include <thread>

#include "app/archive_worker.hpp"
#include "xmpp/outbox.hpp"
#include "xmpp/serializer.hpp"

namespace commonroom::app {
namespace {

using namespace std::chrono_literals;

muc::MamQuery query(std::string id) {
  muc::MamQuery q;
  q.room = "coven@chat.shakespeare.lit";
  q.requester = "hag66@shakespeare.lit/pda";
  q.iq_id = std::move(id);
  return q;
}

// Collects what the worker sends, for the test thread to wait on.
struct Outbox {
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> stanzas;

  void take(const muc::Effects& e) {
    std::lock_guard lock(mutex);
    // Results come as one serialized run (decision 0086), errors as elements.
    xmpp::write_in_order(e, [&](std::string_view s) { stanzas.emplace_back(s); });
    cv.notify_all();
  }
  std::vector<std::string> wait_for(std::size_t n) {
    std::unique_lock lock(mutex);
    cv.wait_for(lock, 5s, [&] { return stanzas.size() >= n; });
    return stanzas;
  }
};

bool has(const std::string& stanza, const std::string& part) {
  return stanza.find(part) != std::string::npos;
}

TEST(ArchiveWorker, AnswersEachQueryInOrderWithResultsThenFin) {
  Outbox out;
  ArchiveWorker worker(
      [](const muc::MamQuery& q) -> std::optional<muc::MamPage> {
        muc::MamPage page;
        page.complete = true;
        if (q.iq_id == "unknown-anchor") return std::nullopt;
        return page;
      },
      [&](const muc::Effects& e) { out.take(e); }, Poco::Logger::get("test"));
  worker.start();
  worker.submit({query("q1"), query("unknown-anchor"), query("q3")});
  auto sent = out.wait_for(3);
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_TRUE(has(sent[0], "id='q1'") && has(sent[0], "type='result'") && has(sent[0], "<fin"))
      << sent[0];
  EXPECT_TRUE(has(sent[1], "id='unknown-anchor'") && has(sent[1], "item-not-found")) << sent[1];
  EXPECT_TRUE(has(sent[2], "id='q3'") && has(sent[2], "type='result'")) << sent[2];
}

TEST(ArchiveWorker, ADatabaseErrorIsAnsweredNotSwallowed) {
  Outbox out;
  ArchiveWorker worker(
      [](const muc::MamQuery&) -> std::optional<muc::MamPage> {
        throw std::runtime_error("canceling statement due to statement timeout");
      },
      [&](const muc::Effects& e) { out.take(e); }, Poco::Logger::get("test"));
  worker.start();
  worker.submit({query("slow")});
  auto sent = out.wait_for(1);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(has(sent[0], "type='error'") && has(sent[0], "internal-server-error") &&
              has(sent[0], "the archive is unavailable"))
      << sent[0];
}

TEST(ArchiveWorker, SubmittingNeverWaitsForASlowArchiveAndAFloodIsRefused) {
  Outbox out;
  std::mutex gate;
  std::unique_lock held(gate);  // the archive "hangs" until the test lets it go
  std::atomic<int> reads{0};
  ArchiveWorker worker(
      [&](const muc::MamQuery&) -> std::optional<muc::MamPage> {
        ++reads;
        std::lock_guard wait(gate);
        return muc::MamPage{};
      },
      [&](const muc::Effects& e) { out.take(e); }, Poco::Logger::get("test"), 2);
  worker.start();
  auto started = std::chrono::steady_clock::now();
  worker.submit({query("a")});
  while (reads == 0) std::this_thread::sleep_for(1ms);  // "a" is being read, and hangs
  worker.submit({query("b"), query("c"), query("d")});  // b, c wait; d is one too many
  EXPECT_LT(std::chrono::steady_clock::now() - started, 1s) << "submit must not block";
  auto refused = out.wait_for(1);
  ASSERT_EQ(refused.size(), 1u);
  EXPECT_TRUE(has(refused[0], "id='d'") && has(refused[0], "resource-constraint") &&
              has(refused[0], "type='wait'"))
      << refused[0];
  held.unlock();
  auto all = out.wait_for(4);
  ASSERT_EQ(all.size(), 4u);
  EXPECT_TRUE(has(all[1], "id='a'") && has(all[2], "id='b'") && has(all[3], "id='c'"));
}

TEST(ArchiveWorker, QueriesLeftAtStopAreToldTheServiceIsStopping) {
  Outbox out;
  std::mutex gate;
  std::unique_lock held(gate);
  std::atomic<int> reads{0};
  auto worker = std::make_unique<ArchiveWorker>(
      [&](const muc::MamQuery&) -> std::optional<muc::MamPage> {
        ++reads;
        std::lock_guard wait(gate);
        return muc::MamPage{};
      },
      [&](const muc::Effects& e) { out.take(e); }, Poco::Logger::get("test"));
  worker->start();
  worker->submit({query("running"), query("waiting")});
  while (reads == 0) std::this_thread::sleep_for(1ms);
  std::thread stopper([&] { worker->stop(); });
  // "waiting" must still be queued when stop() begins; wait for that, not for a time.
  while (!worker->stopping()) std::this_thread::yield();
  held.unlock();
  stopper.join();
  auto sent = out.wait_for(2);
  ASSERT_EQ(sent.size(), 2u);
  EXPECT_TRUE(has(sent[0], "id='running'") && has(sent[0], "type='result'")) << sent[0];
  EXPECT_TRUE(has(sent[1], "id='waiting'") && has(sent[1], "service-unavailable") &&
              has(sent[1], "the service is stopping"))
      << sent[1];
}

}  // namespace
}  // namespace commonroom::app
