#include "store/directory_store.hpp"

#include <pqxx/pqxx>

#include <charconv>
#include <functional>
#include <tuple>

#include "directory/name_folding.hpp"
#include "store/pg_array.hpp"

namespace commonroom::store {

namespace dir = commonroom::directory;
using TimePoint = std::chrono::system_clock::time_point;

namespace {

// pg_try_advisory_lock key for "a directory sync is running" (arbitrary, fixed: 'dirs').
constexpr long long sync_lock_key = 0x64697273;

long long to_micros(TimePoint t) {
  return std::chrono::duration_cast<std::chrono::microseconds>(t.time_since_epoch()).count();
}

TimePoint from_micros(long long us) {
  return TimePoint{std::chrono::microseconds{us}};
}

std::string join_names(const dir::Person& p) {
  std::string text = p.display_name;
  for (const auto* s : {&p.cn, &p.given_name, &p.sn}) {
    text += ' ';
    text += *s;
  }
  for (const auto& n : p.other_names) {
    text += ' ';
    text += n;
  }
  return text;
}

// Folded words, each once (display name and cn usually repeat the given name and surname).
std::string fold_names(const dir::Person& p) {
  const std::string folded = dir::fold_for_search(join_names(p));
  std::vector<std::string_view> seen;
  std::string out;
  for (auto w : dir::split_words(folded)) {
    bool dup = false;
    for (auto s : seen) dup = dup || s == w;
    if (dup) continue;
    seen.push_back(w);
    if (!out.empty()) out += ' ';
    out += w;
  }
  return out;
}

void wrap(const char* what, const std::function<void()>& fn) {
  try {
    fn();
  } catch (const dir::SyncBusy&) {
    throw;
  } catch (const DatabaseError&) {
    throw;
  } catch (const std::exception& e) {
    throw DatabaseError(std::string("directory store: ") + what + ": " + e.what());
  }
}

const char* const person_columns =
    "uid, jid, cn, other_names, sn, given_name, display_name, mail, title, affiliation, "
    "institutions, ous, modify_timestamp";

dir::Person person_from_row(const pqxx::row& r) {
  dir::Person p;
  p.uid = r[0].c_str();
  p.jid = r[1].c_str();
  p.cn = r[2].c_str();
  p.other_names = array_values(r[3]);
  p.sn = r[4].c_str();
  p.given_name = r[5].c_str();
  p.display_name = r[6].c_str();
  p.mail = r[7].c_str();
  p.title = r[8].c_str();
  p.affiliation = dir::parse_affiliation(r[9].c_str());
  p.institutions = array_values(r[10]);
  p.ous = array_values(r[11]);
  p.modify_timestamp = r[12].c_str();
  return p;
}

}  // namespace

DirectoryStore::DirectoryStore(Database& db) : db_(db) {}

DirectoryStore::~DirectoryStore() {
  if (locked_) discard();
}

std::int64_t DirectoryStore::begin_run(dir::SyncKind kind, TimePoint started) {
  std::int64_t id = 0;
  wrap("starting a sync run", [&] {
    auto& conn = db_.connection();
    {
      pqxx::nontransaction n(conn);
      if (!n.exec_params1("SELECT pg_try_advisory_lock($1)", sync_lock_key)[0].as<bool>()) {
        throw dir::SyncBusy("another directory sync is running (advisory lock held)");
      }
    }
    locked_ = true;
    pqxx::work w(conn);
    // Temporary tables: private to this connection, not WAL-logged, gone if it drops.
    w.exec(
        "CREATE TEMP TABLE IF NOT EXISTS staging_people ("
        " uid text, jid text, cn text, other_names text[], sn text, given_name text,"
        " display_name text, mail text, title text, affiliation text, institutions text[],"
        " ous text[], name_folded text, mail_folded text, modify_timestamp text);"
        "CREATE TEMP TABLE IF NOT EXISTS staging_institutions (inst_id text, name text);"
        "CREATE TEMP TABLE IF NOT EXISTS staging_groups (group_id text, title text);"
        "CREATE TEMP TABLE IF NOT EXISTS staging_group_members (group_id text, uid text);"
        "TRUNCATE staging_people, staging_institutions, staging_groups, staging_group_members");
    // Holding the lock, no other sync runs: a "running" row is from a process that died.
    w.exec(
        "UPDATE directory_sync_runs SET status = 'failed', finished_at = now(),"
        " error = 'interrupted: the process stopped before the run finished'"
        " WHERE status = 'running'");
    id = w.exec_params1(
              "INSERT INTO directory_sync_runs (kind, started_at) "
              "VALUES ($1, to_timestamp($2::double precision / 1e6)) RETURNING id",
              std::string(dir::to_string(kind)), to_micros(started))[0]
             .as<std::int64_t>();
    w.commit();
  });
  return id;
}

void DirectoryStore::stage_people(const std::vector<dir::Person>& batch) {
  wrap("staging people", [&] {
    pqxx::work w(db_.connection());
    pqxx::stream_to copy(
        w, "staging_people",
        std::vector<std::string>{"uid", "jid", "cn", "other_names", "sn", "given_name",
                                 "display_name", "mail", "title", "affiliation", "institutions",
                                 "ous", "name_folded", "mail_folded", "modify_timestamp"});
    std::vector<std::string> row(15);
    for (const auto& p : batch) {
      row[0] = p.uid;
      row[1] = p.jid;
      row[2] = p.cn;
      row[3] = array_text(p.other_names);
      row[4] = p.sn;
      row[5] = p.given_name;
      row[6] = p.display_name;
      row[7] = p.mail;
      row[8] = p.title;
      row[9] = std::string(dir::to_string(p.affiliation));
      row[10] = array_text(p.institutions);
      row[11] = array_text(p.ous);
      row[12] = fold_names(p);
      row[13] = dir::fold_for_search(p.mail);
      row[14] = p.modify_timestamp;
      copy << std::tie(row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7], row[8],
                       row[9], row[10], row[11], row[12], row[13], row[14]);
    }
    copy.complete();
    w.commit();
  });
}

