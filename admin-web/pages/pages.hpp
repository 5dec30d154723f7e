// The page handlers the router maps paths to (one per page, each in its own file).
#pragma once
#include "admin-web/page.hpp"

namespace commonroom::admin_web {

void dashboard_page(PageRequest& request);  // GET /
void rooms_page(PageRequest& request);      // GET /rooms
void room_page(PageRequest& request);       // GET /rooms/<jid>
// POST /rooms/<jid>/{configure,kick,affiliation,destroy}
void room_action_page(PageRequest& request);
void directory_page(PageRequest& request);       // GET /directory
void person_page(PageRequest& request);          // GET /directory/<uid>
void directory_sync_page(PageRequest& request);  // GET /directory/sync
void audit_page(PageRequest& request);
void policy_page(PageRequest& request);         // GET /policy          // GET /audit
void sign_in_page(PageRequest& request);        // GET /sign-in
void link_sign_in_page(PageRequest& request);   // GET /auth/link?token=
void raven_sign_in_page(PageRequest& request);  // GET /auth/raven
void proxy_sign_in_page(PageRequest& request);  // GET /auth/proxy
void sign_out_page(PageRequest& request);       // POST /sign-out
void style_page(PageRequest& request);          // GET /style.css
// Rooms: creating one (GET shows the form, POST creates it).
void new_room_page(PageRequest& request);  // GET, POST /rooms/new
// Directory changes (admins): sync now, opt-outs.
void directory_sync_now_page(PageRequest& request);  // POST /directory/sync
void directory_opt_out_page(PageRequest& request);   // POST /directory/opt-outs

// The abuse workspace.
void abuse_search_page(PageRequest& request);       // GET /abuse
void abuse_context_page(PageRequest& request);      // GET /abuse/context
void abuse_export_page(PageRequest& request);       // POST /abuse/export
void abuse_bans_page(PageRequest& request);         // GET /abuse/bans
void abuse_ban_action_page(PageRequest& request);   // POST /abuse/bans/{place,lift}
void abuse_holds_page(PageRequest& request);        // GET /abuse/holds
void abuse_hold_action_page(PageRequest& request);  // POST /abuse/holds/{preview,place,release}

}  // namespace commonroom::admin_web
