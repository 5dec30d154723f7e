-- 0016: less PostgreSQL work per logged message (decision 0070; measured in
-- docs/performance.md, "PostgreSQL per logged message", and docs/abuse-log.md).
--
-- At the rates rooms really produce (a room of 100 at its knee logs ~200 messages/s) the log
-- writer commits one to a few rows per COPY, so what every statement costs counts as much
-- as what every row costs. Two costs go; nothing users see changes.

-- 1. room_events_archive_idx (0004) duplicated room_events_room_time_idx for the archive's
-- pages: (room, occurred_at) finds a room's messages in time order as well, and the archive
-- query's other conditions (kind, stanza_id, the (occurred_at, seq) tie-break) are checked on
-- rows it reads anyway. Every groupchat message paid one more B-tree insert for it.
DROP INDEX room_events_archive_idx;

-- 2. seq was an identity column. For an identity column every INSERT or COPY looks its
-- sequence up in pg_depend (PostgreSQL does not cache it), a catalog index scan per
-- statement; a plain DEFAULT nextval() is read from the relation's cached defaults. Same
-- sequence of numbers, continued where the identity's left off. The writer never names
-- seq, so nothing else changes (a hand-written INSERT could now set it, which the abuse
-- log's writer never does).
DO $$
DECLARE
    next_seq bigint;
BEGIN
    SELECT coalesce(nextval(pg_get_serial_sequence('room_events', 'seq')), 1) INTO next_seq;
    ALTER TABLE room_events ALTER COLUMN seq DROP IDENTITY;
    CREATE SEQUENCE room_events_seq_seq AS bigint OWNED BY room_events.seq;
    PERFORM setval('room_events_seq_seq', next_seq, false);
    ALTER TABLE room_events ALTER COLUMN seq SET DEFAULT nextval('room_events_seq_seq');
END
$$;