void DirectoryStore::stage_institutions(const std::vector<dir::Institution>& batch) {
  wrap("staging institutions", [&] {
    pqxx::work w(db_.connection());
    pqxx::stream_to copy(w, "staging_institutions", std::vector<std::string>{"inst_id", "name"});
    for (const auto& i : batch) copy << std::tie(i.inst_id, i.name);
    copy.complete();
    w.commit();
  });
}

void DirectoryStore::stage_groups(const std::vector<dir::Group>& batch) {
  wrap("staging groups", [&] {
    pqxx::work w(db_.connection());
    {
      pqxx::stream_to copy(w, "staging_groups", std::vector<std::string>{"group_id", "title"});
      for (const auto& g : batch) copy << std::tie(g.group_id, g.title);
      copy.complete();
    }
    {
      pqxx::stream_to copy(w, "staging_group_members", std::vector<std::string>{"group_id", "uid"});
      for (const auto& g : batch) {
        for (const auto& m : g.members) copy << std::tie(g.group_id, m);
      }
      copy.complete();
    }
    w.commit();
  });
}

dir::StagedDiff DirectoryStore::diff() {
  dir::StagedDiff d;
  wrap("comparing staged and stored entries", [&] {
    pqxx::work w(db_.connection());
    // Temporary tables are never auto-analyzed; without statistics the anti-joins below
    // can pick nested loops over 100,000 rows.
    w.exec(
        "ANALYZE staging_people; ANALYZE staging_institutions; ANALYZE staging_groups;"
        "ANALYZE staging_group_members");
    auto r = w.exec1(
        "SELECT (SELECT count(*) FROM directory_people),"
        " (SELECT count(*) FROM directory_people p"
        "   WHERE NOT EXISTS (SELECT 1 FROM staging_people s WHERE s.uid = p.uid)),"
        " (SELECT count(*) FROM directory_institutions),"
        " (SELECT count(*) FROM directory_institutions i"
        "   WHERE NOT EXISTS (SELECT 1 FROM staging_institutions s WHERE s.inst_id = i.inst_id)),"
        " (SELECT count(*) FROM directory_groups),"
        " (SELECT count(*) FROM directory_groups g"
        "   WHERE NOT EXISTS (SELECT 1 FROM staging_groups s WHERE s.group_id = g.group_id))");
    d.stored_people = r[0].as<std::size_t>();
    d.people_to_remove = r[1].as<std::size_t>();
    d.stored_institutions = r[2].as<std::size_t>();
    d.institutions_to_remove = r[3].as<std::size_t>();
    d.stored_groups = r[4].as<std::size_t>();
    d.groups_to_remove = r[5].as<std::size_t>();
    w.commit();
  });
  return d;
}

