-- 0005: retention of the abuse log and legal holds (docs/abuse-log.md, "Retention and legal
-- holds"). store/retention.cpp purges room_events older than [policy] retention_days, except
-- events in a room under an active hold or by/about a user under an active hold. Holds are
-- never deleted: releasing one sets released_at/released_by, so the history stays.
CREATE TABLE legal_holds (
    id          bigserial   PRIMARY KEY,
    kind        text COLLATE "C" NOT NULL CHECK (kind IN ('room', 'user')),
    subject     text COLLATE "C" NOT NULL,  -- bare room JID (kind room) or bare user JID (user)
    reason      text        NOT NULL,
    placed_by   text        NOT NULL,
    placed_at   timestamptz NOT NULL DEFAULT now(),
    released_at timestamptz,
    released_by text
);

-- At most one active hold per subject; the purge looks active holds up by (kind, subject).
CREATE UNIQUE INDEX legal_holds_active_idx ON legal_holds (kind, subject)
    WHERE released_at IS NULL;
