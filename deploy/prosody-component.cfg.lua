-- Prosody: let commonroom attach its two services as external components (XEP-0114).
-- The secrets must match the files named by secret_file in commonroom.ini ([muc] and
-- [directory]). After editing: `prosodyctl check config && prosodyctl reload`.

---- Part 1: in the GLOBAL section of /etc/prosody/prosody.cfg.lua, i.e. above the first
---- VirtualHost or Component line (options below a VirtualHost apply to that host only).

-- Listen for components on loopback only: the component protocol is not encrypted.
component_ports = { 5347 }
component_interface = "127.0.0.1"

-- Where the commonroom package puts its Prosody module (below). From a source checkout,
-- copy deploy/prosody/mod_commonroom_fanout.lua to a directory of your choice instead.
-- Keep any plugin_paths you already have in the list.
plugin_paths = { "/usr/share/commonroom/prosody" }

-- Let Prosody's garbage collector wait until the heap has doubled (Lua's own default)
-- rather than grown by 5% (Prosody's default threshold, 105). In a join storm over half of
-- Prosody's CPU went to the collector walking every object again, most of them long-lived
-- sessions; with 200 a join storm took Prosody about half the CPU, for about 1.5x the
-- memory (71 MiB instead of 48; docs/performance.md, decision 0072). On a busy campus day
-- (1,000 rooms, 300 sessions) it let Prosody carry two to four times the traffic before
-- messages were late, for 40 MiB instead of 28 (decision 0082). The collector stays
-- incremental: no long pauses.
gc = { mode = "incremental", threshold = 200 }

-- Send what Prosody writes at once (TCP_NODELAY) instead of holding a small write back
-- until the other side has acknowledged the one before (Nagle's algorithm, which Prosody
-- 0.12 leaves on). A client that is only reading acknowledges late (Linux waits up to 40 ms
-- to acknowledge), so in a busy room messages reached the readers 17 ms late at the median
-- and 41 ms at the 99th percentile, in Prosody's own MUC as through commonroom; with this,
-- 2 and 4 ms, for the same CPU (docs/performance.md, decision 0088). Prosody still gathers
-- what it writes to a connection in one pass of its loop into one write. If you already
-- have network_settings, add nagle = false to yours instead.
network_settings = { nagle = false }

---- Part 2: at the end of the file (or in /etc/prosody/conf.d/commonroom.cfg.lua).

-- Rooms. Do not also load Prosody's own "muc" module on this domain.
-- commonroom_fanout lets commonroom send each room message to Prosody once, with the list
-- of occupants, instead of once per occupant, and serializes it once for all of them:
-- Prosody then spends about a third of the CPU per delivered message, less than on its own
-- MUC (docs/performance.md). Without it everything still works, slower.
Component "conference.cam.ac.uk"
  component_secret = "REPLACE-with-the-content-of-/etc/commonroom/muc.secret"
  modules_enabled = { "commonroom_fanout" }

-- Directory search. commonroom_fanout here carries each page of people to the client as
-- one piece of text instead of some 240 elements for Prosody to parse: a search costs
-- Prosody half the CPU and answers in half the time (decision 0084).
Component "directory.cam.ac.uk"
  component_secret = "REPLACE-with-the-content-of-/etc/commonroom/directory.secret"
  modules_enabled = { "commonroom_fanout" }

-- Optional, inside the VirtualHost "cam.ac.uk" block: advertise both services to
-- clients that browse the server (XEP-0030).
--   disco_items = {
--     { "conference.cam.ac.uk", "University rooms" },
--     { "directory.cam.ac.uk", "University directory" },
--   }