dir::MergeCounts DirectoryStore::commit(bool remove_unseen) {
  dir::MergeCounts c;
  wrap("merging the sync", [&] {
    pqxx::work w(db_.connection());
    w.exec(
        "ANALYZE staging_people; ANALYZE staging_institutions; ANALYZE staging_groups;"
        "ANALYZE staging_group_members");
    std::size_t changes = 0;
    // Opt-outs win over anything LDAP says, including rows written before the opt-out.
    changes += w.exec(
                    "DELETE FROM directory_people p USING directory_opt_outs o "
                    "WHERE o.uid = p.uid")
                   .affected_rows();
    c.opted_out = w.exec1(
                       "SELECT count(DISTINCT s.uid) FROM staging_people s "
                       "JOIN directory_opt_outs o ON o.uid = s.uid")[0]
                      .as<std::size_t>();
    // Unchanged rows are not rewritten: a daily full sync of 100,000 people then costs
    // no dead tuples and no trigram index churn.
    auto up = w.exec1(
        "WITH src AS ("
        "  SELECT DISTINCT ON (s.uid) s.* FROM staging_people s"
        "  WHERE NOT EXISTS (SELECT 1 FROM directory_opt_outs o WHERE o.uid = s.uid)"
        "  ORDER BY s.uid),"
        // One hash join finds new and changed rows; ON CONFLICT then only sees those
        // (it would otherwise lock and compare every row one index probe at a time).
        " changed AS ("
        "  SELECT s.* FROM src s LEFT JOIN directory_people p ON p.uid = s.uid"
        "  WHERE p.uid IS NULL OR (p.jid, p.cn, p.other_names, p.sn, p.given_name,"
        "    p.display_name, p.mail, p.title, p.affiliation, p.institutions, p.ous,"
        "    p.name_folded, p.mail_folded, p.modify_timestamp) IS DISTINCT FROM (s.jid, s.cn,"
        "    s.other_names, s.sn, s.given_name, s.display_name, s.mail, s.title,"
        "    s.affiliation, s.institutions, s.ous, s.name_folded, s.mail_folded,"
        "    s.modify_timestamp)),"
        " up AS ("
        "  INSERT INTO directory_people AS p (uid, jid, cn, other_names, sn, given_name,"
        "    display_name, mail, title, affiliation, institutions, ous, name_folded,"
        "    mail_folded, modify_timestamp, synced_at)"
        "  SELECT uid, jid, cn, other_names, sn, given_name, display_name, mail, title,"
        "    affiliation, institutions, ous, name_folded, mail_folded, modify_timestamp, now()"
        "  FROM changed"
        "  ON CONFLICT (uid) DO UPDATE SET jid = EXCLUDED.jid, cn = EXCLUDED.cn,"
        "    other_names = EXCLUDED.other_names, sn = EXCLUDED.sn,"
        "    given_name = EXCLUDED.given_name, display_name = EXCLUDED.display_name,"
        "    mail = EXCLUDED.mail, title = EXCLUDED.title, affiliation = EXCLUDED.affiliation,"
        "    institutions = EXCLUDED.institutions, ous = EXCLUDED.ous,"
        "    name_folded = EXCLUDED.name_folded, mail_folded = EXCLUDED.mail_folded,"
        "    modify_timestamp = EXCLUDED.modify_timestamp, synced_at = EXCLUDED.synced_at"
        "  WHERE (p.jid, p.cn, p.other_names, p.sn, p.given_name, p.display_name, p.mail,"
        "    p.title, p.affiliation, p.institutions, p.ous, p.name_folded, p.mail_folded,"
        "    p.modify_timestamp) IS DISTINCT FROM (EXCLUDED.jid, EXCLUDED.cn,"
        "    EXCLUDED.other_names, EXCLUDED.sn, EXCLUDED.given_name, EXCLUDED.display_name,"
        "    EXCLUDED.mail, EXCLUDED.title, EXCLUDED.affiliation, EXCLUDED.institutions,"
        "    EXCLUDED.ous, EXCLUDED.name_folded, EXCLUDED.mail_folded,"
        "    EXCLUDED.modify_timestamp)"
        "  RETURNING (xmax = 0) AS inserted)"
        "SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM up");
    c.added = up[0].as<std::size_t>();
    c.updated = up[1].as<std::size_t>();
    changes += c.added + c.updated;

    changes += w.exec(
                    "INSERT INTO directory_institutions AS i (inst_id, name, synced_at)"
                    " SELECT DISTINCT ON (inst_id) inst_id, name, now() FROM staging_institutions"
                    " ORDER BY inst_id "
                    "ON CONFLICT (inst_id) DO UPDATE SET name = EXCLUDED.name,"
                    " synced_at = EXCLUDED.synced_at WHERE i.name IS DISTINCT FROM EXCLUDED.name")
                   .affected_rows();
    changes += w.exec(
                    "INSERT INTO directory_groups AS g (group_id, title, synced_at)"
                    " SELECT DISTINCT ON (group_id) group_id, title, now() FROM staging_groups"
                    " ORDER BY group_id "
                    "ON CONFLICT (group_id) DO UPDATE SET title = EXCLUDED.title,"
                    " synced_at = EXCLUDED.synced_at WHERE g.title IS DISTINCT FROM EXCLUDED.title")
                   .affected_rows();
    // Each staged group's member list replaces the stored one (as a diff, so a full sync
    // of unchanged groups writes nothing).
    changes += w.exec(
                    "DELETE FROM directory_group_members m USING staging_groups g"
                    " WHERE m.group_id = g.group_id AND NOT EXISTS (SELECT 1 FROM"
                    " staging_group_members s WHERE s.group_id = m.group_id AND s.uid = m.uid)")
                   .affected_rows();
    changes += w.exec(
                    "INSERT INTO directory_group_members (group_id, uid)"
                    " SELECT DISTINCT group_id, uid FROM staging_group_members "
                    "ON CONFLICT DO NOTHING")
                   .affected_rows();
    if (remove_unseen) {
      c.removed = w.exec(
                       "DELETE FROM directory_people p WHERE NOT EXISTS"
                       " (SELECT 1 FROM staging_people s WHERE s.uid = p.uid)")
                      .affected_rows();
      changes += c.removed;
      changes += w.exec(
                      "DELETE FROM directory_institutions i WHERE NOT EXISTS"
                      " (SELECT 1 FROM staging_institutions s WHERE s.inst_id = i.inst_id)")
                     .affected_rows();
      changes += w.exec(
                      "DELETE FROM directory_groups g WHERE NOT EXISTS"
                      " (SELECT 1 FROM staging_groups s WHERE s.group_id = g.group_id)")
                     .affected_rows();
    }
    if (changes > 0) {
      w.exec("UPDATE directory_state SET version = version + 1, changed_at = now()");
      w.exec_params("SELECT pg_notify($1, '')", std::string(kDirectoryChannel));
    }
    w.exec("TRUNCATE staging_people, staging_institutions, staging_groups, staging_group_members");
    w.commit();
  });
  return c;
}

