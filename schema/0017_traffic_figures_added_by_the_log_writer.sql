-- 0017: the admin web's traffic figures (room_activity, room_message_hours; 0012) are added
-- by the abuse log's writer every five seconds for everything it inserted since, instead of
-- by a trigger on every batch (decision 0074). At the rates rooms produce most batches are
-- one message, and the trigger's two upserts were a quarter of PostgreSQL's CPU for each
-- (docs/performance.md, "PostgreSQL per logged message").
--
-- What changes for the figures: they lag the log by up to five seconds; rows put into
-- room_events by anything but commonroom's writer (an import, a hand-written INSERT) are not
-- counted until room_traffic_rebuild() runs; and a crash of commonroom can lose the last
-- five seconds' additions (the events themselves are never lost).

DROP TRIGGER room_events_activity ON room_events;
DROP FUNCTION room_activity_from_events();

-- Recounts both tables from room_events, as 0012 filled them: after an import, or to repair
-- the figures after a crash. Reads every groupchat event (minutes at 10M events); the admin
-- web keeps reading the old figures until it commits. While commonroom runs, the messages
-- it logged in the five seconds before may be counted twice (it adds them after the recount):
-- for an exact count, run it with commonroom stopped.
CREATE FUNCTION room_traffic_rebuild() RETURNS void
LANGUAGE sql AS $$
    LOCK TABLE room_activity, room_message_hours IN EXCLUSIVE MODE;
    DELETE FROM room_activity;
    DELETE FROM room_message_hours;
    INSERT INTO room_activity (room, last_message_at)
    SELECT room, max(occurred_at) FROM room_events WHERE kind = 'groupchat' GROUP BY room;
    INSERT INTO room_message_hours (hour, messages)
    SELECT date_trunc('hour', occurred_at), count(*) FROM room_events WHERE kind = 'groupchat'
    GROUP BY 1;
$$;

-- Each commonroom process's additions so far, updated in the same statement as the figures:
-- when the connection breaks before an addition's answer arrives, the writer reads its row
-- to learn whether that addition was made, so it is neither lost nor made twice.
CREATE TABLE room_traffic_writers (
    writer    text PRIMARY KEY,  -- random, one per process run
    additions bigint NOT NULL,
    at        timestamptz NOT NULL
);
