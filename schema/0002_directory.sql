-- 0002: the directory, synced from Lookup over LDAP (directory/ldap_sync.cpp writes it,
-- store/directory_store.cpp holds the SQL). Readers only ever see complete syncs: a run
-- stages its entries in temporary tables and merges them in one transaction.

-- pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- People as Lookup shows them to anonymous University users; '' means hidden or absent.
-- Opted-out people are never stored here (see directory_opt_outs).
CREATE TABLE directory_people (
    uid              text        PRIMARY KEY,             -- CRSid, lower case
    jid              text        NOT NULL,
    cn               text        NOT NULL DEFAULT '',
    other_names      text[]      NOT NULL DEFAULT '{}',   -- further cn values
    sn               text        NOT NULL DEFAULT '',
    given_name       text        NOT NULL DEFAULT '',
    display_name     text        NOT NULL DEFAULT '',
    mail             text        NOT NULL DEFAULT '',
    title            text        NOT NULL DEFAULT '',
    affiliation      text        NOT NULL DEFAULT 'other'
                     CHECK (affiliation IN ('staff', 'student', 'other')),
    institutions     text[]      NOT NULL DEFAULT '{}',   -- instID values
    ous              text[]      NOT NULL DEFAULT '{}',   -- ou values (institution names)
    -- directory::fold_for_search of the names (display name, cn, other names, given name,
    -- surname) and of the mail address: what substring search compares.
    name_folded      text        NOT NULL DEFAULT '',
    mail_folded      text        NOT NULL DEFAULT '',
    modify_timestamp text        NOT NULL DEFAULT '',     -- LDAP GeneralizedTime
    synced_at        timestamptz NOT NULL DEFAULT now()   -- when a sync last changed the row
);
CREATE INDEX directory_people_name_trgm_idx ON directory_people
    USING gin (name_folded gin_trgm_ops);
CREATE INDEX directory_people_mail_trgm_idx ON directory_people
    USING gin (mail_folded gin_trgm_ops);
CREATE INDEX directory_people_institutions_idx ON directory_people USING gin (institutions);
CREATE INDEX directory_people_jid_idx ON directory_people (jid);

CREATE TABLE directory_institutions (
    inst_id   text        PRIMARY KEY,  -- e.g. TRIN
    name      text        NOT NULL DEFAULT '',
    synced_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE directory_groups (
    group_id  text        PRIMARY KEY,
    title     text        NOT NULL DEFAULT '',
    synced_at timestamptz NOT NULL DEFAULT now()
);

-- Group members by uid. Rooms linked to a group take their members from here, so the
-- memberships of opted-out people are kept (they are not searchable through this table).
CREATE TABLE directory_group_members (
    group_id text NOT NULL REFERENCES directory_groups (group_id) ON DELETE CASCADE,
    uid      text NOT NULL,
    PRIMARY KEY (group_id, uid)
);
CREATE INDEX directory_group_members_uid_idx ON directory_group_members (uid);

-- People who asked to be left out of the directory. Every sync skips them; opting out
-- also removes the stored row at once.
CREATE TABLE directory_opt_outs (
    uid          text        PRIMARY KEY,
    opted_out_at timestamptz NOT NULL DEFAULT now(),
    note         text        NOT NULL DEFAULT ''
);

CREATE TABLE directory_sync_runs (
    id                bigserial   PRIMARY KEY,
    kind              text        NOT NULL CHECK (kind IN ('full', 'incremental')),
    started_at        timestamptz NOT NULL,
    finished_at       timestamptz,
    status            text        NOT NULL DEFAULT 'running'
                      CHECK (status IN ('running', 'ok', 'partial', 'failed')),
    people_seen       integer     NOT NULL DEFAULT 0,
    rejected          integer     NOT NULL DEFAULT 0,
    opted_out         integer     NOT NULL DEFAULT 0,
    institutions_seen integer     NOT NULL DEFAULT 0,
    groups_seen       integer     NOT NULL DEFAULT 0,
    added             integer     NOT NULL DEFAULT 0,
    updated           integer     NOT NULL DEFAULT 0,
    removed           integer     NOT NULL DEFAULT 0,
    error             text        NOT NULL DEFAULT ''
);
CREATE INDEX directory_sync_runs_good_idx ON directory_sync_runs (kind, started_at)
    WHERE status IN ('ok', 'partial');

-- Bumped by every change to the directory tables (a merge that changed something, an
-- opt-out), so the search service can tell cheaply when to reload its index.
CREATE TABLE directory_state (
    singleton bool        PRIMARY KEY DEFAULT true CHECK (singleton),
    version   bigint      NOT NULL DEFAULT 0,
    changed_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO directory_state (singleton) VALUES (true);
