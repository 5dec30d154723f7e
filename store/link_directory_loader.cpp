#include "store/link_directory_loader.hpp"

#include <pqxx/pqxx>

namespace commonroom::store {

LoadedLinks load_link_directory(pqxx::connection_base& connection) {
  using Clock = std::chrono::steady_clock;
  using std::chrono::duration_cast;
  using std::chrono::milliseconds;
  LoadedLinks out;
  pqxx::transaction<pqxx::repeatable_read, pqxx::read_only> tx(connection,
                                                               "load linked memberships");
  out.version = tx.exec1("SELECT version FROM directory_state")[0].as<std::int64_t>();
  auto t0 = Clock::now();
  // One row per institution or group with its members' JIDs joined by spaces (JIDs have
  // none): a few thousand rows instead of one per membership keeps the client-side result
  // small. Institutions and groups nobody is in still count as known links.
  pqxx::result rows = tx.exec(
      "SELECT 'inst:' || inst, string_agg(jid, ' ') FROM directory_people,"
      "  unnest(institutions) AS inst GROUP BY inst "
      "UNION ALL "
      "SELECT 'group:' || m.group_id, string_agg(p.jid, ' ') FROM directory_group_members m"
      "  JOIN directory_people p ON p.uid = m.uid GROUP BY m.group_id "
      "UNION ALL SELECT 'inst:' || inst_id, '' FROM directory_institutions "
      "UNION ALL SELECT 'group:' || group_id, '' FROM directory_groups");
  tx.commit();
  auto t1 = Clock::now();
  muc::LinkDirectory::Builder builder;
  for (const auto& row : rows) {
    std::string_view link(row[0].c_str(), row[0].size());
    builder.add_members(link, std::string_view(row[1].c_str(), row[1].size()));
  }
  rows.clear();
  out.directory = std::make_shared<const muc::LinkDirectory>(std::move(builder).build());
  auto t2 = Clock::now();
  out.read_time = duration_cast<milliseconds>(t1 - t0);
  out.build_time = duration_cast<milliseconds>(t2 - t1);
  return out;
}

}  // namespace commonroom::store
