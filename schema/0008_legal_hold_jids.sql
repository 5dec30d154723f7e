-- 0008: legal holds that match what the abuse log stores (issue 12, decision 0019).
--
-- room_events holds prepared JIDs (stringprep: "Mallory@CAM.example" is logged as
-- "mallory@cam.example"), and the purge compares byte for byte; a hold stored as typed
-- protected nothing. From this version the hold commands store the prepared JID in
-- subject and what was typed, when different, in typed_subject.
--
-- SQL cannot run stringprep (ICU), so the rows placed before this version are prepared by
-- `commonroom migrate` itself, in C++, right after the SQL migrations
-- (store/legal_holds.cpp, prepare_stored_holds): on every run, idempotently. A subject
-- that cannot be prepared keeps its text and gets subject_problem; such a hold is shown
-- by `hold list` and counted in every purge's log line, never silently dropped.
ALTER TABLE legal_holds ADD COLUMN typed_subject text;    -- as typed, NULL when = subject
ALTER TABLE legal_holds ADD COLUMN subject_problem text;  -- why subject is not a JID
-- How much of the rooms around a held user's events is kept (user holds only): every event
-- in the same room within this many minutes before or after an event by or about them.
ALTER TABLE legal_holds ADD COLUMN context_minutes integer;
UPDATE legal_holds SET context_minutes = 60 WHERE kind = 'user';
ALTER TABLE legal_holds ADD CONSTRAINT legal_holds_context_check
    CHECK ((kind = 'user') = (context_minutes IS NOT NULL)
           AND coalesce(context_minutes, 0) BETWEEN 0 AND 10080);

-- Events about a user (kicked, banned, invited, sent a private message): the target's bare
-- JID. Partial, so the bulk of the log (groupchat, joins: no target) costs nothing to
-- insert. Built here in the migration's transaction: writes to room_events wait for it
-- (the abuse log journals meanwhile).
CREATE INDEX room_events_target_bare_idx ON room_events (split_part(target, '/', 1), occurred_at)
    WHERE target IS NOT NULL;

-- The stretches of room timeline that active user holds keep: for every event by the held
-- user (actor) or about them (target), the same room from context_minutes before it to
-- context_minutes after it. Overlapping stretches are merged (gaps and islands), so a
-- join of these with room_events finds each kept event once, through
-- room_events_room_time_idx. p_before: only stretches that start before it (the purge
-- passes its cutoff; 'infinity' for all). p_hold: one hold's stretches, NULL for every
-- active user hold.
CREATE FUNCTION legal_hold_user_spans(p_before timestamptz, p_hold bigint)
RETURNS TABLE (room text, lo timestamptz, hi timestamptz)
LANGUAGE sql STABLE AS $$
WITH holds AS (
    SELECT h.subject, make_interval(mins => h.context_minutes) AS w
    FROM legal_holds h
    WHERE h.kind = 'user' AND h.released_at IS NULL AND h.subject_problem IS NULL
      AND (p_hold IS NULL OR h.id = p_hold)
), anchors AS (
    SELECT e.room, e.occurred_at - h.w AS lo, e.occurred_at + h.w AS hi
    FROM holds h JOIN room_events e ON e.actor_bare_jid = h.subject
    WHERE e.occurred_at < p_before + h.w
    UNION ALL
    SELECT e.room, e.occurred_at - h.w, e.occurred_at + h.w
    FROM holds h JOIN room_events e
      ON split_part(e.target, '/', 1) = h.subject AND e.target IS NOT NULL
    WHERE e.occurred_at < p_before + h.w
), marked AS (
    SELECT a.room, a.lo, a.hi,
           CASE WHEN a.lo <= max(a.hi) OVER (PARTITION BY a.room ORDER BY a.lo, a.hi
                                             ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
                THEN 0 ELSE 1 END AS starts
    FROM anchors a
), islands AS (
    -- Default (RANGE) framing: equal (lo, hi) rows share one island whatever their order.
    SELECT m.room, m.lo, m.hi,
           sum(m.starts) OVER (PARTITION BY m.room ORDER BY m.lo, m.hi) AS island
    FROM marked m
)
SELECT i.room, min(i.lo), max(i.hi) FROM islands i GROUP BY i.room, i.island
$$;
