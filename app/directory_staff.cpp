#include "app/directory_staff.hpp"

#include "directory/people_index.hpp"

namespace commonroom::app {

bool IndexStaffDirectory::is_staff(const xmpp::Jid& user) const {
  auto index = people_.current();
  if (!index) return false;
  auto id = index->find_jid(user.bare_str());
  return id && index->person(*id).affiliation == directory::Affiliation::staff;
}

}  // namespace commonroom::app
