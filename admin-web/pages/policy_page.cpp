#include "admin-web/pages/pages.hpp"
#include "admin-web/templates.hpp"

namespace commonroom::admin_web {

// Read-only: the policy is the configuration file's, changed there and applied by a reload.
void policy_page(PageRequest& request) {
  mstch::array rows;
  const auto policy = request.site.policy ? request.site.policy()
                                          : std::vector<std::pair<std::string, std::string>>{};
  for (const auto& [key, value] : policy)
    rows.push_back(mstch::map{{"key", key}, {"value", value}});
  send_page(request, "policy", "Effective policy", mstch::map{{"rows", rows}});
}

}  // namespace commonroom::admin_web
