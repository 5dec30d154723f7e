#include "app/admin_commands.hpp"

#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <ostream>
#include <stdexcept>

#include "admin-web/security.hpp"
#include "app/commands.hpp"
#include "store/admin_web_store.hpp"
#include "store/database.hpp"

namespace commonroom::app {

namespace {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

const std::vector<std::string> kRoles = {"admin", "room-manager", "abuse", "auditor"};

// The actor of command-line changes: the operating-system account that ran the command,
// never a name typed on the command line.
std::string cli_actor() {
  const passwd* pw = getpwuid(getuid());
  return std::string("cli:") + (pw ? pw->pw_name : std::to_string(getuid()));
}

std::string principal_of(const std::string& text) {
  std::string p = text;
  std::transform(p.begin(), p.end(), p.begin(), [](unsigned char c) { return std::tolower(c); });
  const bool ok = !p.empty() && p.size() <= 128 && std::all_of(p.begin(), p.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' ||
           c == '@';
  });
  if (!ok)
    throw UsageError("admin: \"" + text +
                     "\" is not a user name (letters, digits, . - _ @; e.g. a CRSid)");
  return p;
}

std::string checked_scope(const std::string& role, const std::string& scope) {
  if (role != "room-manager") {
    if (!scope.empty()) throw UsageError("admin: only room-manager takes a SCOPE");
    return scope;
  }
  if (!(scope.starts_with("inst:") || scope.starts_with("group:") || scope.starts_with("room:")) ||
      scope.size() <= scope.find(':') + 1)
    throw UsageError(
        "admin: room-manager needs a SCOPE: inst:ID, group:ID or room:JID (e.g. inst:TRIN)");
  return scope;
}

std::string site_url(const Config& config) {
  if (!config.admin_sign_in.public_url.empty()) return config.admin_sign_in.public_url;
  const bool v6 = config.admin_host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + config.admin_host + "]" : config.admin_host) + ":" +
         std::to_string(config.admin_port);
}

}  // namespace

int admin_command(const Config& config, const std::vector<std::string>& args, std::ostream& out,
                  std::ostream& err) {
  try {
    if (args.empty())
      throw UsageError("admin: which subcommand? (grant, revoke, list, login-link)");
    const std::string& sub = args[0];
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    std::string principal, role, scope;
    if (sub == "grant" || sub == "revoke") {
      if (rest.size() < 2 || rest.size() > 3)
        throw UsageError("admin " + sub + ": expected USER ROLE [SCOPE]");
      principal = principal_of(rest[0]);
      role = rest[1];
      if (std::find(kRoles.begin(), kRoles.end(), role) == kRoles.end())
        throw UsageError("admin " + sub + ": unknown role \"" + role +
                         "\" (expected admin, room-manager, abuse or auditor)");
      scope = checked_scope(role, rest.size() == 3 ? rest[2] : "");
    } else if (sub == "login-link") {
      if (rest.size() != 1) throw UsageError("admin login-link: expected one USER");
      principal = principal_of(rest[0]);
    } else if (sub == "list") {
      if (!rest.empty()) throw UsageError("admin list: unexpected " + rest[0]);
    } else {
      throw UsageError("admin: unknown subcommand \"" + sub +
                       "\" (expected grant, revoke, list or login-link)");
    }
    if (config.database_uri.empty()) {
      err << config.path << ": [database] uri: missing; admin web roles live in PostgreSQL\n";
      return kExitFailure;
    }
    try {
      store::Database db(config.database_uri);
      auto& c = db.connection();
      if (sub == "grant") {
        if (store::grant_admin_role(c, principal, role, scope, cli_actor()))
          out << principal << " is now " << role << (scope.empty() ? "" : " for " + scope) << "\n";
        else
          out << principal << " already was " << role << (scope.empty() ? "" : " for " + scope)
              << "\n";
      } else if (sub == "revoke") {
        if (!store::revoke_admin_role(c, principal, role, scope, cli_actor())) {
          err << "admin revoke: " << principal << " is not " << role
              << (scope.empty() ? "" : " for " + scope) << "\n";
          return kExitFailure;
        }
        out << principal << " is no longer " << role << (scope.empty() ? "" : " for " + scope)
            << "\n";
      } else if (sub == "list") {
        const auto roles = store::list_admin_roles(c);
        if (roles.empty()) out << "no admin web roles granted\n";
        for (const auto& r : roles)
          out << r.principal << " " << r.role << (r.scope.empty() ? "" : " " + r.scope)
              << " (granted " << r.granted_at << " by " << r.granted_by << ")\n";
      } else {
        if (store::admin_roles_of(c, principal).empty())
          err << "warning: " << principal
              << " has no admin web role yet, so the link will not sign them in; grant one with"
                 " commonroom admin grant\n";
        const std::string token = admin_web::random_token();
        store::create_admin_login_link(c, admin_web::sha256_hex(token), principal,
                                       config.admin_sign_in.login_link_seconds, cli_actor());
        out << site_url(config) << "/auth/link?token=" << token << "\n";
      }
      return kExitOk;
    } catch (const std::exception& e) {
      err << "admin " << sub << ": " << e.what() << "\n";
      return kExitFailure;
    }
  } catch (const UsageError& e) {
    err << "commonroom: " << e.what() << "\nTry 'commonroom --help'.\n";
    return kExitUsage;
  }
}

}  // namespace commonroom::app
