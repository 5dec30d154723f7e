-- 0003: the abuse log. One row per room event (store/event_log*.cpp writes it, in batches,
-- idempotently on event_id: a journal replay after a crash or a PostgreSQL outage inserts
-- each event once). Rows are never updated; a retraction is an event of its own, and the
-- original message stays (see room_events_with_retractions).
--
-- JIDs, ids and kinds use COLLATE "C": they are already normalised (stringprep), compare
-- byte by byte, and "C" makes every index insert several times cheaper than a libc locale
-- (measured: the (room, occurred_at) index cost 3.5x more under C.UTF-8).
CREATE TABLE room_events (
    -- Assigned by the rooms engine before anything is sent: the idempotency key.
    event_id       text COLLATE "C" PRIMARY KEY,
    seq            bigint GENERATED ALWAYS AS IDENTITY,  -- arrival order in PostgreSQL
    room           text COLLATE "C" NOT NULL,  -- bare room JID
    stanza_id      text COLLATE "C",           -- XEP-0359 stanza-id, when the event has one
    occurred_at    timestamptz NOT NULL,       -- when the service handled it
    -- muc::to_string(RoomEventKind): groupchat, private_message, join, exit, nick_change,
    -- status_change, subject_change, kick, ban, affiliation_change, role_change,
    -- config_change, invitation, invitation_decline, retraction, room_created,
    -- room_destroyed, voice_request. No CHECK: a newer binary may add kinds, and a rejected
    -- row would hold up every event queued behind it.
    kind           text COLLATE "C" NOT NULL,
    actor_jid      text COLLATE "C",           -- real full JID; NULL for the service itself
    actor_bare_jid text COLLATE "C"
                   GENERATED ALWAYS AS (NULLIF(split_part(actor_jid, '/', 1), '')) STORED,
    actor_nick     text,
    target         text COLLATE "C",           -- real JID or nick affected; retracted stanza-id
    body           text,                       -- message body, subject, reason
    detail         jsonb,                      -- kind-specific extras (old/new nick, fields)
    raw            text,                       -- the stanza as received
    logged_at      timestamptz NOT NULL DEFAULT now()  -- when it reached PostgreSQL
);

-- A room's log in time order (the abuse staff's first view after a complaint).
CREATE INDEX room_events_room_time_idx ON room_events (room, occurred_at);
-- "Show me the message with this stanza-id" (quoted from a client or a report).
CREATE INDEX room_events_stanza_id_idx ON room_events (stanza_id) WHERE stanza_id IS NOT NULL;
-- Everything one person did, across rooms.
CREATE INDEX room_events_actor_idx ON room_events (actor_bare_jid, occurred_at);
-- Word search in bodies: WHERE to_tsvector('simple', body) @@ plainto_tsquery('simple', $1).
-- 'simple' because rooms mix languages and abuse staff search for exact words.
CREATE INDEX room_events_body_fts_idx ON room_events USING gin (to_tsvector('simple', body));
-- Finds the retraction of a message (used by the view below).
CREATE INDEX room_events_retraction_idx ON room_events (room, target)
    WHERE kind = 'retraction';

-- Each event with, when it was later retracted, who retracted it, when and why. Computed
-- rather than stored so it is right whatever order the events reached PostgreSQL in (a
-- retraction can arrive before its message when the message waited in the journal).
CREATE VIEW room_events_with_retractions AS
SELECT e.*, r.occurred_at AS retracted_at, r.actor_jid AS retracted_by,
       r.body AS retraction_reason
FROM room_events e
LEFT JOIN LATERAL (
    SELECT x.occurred_at, x.actor_jid, x.body
    FROM room_events x
    WHERE x.kind = 'retraction' AND x.room = e.room AND x.target = e.stanza_id
    ORDER BY x.occurred_at, x.seq
    LIMIT 1
) r ON true;

-- The writer's slow path turns detail text into jsonb with this: a malformed detail is kept
-- as {"unparsed": "..."} instead of failing the batch it arrived in.
CREATE FUNCTION room_event_detail(t text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE STRICT AS $$
BEGIN
    RETURN t::jsonb;
EXCEPTION WHEN others THEN
    RETURN jsonb_build_object('unparsed', t);
END
$$;
