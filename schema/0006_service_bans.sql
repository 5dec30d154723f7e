-- 0006: service-wide bans (docs/policies.md, "Service-wide bans"). A subject is a bare JID
-- (user@domain) or a domain; it is an outcast in every room while the ban is in force.
-- Bans are never deleted: lifting one sets lifted_at/lifted_by, an expired one is closed with
-- lifted_by 'expired' when the subject is banned again, so the history stays for abuse staff.
-- Every change notifies channel commonroom_service_bans; the running service reloads at once.
CREATE TABLE service_bans (
    id         bigserial   PRIMARY KEY,
    subject    text COLLATE "C" NOT NULL CHECK (subject <> '' AND subject NOT LIKE '%/%'),
    reason     text        NOT NULL,
    set_by     text        NOT NULL,
    set_at     timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz,               -- NULL: until lifted
    lifted_at  timestamptz,
    lifted_by  text,
    CHECK (expires_at IS NULL OR expires_at > set_at)
);

-- At most one open ban per subject.
CREATE UNIQUE INDEX service_bans_open_idx ON service_bans (subject) WHERE lifted_at IS NULL;
