// The campus policy's StaffDirectory backed by the directory's people index: someone is
// staff when Lookup's misAffiliation says so ("directory:staff" in persistent_creators).
#pragma once
#include "directory/directory_search.hpp"
#include "policies/campus_policy.hpp"

namespace commonroom::app {

class IndexStaffDirectory : public policies::StaffDirectory {
 public:
  // `people` must outlive this object; before its first load nobody counts as staff.
  explicit IndexStaffDirectory(const directory::PeopleIndexSource& people) : people_(people) {}
  bool is_staff(const xmpp::Jid& user) const override;

 private:
  const directory::PeopleIndexSource& people_;
};

}  // namespace commonroom::app
