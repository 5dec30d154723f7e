-- 0012: what the admin web's dashboard and rooms list read about room traffic, kept up to
-- date from the abuse log as it is written, so neither reads room_events (10M+ rows).
--
-- A statement trigger with a transition table sees each batch the event log writes (COPY or
-- INSERT ... ON CONFLICT DO NOTHING), once, and only the rows really inserted: a journal
-- replay of events already stored counts nothing twice. Its cost is one small aggregate per
-- batch, not per row (measured in docs/admin-web.md).

-- The newest groupchat message per room (the rooms list sorts by it, newest first).
CREATE TABLE room_activity (
    room            text COLLATE "C" PRIMARY KEY,
    last_message_at timestamptz NOT NULL
);
CREATE INDEX room_activity_recent_idx ON room_activity (last_message_at, room);

-- Groupchat messages per hour (the dashboard shows the last 24).
CREATE TABLE room_message_hours (
    hour     timestamptz PRIMARY KEY,  -- date_trunc('hour', occurred_at)
    messages bigint NOT NULL
);

CREATE FUNCTION room_activity_from_events() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO room_activity AS a (room, last_message_at)
    SELECT room, max(occurred_at) FROM new_events WHERE kind = 'groupchat' GROUP BY room
    ORDER BY room
    ON CONFLICT (room) DO UPDATE SET last_message_at = EXCLUDED.last_message_at
        WHERE a.last_message_at < EXCLUDED.last_message_at;
    INSERT INTO room_message_hours AS h (hour, messages)
    SELECT date_trunc('hour', occurred_at), count(*) FROM new_events WHERE kind = 'groupchat'
    GROUP BY 1 ORDER BY 1
    ON CONFLICT (hour) DO UPDATE SET messages = h.messages + EXCLUDED.messages;
    RETURN NULL;
END
$$;

CREATE TRIGGER room_events_activity AFTER INSERT ON room_events
    REFERENCING NEW TABLE AS new_events
    FOR EACH STATEMENT EXECUTE FUNCTION room_activity_from_events();

-- What the log already holds.
INSERT INTO room_activity (room, last_message_at)
SELECT room, max(occurred_at) FROM room_events WHERE kind = 'groupchat' GROUP BY room;
INSERT INTO room_message_hours (hour, messages)
SELECT date_trunc('hour', occurred_at), count(*) FROM room_events WHERE kind = 'groupchat'
GROUP BY 1;

-- The rooms list sorted by name pages on (name, jid) like it does on jid alone.
CREATE INDEX rooms_admin_name_idx ON rooms ((lower(coalesce(config->>'name', ''))), jid);
