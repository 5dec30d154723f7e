-- 0004: persistent rooms (XEP-0045 §10.1.3) and the room archive (XEP-0313).
-- store/room_store.cpp writes these as the rooms engine reports changes (Effects::saves and
-- Effects::deletions) and reads them once at start. Temporary rooms are never stored.
--
-- The configuration is one jsonb object keyed by the muc::RoomConfig field names: a newer
-- binary can add a field without a migration, and a missing key reads as the default.
CREATE TABLE rooms (
    jid                text COLLATE "C" PRIMARY KEY,  -- bare room JID
    config             jsonb NOT NULL,
    subject            text NOT NULL DEFAULT '',
    subject_nick       text NOT NULL DEFAULT '',
    subject_at         timestamptz,
    -- XEP-0421: keeps occupant-ids stable across restarts. Not a password, but not public.
    occupant_id_secret text NOT NULL,
    created_at         timestamptz NOT NULL,
    created_by         text COLLATE "C" NOT NULL DEFAULT '',
    updated_at         timestamptz NOT NULL DEFAULT now()
);

-- Affiliations and registered nicknames (§7.10). Rewritten whole for a room on every save:
-- a room has tens to a few thousand, and the engine hands over the full list.
CREATE TABLE room_affiliations (
    room        text COLLATE "C" NOT NULL REFERENCES rooms (jid) ON DELETE CASCADE,
    jid         text COLLATE "C" NOT NULL,  -- bare JID, or a domain (domain bans)
    affiliation text COLLATE "C" NOT NULL
                CHECK (affiliation IN ('owner', 'admin', 'member', 'none', 'outcast')),
    nick        text NOT NULL DEFAULT '',   -- registered nickname, '' when none
    reason      text NOT NULL DEFAULT '',
    PRIMARY KEY (room, jid)
);

-- The archive (XEP-0313) is room_events itself: groupchat messages with a stanza-id, in
-- (occurred_at, seq) order, without those a moderator retracted. This index serves its pages.
CREATE INDEX room_events_archive_idx ON room_events (room, occurred_at, seq)
    WHERE kind = 'groupchat' AND stanza_id IS NOT NULL;