void DirectoryStore::discard() noexcept {
  try {
    pqxx::nontransaction n(db_.connection());
    n.exec("TRUNCATE staging_people, staging_institutions, staging_groups, staging_group_members");
  } catch (...) {
    // The connection is gone, and the temporary tables with it.
  }
}

void DirectoryStore::finish_run(const dir::SyncRunRecord& run) {
  wrap("recording the sync run", [&] {
    auto& conn = db_.connection();
    {
      pqxx::work w(conn);
      const auto& k = run.counts;
      w.exec_params0(
          "UPDATE directory_sync_runs SET finished_at = to_timestamp($2::double precision / 1e6),"
          " status = $3, people_seen = $4, rejected = $5, opted_out = $6,"
          " institutions_seen = $7, groups_seen = $8, added = $9, updated = $10,"
          " removed = $11, error = $12 WHERE id = $1",
          run.id, to_micros(run.finished_at), std::string(dir::to_string(run.status)),
          static_cast<long long>(k.people_seen), static_cast<long long>(k.rejected),
          static_cast<long long>(k.opted_out), static_cast<long long>(k.institutions_seen),
          static_cast<long long>(k.groups_seen), static_cast<long long>(k.added),
          static_cast<long long>(k.updated), static_cast<long long>(k.removed), run.error);
      w.commit();
    }
    if (locked_) {
      pqxx::nontransaction n(conn);
      n.exec_params("SELECT pg_advisory_unlock($1)", sync_lock_key);
      locked_ = false;
    }
  });
}

