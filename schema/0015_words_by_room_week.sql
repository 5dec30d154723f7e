-- 0015: words within one room's weeks, without reading the word's whole posting list
-- (docs/abuse-log.md "Searching", decision 0039).
--
-- 0010's word index has one posting list per word for the whole log: a word in 1-2 % of
-- messages is a bitmap of 150,000 rows at 10 million events before a room and a month
-- narrow it (p95 60 ms where abuse staff need 20). This index keys every message by its
-- room's week as well as by its words, so "this word in this room in this week" is an
-- intersection inside the index (btree_gin lets a GIN index hold a plain text key beside
-- the tsvector), and a search walks the weeks newest first until its page is full. A
-- multicolumn GIN index answers a condition on any of its columns as well as one on all of
-- them, so it replaces 0010's index: words alone still use it, and ingest keeps one GIN
-- index (one more key per message).
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- "ROOM WEEK", WEEK = whole weeks since 1970-01-01 UTC. Every step is immutable (timezone()
-- with a constant zone, the epoch of a timestamp without zone, numeric to text), so the
-- function can be inlined and indexed; queries must call it with the same arguments to use
-- the index (store/log_search.cpp builds the keys).
CREATE FUNCTION room_events_week_key(room text, at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN room || ' ' || floor(extract(epoch FROM at AT TIME ZONE 'UTC') / 604800)::bigint::text;

CREATE INDEX room_events_week_words_idx ON room_events
    USING gin (room_events_week_key(room, occurred_at),
               to_tsvector('commonroom_words'::regconfig, body));
DROP INDEX room_events_words_idx;
