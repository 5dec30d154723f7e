// LdapSync run logic with a scripted LDAP source and an in-memory store: what is merged,
// what is removed, and that a failed or suspicious run leaves the stored directory alone.
#include "directory/ldap_sync.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>

namespace commonroom::directory {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;
using TimePoint = std::chrono::system_clock::time_point;

LdapEntry person_entry(const std::string& uid, const std::string& cn = "") {
  LdapEntry e;
  e.dn = "uid=" + uid + ",ou=people,o=University of Cambridge,dc=cam,dc=ac,dc=uk";
  e.attributes = {{"uid", {uid}}, {"cn", {cn.empty() ? "Person " + uid : cn}}, {"sn", {"X"}}};
  return e;
}

LdapEntry group_entry(const std::string& id, std::vector<std::string> members) {
  LdapEntry e;
  e.dn = "groupID=" + id + ",ou=groups,o=University of Cambridge,dc=cam,dc=ac,dc=uk";
  e.attributes = {{"groupID", {id}}, {"groupTitle", {"Group " + id}}, {"uid", members}};
  return e;
}

// The directory as LDAP holds it; searches are served from here, and may fail.
struct FakeLdap {
  std::vector<LdapEntry> people, institutions, groups;
  std::vector<SearchRequest> searches;
  bool unreachable = false;
  // Fail the people search after this many entries (the server died mid-way).
  std::optional<std::size_t> fail_after;
};

class FakeSource : public EntrySource {
 public:
  explicit FakeSource(FakeLdap& ldap) : ldap_(ldap) {}
  void search(const SearchRequest& r, const EntryCallback& cb) override {
    ldap_.searches.push_back(r);
    const auto& list = r.base.starts_with("ou=people")  ? ldap_.people
                       : r.base.starts_with("ou=insts") ? ldap_.institutions
                                                        : ldap_.groups;
    std::size_t n = 0;
    for (const auto& e : list) {
      if (r.base.starts_with("ou=people") && ldap_.fail_after && n == *ldap_.fail_after)
        throw LdapError("ldap://test: search of people (page 3): Can't contact LDAP server", -1);
      cb(e);
      ++n;
    }
  }

 private:
  FakeLdap& ldap_;
};

// DirectoryWriter with the same staging semantics as store::DirectoryStore.
class MemoryWriter : public DirectoryWriter {
 public:
  std::map<std::string, Person> people;
  std::map<std::string, Institution> institutions;
  std::map<std::string, std::set<std::string>> groups;
  std::set<std::string> opt_outs;
  std::vector<SyncRunRecord> runs;
  bool busy = false;
  int discards = 0;

  std::int64_t begin_run(SyncKind, TimePoint) override {
    if (busy) throw SyncBusy("another directory sync is running");
    staged_people_.clear();
    staged_inst_.clear();
    staged_groups_.clear();
    return static_cast<std::int64_t>(runs.size() + 1);
  }
  void stage_people(const std::vector<Person>& b) override {
    for (const auto& p : b) staged_people_[p.uid] = p;
  }
  void stage_institutions(const std::vector<Institution>& b) override {
    for (const auto& i : b) staged_inst_[i.inst_id] = i;
  }
  void stage_groups(const std::vector<Group>& b) override {
    for (const auto& g : b) staged_groups_[g.group_id] = {g.members.begin(), g.members.end()};
  }
  StagedDiff diff() override {
    StagedDiff d;
    d.stored_people = people.size();
    for (const auto& [uid, p] : people) d.people_to_remove += !staged_people_.count(uid);
    d.stored_institutions = institutions.size();
    for (const auto& [id, i] : institutions) d.institutions_to_remove += !staged_inst_.count(id);
    d.stored_groups = groups.size();
    for (const auto& [id, g] : groups) d.groups_to_remove += !staged_groups_.count(id);
    return d;
  }
  MergeCounts commit(bool remove_unseen) override {
    MergeCounts c;
    for (const auto& [uid, p] : staged_people_) {
      if (opt_outs.count(uid)) {
        ++c.opted_out;
        continue;
      }
      auto it = people.find(uid);
      if (it == people.end()) {
        ++c.added;
      } else if (!(it->second == p)) {
        ++c.updated;
      }
      people[uid] = p;
    }
    for (const auto& [id, i] : staged_inst_) institutions[id] = i;
    for (const auto& [id, g] : staged_groups_) groups[id] = g;
    if (remove_unseen) {
      for (auto it = people.begin(); it != people.end();) {
        if (!staged_people_.count(it->first)) {
          it = people.erase(it);
          ++c.removed;
        } else {
          ++it;
        }
      }
      std::erase_if(groups, [&](const auto& kv) { return !staged_groups_.count(kv.first); });
    }
    return c;
  }
  void discard() noexcept override {
    ++discards;
    staged_people_.clear();
  }
  void finish_run(const SyncRunRecord& run) override { runs.push_back(run); }
  std::optional<TimePoint> last_good_start(std::optional<SyncKind> kind) override {
    std::optional<TimePoint> t;
    for (const auto& r : runs)
      if ((r.status == RunStatus::ok || r.status == RunStatus::partial) &&
          (!kind || r.kind == *kind))
        t = r.started_at;
    return t;
  }