std::optional<TimePoint> DirectoryStore::last_good_start(std::optional<dir::SyncKind> kind) {
  std::optional<TimePoint> out;
  wrap("reading the sync history", [&] {
    pqxx::work w(db_.connection());
    auto r = w.exec_params1(
        "SELECT (extract(epoch FROM max(started_at)) * 1e6)::bigint FROM directory_sync_runs"
        " WHERE status IN ('ok', 'partial') AND ($1 = '' OR kind = $1)",
        kind ? std::string(dir::to_string(*kind)) : std::string());
    if (!r[0].is_null()) out = from_micros(r[0].as<long long>());
    w.commit();
  });
  return out;
}

std::string to_payload(const OptOutNotice& notice) {
  return "opt-out " + std::to_string(notice.version) + " " + notice.uid;
}

std::optional<OptOutNotice> parse_opt_out_notice(std::string_view payload) {
  constexpr std::string_view kPrefix = "opt-out ";
  if (!payload.starts_with(kPrefix)) return std::nullopt;
  payload.remove_prefix(kPrefix.size());
  const auto space = payload.find(' ');
  if (space == std::string_view::npos || space == 0 || space + 1 == payload.size())
    return std::nullopt;
  OptOutNotice notice;
  const auto digits = payload.substr(0, space);
  auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), notice.version);
  if (ec != std::errc() || end != digits.data() + digits.size()) return std::nullopt;
  notice.uid = std::string(payload.substr(space + 1));
  return notice;
}

bool DirectoryStore::opt_out(const std::string& uid, const std::string& note) {
  bool inserted = false;
  wrap("recording an opt-out", [&] {
    pqxx::work w(db_.connection());
    inserted = w.exec_params1(
                    "INSERT INTO directory_opt_outs (uid, note) VALUES ($1, $2) "
                    "ON CONFLICT (uid) DO UPDATE SET note = EXCLUDED.note "
                    "RETURNING (xmax = 0)",
                    uid, note)[0]
                   .as<bool>();
    w.exec_params0("DELETE FROM directory_people WHERE uid = $1", uid);
    const auto version =
        w.exec1(
             "UPDATE directory_state SET version = version + 1, changed_at = now() "
             "RETURNING version")[0]
            .as<std::int64_t>();
    w.exec_params("SELECT pg_notify($1, $2)", std::string(kDirectoryChannel),
                  to_payload(OptOutNotice{version, uid}));
    w.commit();
  });
  return inserted;
}

bool DirectoryStore::opt_in(const std::string& uid) {
  bool removed = false;
  wrap("removing an opt-out", [&] {
    pqxx::work w(db_.connection());
    removed =
        w.exec_params("DELETE FROM directory_opt_outs WHERE uid = $1", uid).affected_rows() > 0;
    w.commit();
  });
  return removed;
}

