-- 0007: registration requests waiting for a room admin's approval (XEP-0045 §9.9), for
-- persistent rooms whose x-commonroom#registration is 'approval'. Rewritten whole for a
-- room on every save, like room_affiliations. The engine forgets a request 30 days after
-- it was made (it carries the personal details the user typed into the form), and the
-- row goes with the next save. Room event kinds added by this release (no CHECK on
-- room_events.kind, see 0003): registration_request, registration_declined.
CREATE TABLE room_registration_requests (
    room         text COLLATE "C" NOT NULL REFERENCES rooms (jid) ON DELETE CASCADE,
    jid          text COLLATE "C" NOT NULL,  -- bare JID of who asked
    nick         text NOT NULL,              -- the nickname asked for
    -- The optional muc#register_* fields given, as [[var, value], ...] in form order.
    details      jsonb NOT NULL DEFAULT '[]',
    requested_at timestamptz NOT NULL,
    notified_at  timestamptz NOT NULL,       -- when the admins were last asked
    PRIMARY KEY (room, jid)
);