 private:
  std::map<std::string, Person> staged_people_;
  std::map<std::string, Institution> staged_inst_;
  std::map<std::string, std::set<std::string>> staged_groups_;
};

class LdapSyncTest : public ::testing::Test {
 protected:
  LdapSyncTest() {
    for (int i = 0; i < 100; ++i) ldap.people.push_back(person_entry("p" + std::to_string(i)));
    ldap.institutions.push_back(
        LdapEntry{"instID=TRIN,ou=insts", {{"instID", {"TRIN"}}, {"ou", {"Trinity College"}}}});
    ldap.groups.push_back(group_entry("100001", {"p1", "p2"}));
    settings.batch_size = 7;  // several batches per run
  }

  SyncRunRecord run(SyncKind kind, bool force = false) {
    LdapSync sync(
        settings, writer,
        [this]() -> std::unique_ptr<EntrySource> {
          if (ldap.unreachable)
            throw LdapError("ldap://test: anonymous bind: Can't contact LDAP server", -1);
          return std::make_unique<FakeSource>(ldap);
        },
        [this] {
          now += 1min;
          return now;
        });
    return sync.run({kind, force});
  }

  FakeLdap ldap;
  MemoryWriter writer;
  LdapSettings settings;
  TimePoint now = std::chrono::system_clock::from_time_t(1706702400);
};

TEST_F(LdapSyncTest, FullSyncStoresEveryPersonInstitutionAndGroup) {
  auto r = run(SyncKind::full);
  EXPECT_EQ(r.status, RunStatus::ok) << r.error;
  EXPECT_EQ(r.counts.people_seen, 100u);
  EXPECT_EQ(r.counts.added, 100u);
  EXPECT_EQ(writer.people.size(), 100u);
  EXPECT_EQ(writer.people["p7"].jid, "p7@cam.ac.uk");
  EXPECT_EQ(writer.institutions["TRIN"].name, "Trinity College");
  EXPECT_EQ(writer.groups["100001"], (std::set<std::string>{"p1", "p2"}));
  ASSERT_EQ(writer.runs.size(), 1u);
  EXPECT_EQ(writer.runs[0].status, RunStatus::ok);
  EXPECT_EQ(ldap.searches.at(0).filter, "(uid=*)");
}

TEST_F(LdapSyncTest, FullSyncRemovesPeopleWhoLeft) {
  run(SyncKind::full);
  ldap.people.erase(ldap.people.begin() + 10);  // p10 left the University
  auto r = run(SyncKind::full);
  EXPECT_EQ(r.status, RunStatus::ok);
  EXPECT_EQ(r.counts.removed, 1u);
  EXPECT_FALSE(writer.people.count("p10"));
  EXPECT_EQ(writer.people.size(), 99u);
}

TEST_F(LdapSyncTest, ServerDyingMidSearchRemovesNobodyAndRecordsTheFailure) {
  run(SyncKind::full);
  ldap.people.resize(50);  // would look like 50 people left...
  ldap.fail_after = 20;    // ...but the server died on the way
  auto r = run(SyncKind::full);
  EXPECT_EQ(r.status, RunStatus::failed);
  EXPECT_THAT(r.error, HasSubstr("Can't contact LDAP server"));
  EXPECT_EQ(writer.people.size(), 100u);
  EXPECT_EQ(writer.discards, 1);
  ASSERT_EQ(writer.runs.size(), 2u);
  EXPECT_EQ(writer.runs[1].status, RunStatus::failed);
  // The retry after the server is back completes (and here removes those who really left:
  // 50 of 100 is past the valve, so only a forced run does).
  ldap.fail_after.reset();
  EXPECT_EQ(run(SyncKind::full, /*force=*/true).status, RunStatus::ok);
  EXPECT_EQ(writer.people.size(), 50u);
}

TEST_F(LdapSyncTest, UnreachableServerIsAFailedRunThatChangesNothing) {
  run(SyncKind::full);
  ldap.unreachable = true;
  auto r = run(SyncKind::full);
  EXPECT_EQ(r.status, RunStatus::failed);
  EXPECT_THAT(r.error, HasSubstr("anonymous bind"));
  EXPECT_EQ(writer.people.size(), 100u);
}

TEST_F(LdapSyncTest, SafetyValveKeepsPeopleWhenTooManyWouldGo) {
  run(SyncKind::full);
  ldap.people.resize(70);  // 30% gone at once: more likely a broken filter than a purge
  auto r = run(SyncKind::full);
  EXPECT_EQ(r.status, RunStatus::partial);
  EXPECT_THAT(r.error, HasSubstr("refusing to remove 30 of 100 people"));
  EXPECT_EQ(r.counts.removed, 0u);
  EXPECT_EQ(writer.people.size(), 100u);

  auto forced = run(SyncKind::full, /*force=*/true);
  EXPECT_EQ(forced.status, RunStatus::ok);
  EXPECT_EQ(forced.counts.removed, 30u);
  EXPECT_EQ(writer.people.size(), 70u);
}

TEST_F(LdapSyncTest, ValveLimitIsConfigurable) {
  run(SyncKind::full);
  ldap.people.resize(70);
  settings.max_delete_percent = 50;
  EXPECT_EQ(run(SyncKind::full).status, RunStatus::ok);
  EXPECT_EQ(writer.people.size(), 70u);
}

TEST_F(LdapSyncTest, IncrementalAsksForChangesSinceTheLastGoodSyncMinusSkew) {
  auto first = run(SyncKind::full);
  ldap.searches.clear();
  ldap.people = {person_entry("p3", "Renamed Person")};  // the server's answer to the filter
  auto r = run(SyncKind::incremental);
  EXPECT_EQ(r.kind, SyncKind::incremental);
  EXPECT_EQ(r.status, RunStatus::ok);
  EXPECT_EQ(r.counts.updated, 1u);
  EXPECT_EQ(writer.people["p3"].cn, "Renamed Person");
  EXPECT_EQ(writer.people.size(), 100u);  // incremental never removes
  const auto since = first.started_at - settings.timestamp_skew;
  const auto expected_ts = std::string("(modifyTimestamp>=") + [&] {
    const std::time_t t = std::chrono::system_clock::to_time_t(since);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y%m%d%H%M%SZ", &tm);
    return std::string(buf);
  }() + ")";
  EXPECT_EQ(ldap.searches.at(0).filter, "(&(uid=*)" + expected_ts + ")");
  EXPECT_THAT(ldap.searches.at(2).filter, HasSubstr("(groupID=*)"));
}

TEST_F(LdapSyncTest, IncrementalWithoutAnyEarlierSyncDoesAFullOne) {
  auto r = run(SyncKind::incremental);
  EXPECT_EQ(r.kind, SyncKind::full);
  EXPECT_EQ(writer.people.size(), 100u);
}

TEST_F(LdapSyncTest, OptedOutPeopleAreNeverStored) {
  writer.opt_outs = {"p5", "p6"};
  auto r = run(SyncKind::full);
  EXPECT_EQ(r.counts.opted_out, 2u);
  EXPECT_FALSE(writer.people.count("p5"));
  EXPECT_EQ(writer.people.size(), 98u);
}

TEST_F(LdapSyncTest, EntriesWithoutAUidAreCountedAndSkipped) {
  LdapEntry broken;
  broken.dn = "cn=broken,ou=people";
  broken.attributes = {{"cn", {"No Uid"}}};
  ldap.people.push_back(broken);
  auto r = run(SyncKind::full);
  EXPECT_EQ(r.status, RunStatus::ok);
  EXPECT_EQ(r.counts.rejected, 1u);
  EXPECT_EQ(r.counts.people_seen, 100u);
}

TEST_F(LdapSyncTest, BusyStoreFailsWithoutTouchingLdap) {
  writer.busy = true;
  auto r = run(SyncKind::full);
  EXPECT_EQ(r.status, RunStatus::failed);
  EXPECT_THAT(r.error, HasSubstr("another directory sync"));
  EXPECT_TRUE(ldap.searches.empty());
  EXPECT_TRUE(writer.runs.empty());
}

}  // namespace
}  // namespace commonroom::directory
