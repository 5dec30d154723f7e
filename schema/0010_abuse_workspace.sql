-- 0010: the abuse staff workspace (issue 12; docs/abuse-handling.md, decision 0025).
--
-- Word search that ignores accents and case. unaccent is a trusted extension (PostgreSQL
-- 13+, in Debian's postgresql-15): the database owner may create it. The configuration is
-- 'simple' (no stemming, no stop words: rooms mix languages and staff look for exact words)
-- with accents removed from every word before it is lowercased, so "Café", "CAFE" and
-- "cafe" are the same word, in the index and in the query.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION commonroom_words (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION commonroom_words
    ALTER MAPPING FOR word, hword, hword_part WITH unaccent, simple;

-- The folded index replaces the 'simple' one of 0003 rather than joining it: each GIN index
-- costs about half of the abuse log's ingest rate (docs/abuse-log.md), and the 'simple'
-- index answers nothing the folded one cannot. to_tsvector(regconfig, text) is immutable,
-- so the expression can be indexed; queries must write the same expression,
-- to_tsvector('commonroom_words'::regconfig, body), for the planner to use it.
DROP INDEX room_events_body_fts_idx;
CREATE INDEX room_events_words_idx ON room_events
    USING gin (to_tsvector('commonroom_words'::regconfig, body));

-- The audit trail is append-only: whatever role the service connects as (it owns the
-- table when it ran the migrations), UPDATE, DELETE and TRUNCATE of audit fail. Statement
-- triggers, so even a statement that would touch no row is refused and shows up in
-- PostgreSQL's log. A superuser can still disable triggers; decision 0026 says how to
-- take even that away from the service's role.
CREATE FUNCTION audit_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit trail is append-only: % on audit is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit
    FOR EACH STATEMENT EXECUTE FUNCTION audit_is_append_only();

-- Auditors read the trail of one case (the log.search / log.context / log.export rows).
CREATE INDEX audit_case_idx ON audit ((detail ->> 'case')) WHERE detail ? 'case';
