-- 0001: the foundation. schema_migrations itself is created by the migration runner.
--
-- audit: who did what to which object, for service admins and abuse staff. Rows are
-- written by the service (room destroyed, affiliation changed, log viewed, ...) and are
-- never updated; later migrations add the tables the features audit.
CREATE TABLE audit (
    id          bigserial   PRIMARY KEY,
    occurred_at timestamptz NOT NULL DEFAULT now(),
    actor       text        NOT NULL,  -- a bare JID, an admin principal, or 'system'
    action      text        NOT NULL,  -- e.g. 'room.destroy', 'log.view'
    object      text        NOT NULL DEFAULT '',  -- e.g. a room JID; '' when none
    detail      jsonb       NOT NULL DEFAULT '{}'::jsonb
);

-- The audit page lists the newest entries first and filters by time range.
CREATE INDEX audit_occurred_at_idx ON audit (occurred_at);
