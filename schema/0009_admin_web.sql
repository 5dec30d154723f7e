-- 0009: the admin web's sign-in, sessions and roles (docs/admin-web.md, issue 11).
--
-- admin_roles: who may use the admin web, and for what. A principal is a local user name
-- or a Raven CRSid (lower case). room-manager roles carry a scope, in the syntax of linked
-- rooms (decision 0011): 'inst:<instID>', 'group:<groupID>' or 'room:<room JID>'; the other
-- roles have scope ''. Granted and revoked with `commonroom admin grant|revoke`.
CREATE TABLE admin_roles (
    principal  text COLLATE "C" NOT NULL CHECK (principal <> ''),
    role       text COLLATE "C" NOT NULL
               CHECK (role IN ('admin', 'room-manager', 'abuse', 'auditor')),
    scope      text COLLATE "C" NOT NULL DEFAULT '',
    granted_by text NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (principal, role, scope),
    CHECK ((role = 'room-manager') = (scope <> ''))
);

-- admin_sessions: one row per sign-in. The cookie carries 256 random bits; only their
-- SHA-256 is stored, so a copy of this table cannot be replayed as a cookie. A session ends
-- at sign-out (ended_at), after the idle timeout (last_seen_at) or at the absolute limit
-- (created_at); the limits are configuration, checked on every request (last_seen_at is
-- written at most once a minute, so the idle limit is exact to a minute).
CREATE TABLE admin_sessions (
    id_sha256    text COLLATE "C" PRIMARY KEY,
    principal    text COLLATE "C" NOT NULL,
    csrf_token   text NOT NULL,
    method       text NOT NULL CHECK (method IN ('link', 'raven', 'proxy')),
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    ended_at     timestamptz
);
CREATE INDEX admin_sessions_principal_idx ON admin_sessions (principal);

-- admin_login_links: one-time sign-in links printed by `commonroom admin login-link`.
-- Only the token's SHA-256 is stored; used_at makes it one-time.
CREATE TABLE admin_login_links (
    token_sha256 text COLLATE "C" PRIMARY KEY,
    principal    text COLLATE "C" NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    used_at      timestamptz
);

-- admin_raven_responses: Ucam WebAuth responses already accepted (the WLS's issue time and
-- response id), so a captured WLS-Response cannot sign anybody in twice. Rows older than the
-- accepted clock skew can go: such a response is refused as stale anyway.
CREATE TABLE admin_raven_responses (
    response_key text COLLATE "C" PRIMARY KEY,
    seen_at      timestamptz NOT NULL DEFAULT now()
);

-- The rooms page finds rooms by any part of their JID or name: a trigram index over both
-- keeps that fast at 100,000 rooms (the query uses this exact expression).
CREATE INDEX rooms_admin_search_trgm_idx ON rooms
    USING gin ((jid || ' ' || lower(coalesce(config->>'name', ''))) gin_trgm_ops);