std::vector<DirectoryOptOut> DirectoryStore::opt_outs() {
  std::vector<DirectoryOptOut> out;
  wrap("reading opt-outs", [&] {
    pqxx::work w(db_.connection());
    for (const auto& r : w.exec("SELECT uid, (extract(epoch FROM opted_out_at) * 1e6)::bigint, note"
                                " FROM directory_opt_outs ORDER BY uid")) {
      out.push_back({r[0].c_str(), from_micros(r[1].as<long long>()), r[2].c_str()});
    }
    w.commit();
  });
  return out;
}

std::vector<dir::Person> DirectoryStore::load_people() {
  std::vector<dir::Person> out;
  wrap("loading people", [&] {
    pqxx::work w(db_.connection());
    auto rows =
        w.exec(std::string("SELECT ") + person_columns + " FROM directory_people ORDER BY uid");
    out.reserve(rows.size());
    for (const auto& r : rows) out.push_back(person_from_row(r));
    w.commit();
  });
  return out;
}

std::optional<dir::Person> DirectoryStore::find_person(const std::string& uid) {
  std::optional<dir::Person> out;
  wrap("reading a person", [&] {
    pqxx::work w(db_.connection());
    auto rows = w.exec_params(
        std::string("SELECT ") + person_columns + " FROM directory_people WHERE uid = $1", uid);
    if (!rows.empty()) out = person_from_row(rows[0]);
    w.commit();
  });
  return out;
}

std::vector<dir::Institution> DirectoryStore::load_institutions() {
  std::vector<dir::Institution> out;
  wrap("loading institutions", [&] {
    pqxx::work w(db_.connection());
    for (const auto& r :
         w.exec("SELECT inst_id, name FROM directory_institutions ORDER BY inst_id"))
      out.push_back({r[0].c_str(), r[1].c_str()});
    w.commit();
  });
  return out;
}

std::size_t DirectoryStore::people_count() {
  std::size_t n = 0;
  wrap("counting people", [&] {
    pqxx::work w(db_.connection());
    n = w.exec1("SELECT count(*) FROM directory_people")[0].as<std::size_t>();
    w.commit();
  });
  return n;
}

std::vector<std::string> DirectoryStore::group_members(const std::string& group_id) {
  std::vector<std::string> out;
  wrap("reading group members", [&] {
    pqxx::work w(db_.connection());
    for (const auto& r : w.exec_params(
             "SELECT uid FROM directory_group_members WHERE group_id = $1 ORDER BY uid", group_id))
      out.emplace_back(r[0].c_str());
    w.commit();
  });
  return out;
}

std::vector<std::string> DirectoryStore::institution_members(const std::string& inst_id) {
  std::vector<std::string> out;
  wrap("reading institution members", [&] {
    pqxx::work w(db_.connection());
    for (const auto& r : w.exec_params(
             "SELECT uid FROM directory_people WHERE institutions @> ARRAY[$1::text] ORDER BY uid",
             inst_id))
      out.emplace_back(r[0].c_str());
    w.commit();
  });
  return out;
}

std::vector<dir::SyncRunRecord> DirectoryStore::recent_runs(std::size_t limit) {
  std::vector<dir::SyncRunRecord> out;
  wrap("reading the sync history", [&] {
    pqxx::work w(db_.connection());
    for (const auto& r : w.exec_params(
             "SELECT id, kind, (extract(epoch FROM started_at) * 1e6)::bigint,"
             " (extract(epoch FROM finished_at) * 1e6)::bigint, status, people_seen, rejected,"
             " opted_out, institutions_seen, groups_seen, added, updated, removed, error"
             " FROM directory_sync_runs ORDER BY id DESC LIMIT $1",
             static_cast<long long>(limit))) {
      dir::SyncRunRecord run;
      run.id = r[0].as<std::int64_t>();
      run.kind = std::string_view(r[1].c_str()) == "full" ? dir::SyncKind::full
                                                          : dir::SyncKind::incremental;
      run.started_at = from_micros(r[2].as<long long>());
      if (!r[3].is_null()) run.finished_at = from_micros(r[3].as<long long>());
      const std::string_view status = r[4].c_str();
      run.status = status == "ok"        ? dir::RunStatus::ok
                   : status == "partial" ? dir::RunStatus::partial
                   : status == "failed"  ? dir::RunStatus::failed
                                         : dir::RunStatus::running;
      run.counts.people_seen = r[5].as<std::size_t>();
      run.counts.rejected = r[6].as<std::size_t>();
      run.counts.opted_out = r[7].as<std::size_t>();
      run.counts.institutions_seen = r[8].as<std::size_t>();
      run.counts.groups_seen = r[9].as<std::size_t>();
      run.counts.added = r[10].as<std::size_t>();
      run.counts.updated = r[11].as<std::size_t>();
      run.counts.removed = r[12].as<std::size_t>();
      run.error = r[13].c_str();
      out.push_back(std::move(run));
    }
    w.commit();
  });
  return out;
}

dir::SyncSchedule::History DirectoryStore::sync_history() {
  dir::SyncSchedule::History h;
  h.last_full_good = last_good_start(dir::SyncKind::full);
  h.last_good = last_good_start(std::nullopt);
  wrap("reading the sync history", [&] {
    pqxx::work w(db_.connection());
    auto rows = w.exec(
        "SELECT kind, (extract(epoch FROM coalesce(finished_at, started_at)) * 1e6)::bigint,"
        " count(*) OVER () FROM directory_sync_runs WHERE status = 'failed' AND id >"
        " (SELECT coalesce(max(id), 0) FROM directory_sync_runs"
        "  WHERE status IN ('ok', 'partial')) ORDER BY id DESC LIMIT 1");
    if (!rows.empty()) {
      h.last_failed_kind = std::string_view(rows[0][0].c_str()) == "full"
                               ? dir::SyncKind::full
                               : dir::SyncKind::incremental;
      h.last_failure = from_micros(rows[0][1].as<long long>());
      h.failures_since_good = rows[0][2].as<unsigned>();
    }
    w.commit();
  });
  return h;
}

std::int64_t DirectoryStore::data_version() {
  std::int64_t v = 0;
  wrap("reading the directory version", [&] {
    pqxx::work w(db_.connection());
    v = w.exec1("SELECT version FROM directory_state")[0].as<std::int64_t>();
    w.commit();
  });
  return v;
}

DirectorySyncStatus DirectoryStore::sync_status() {
  DirectorySyncStatus out;
  wrap("reading the sync status", [&] {
    pqxx::work w(db_.connection());
    auto r = w.exec1(
        "SELECT (SELECT version FROM directory_state),"
        " (SELECT status FROM directory_sync_runs ORDER BY id DESC LIMIT 1),"
        " (SELECT (extract(epoch FROM max(finished_at)) * 1e6)::bigint FROM directory_sync_runs"
        "   WHERE status IN ('ok', 'partial')),"
        " (SELECT (extract(epoch FROM max(finished_at)) * 1e6)::bigint FROM directory_sync_runs"
        "   WHERE status IN ('ok', 'partial') AND kind = 'full'),"
        " f.at, f.error"
        " FROM (SELECT 1) AS one LEFT JOIN LATERAL"
        " (SELECT (extract(epoch FROM coalesce(finished_at, started_at)) * 1e6)::bigint AS at,"
        "   error FROM directory_sync_runs WHERE status = 'failed' ORDER BY id DESC LIMIT 1) AS f"
        " ON true");
    out.data_version = r[0].as<std::int64_t>();
    if (!r[1].is_null()) {
      const std::string_view status = r[1].c_str();
      out.last_status = status == "ok"        ? dir::RunStatus::ok
                        : status == "partial" ? dir::RunStatus::partial
                        : status == "failed"  ? dir::RunStatus::failed
                                              : dir::RunStatus::running;
    }
    if (!r[2].is_null()) out.last_success = from_micros(r[2].as<long long>());
    if (!r[3].is_null()) out.last_full_success = from_micros(r[3].as<long long>());
    if (!r[4].is_null()) {
      out.last_failure = from_micros(r[4].as<long long>());
      out.last_failure_message = r[5].c_str();
    }
    w.commit();
  });
  return out;
}

}  // namespace commonroom::store
