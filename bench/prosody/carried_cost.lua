-- What one carried answer (decision 0084) costs Prosody's Lua: the bytes it allocates and the
-- time it takes, from the component link's text to the text written to the client, through
-- Prosody's util.xmppstream and util.stanza and the module's own handler (loaded with a
-- stand-in for Prosody's module API). Under Prosody's packaged collector (incremental, a new
-- cycle after 5 % growth) every byte allocated costs marking work, so the bytes are the
-- figure that carries over to a running Prosody; the time here is for a heap of this size.
--
--   lua5.4 bench/prosody/carried_cost.lua [MODULE.lua ...]   (default: the deployed module)
--
-- Several modules (e.g. an older copy) are measured one after the other, same answer. Then
-- runs of 100 stanzas (a newcomer's roster, a page of archive results), sent as 100 stanzas
-- and as one batch (decision 0086).
package.path = "/usr/lib/prosody/?.lua;" .. package.path;
package.cpath = "/usr/lib/prosody/?.so;" .. package.cpath;
local xmppstream = require "util.xmppstream";

local HOST = "directory.cam.example";
local ROUNDS = 20000;
-- A 20-person page of results is 5-7 KB; this content is 6.3 KB.
local content = string.rep("<item><field var='jid'><value>sm000@cam.example</value></field></item>", 90);
local wire = "<iq type='result' id='q1' from='" .. HOST .. "' to='" .. HOST .. "'>"
	.. "<carry xmlns='urn:commonroom:fanout:0' to='alice@cam.example/phone'><![CDATA["
	.. content .. "]]></carry></iq>";

local function measure(module_path)
	local hooks, posted, shared = {}, {}, {};
	local fake_module = {
		host = HOST,
		get_host_type = function() return "component"; end,
		get_option_boolean = function(_, _, default) return default; end,
		get_option_number = function(_, _, default) return default; end,
		hook = function(_, name, handler)
			hooks[name] = hooks[name] or {};
			table.insert(hooks[name], handler);
		end,
		log = function() end,
		shared = function(_, path) shared[path] = shared[path] or {}; return shared[path]; end,
	};
	local env = setmetatable({ module = fake_module, prosody = {
		core_post_stanza = function(_, stanza) posted[#posted + 1] = stanza; end,
		full_sessions = {}, bare_sessions = {}, hosts = {},
	} }, { __index = _G });
	assert(loadfile(module_path, "t", env))();

	local received;
	local session = { notopen = true };
	local stream = xmppstream.new(session, {
		stream_ns = "http://etherx.jabber.org/streams", default_ns = "jabber:component:accept",
		streamopened = function(s) s.notopen = nil; end,
		handlestanza = function(_, stanza) received = stanza; end,
	}, 10 * 1024 * 1024);
	stream:feed("<stream:stream xmlns='jabber:component:accept' "
		.. "xmlns:stream='http://etherx.jabber.org/streams' from='cam.example' id='x'>");
	local origin = { type = "component", host = HOST };
	local function one()
		assert(stream:feed(wire));
		posted = {};
		for _, handler in ipairs(hooks["iq/host"]) do
			if handler({ origin = origin, stanza = received }) ~= nil then break; end
		end
		return tostring(posted[1]);
	end
	assert(#one() > #content, "the answer did not come out whole");
	for _ = 1, 100 do one(); end

	collectgarbage("collect");
	collectgarbage("stop");
	local before = collectgarbage("count");
	for _ = 1, 2000 do one(); end
	local kib = (collectgarbage("count") - before) / 2000;
	collectgarbage("restart");
	collectgarbage("incremental", 105, 500); -- Prosody 0.12's packaged setting
	local t = os.clock();
	for _ = 1, ROUNDS do one(); end
	local us = (os.clock() - t) / ROUNDS * 1e6;
	print(string.format("%-60s %6.1f KiB allocated, %6.1f us per carried answer", module_path, kib, us));

	-- Runs of stanzas to one recipient (decision 0086): a newcomer's roster of 100, the history
	-- of 20 messages (with the self-presence before it and the subject after) and a page of 100
	-- archive results; each as separate stanzas on the link and as one batch when the module
	-- offers it, per stanza, to the text written to the client.
	local kinds = {
		{ "roster", 100, function(i)
			return "<presence from='room@conference.cam.example/nick " .. i .. "' to='carol@cam.example/phone'>"
				.. "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' jid='u" .. i
				.. "@cam.example/r' role='participant'/></x><occupant-id xmlns='urn:xmpp:occupant-id:0' id='"
				.. string.rep("a", 64) .. "'/></presence>";
		end },
		{ "join history", 22, function(i)
			if i == 1 then
				return "<presence from='room@conference.cam.example/carol' to='carol@cam.example/phone' id='j1'>"
					.. "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' jid='carol@cam.example/phone'"
					.. " role='participant'/><status code='110'/></x><occupant-id xmlns='urn:xmpp:occupant-id:0' id='"
					.. string.rep("c", 64) .. "'/></presence>";
			elseif i == 22 then
				return "<message from='room@conference.cam.example' id='s1' to='carol@cam.example/phone' type='groupchat'>"
					.. "<subject>Reading group</subject></message>";
			end
			return "<message from='room@conference.cam.example/nick " .. i .. "' type='groupchat' id='m" .. i .. "'"
				.. " to='carol@cam.example/phone'><body>message number " .. i .. " about the reading for Thursday</body>"
				.. "<stanza-id xmlns='urn:xmpp:sid:0' id='" .. string.rep("d", 22) .. "' by='room@conference.cam.example'/>"
				.. "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='" .. string.rep("b", 64) .. "'/>"
				.. "<delay xmlns='urn:xmpp:delay' from='room@conference.cam.example' stamp='2026-12-07T10:00:00Z'/></message>";
		end },
		{ "archive page", 100, function(i)
			return "<message to='carol@cam.example/phone' from='room@conference.cam.example'>"
				.. "<result xmlns='urn:xmpp:mam:2' queryid='q1' id='m" .. i .. "'><forwarded xmlns='urn:xmpp:forward:0'>"
				.. "<delay xmlns='urn:xmpp:delay' stamp='2026-12-07T10:00:00Z'/>"
				.. "<message xmlns='jabber:client' type='groupchat' from='room@conference.cam.example/nick " .. i .. "'>"
				.. "<body>message number " .. i .. " about the reading for Thursday</body>"
				.. "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='" .. string.rep("b", 64) .. "'/>"
				.. "</message></forwarded></result></message>";
		end },
	};
	for _, kind in ipairs(kinds) do
		local label, count, make = kind[1], kind[2], kind[3];
		local stanzas, ends, text = {}, {}, "";
		for i = 1, count do
			stanzas[i] = make(i);
			text = text .. stanzas[i];
			ends[i] = tostring(#text);
		end
		local wires = {
			{ "as " .. count .. " stanzas", table.concat(stanzas) },
			{ "as one batch", "<message from='" .. HOST .. "' to='" .. HOST .. "'><batch xmlns='urn:commonroom:fanout:0' ends='"
				.. table.concat(ends, " ") .. "'><![CDATA[" .. text .. "]]></batch></message>" },
		};
		local got = {};
		local run_stream = xmppstream.new({ notopen = true }, {
			stream_ns = "http://etherx.jabber.org/streams", default_ns = "jabber:component:accept",
			streamopened = function(s) s.notopen = nil; end,
			handlestanza = function(_, stanza) got[#got + 1] = stanza; end,
		}, 10 * 1024 * 1024);
		run_stream:feed("<stream:stream xmlns='jabber:component:accept' "
			.. "xmlns:stream='http://etherx.jabber.org/streams' from='cam.example' id='x'>");
		local function deliver(wire)
			got, posted = {}, {};
			assert(run_stream:feed(wire));
			for _, stanza in ipairs(got) do
				local taken = false;
				if stanza.attr.to == HOST then
					for _, handler in ipairs(hooks[stanza.name .. "/host"] or {}) do
						if handler({ origin = origin, stanza = stanza }) ~= nil then taken = true; break; end
					end
				end
				if not taken then posted[#posted + 1] = stanza; end
			end
			assert(#posted == count, label .. " did not come out whole");
			for _, stanza in ipairs(posted) do tostring(stanza); end
		end
		for _, w in ipairs(wires) do
			for _ = 1, 20 do deliver(w[2]); end
			collectgarbage("collect");
			collectgarbage("stop");
			local b = collectgarbage("count");
			for _ = 1, 200 do deliver(w[2]); end
			local per = (collectgarbage("count") - b) / 200 / count * 1024;
			collectgarbage("restart");
			local t0 = os.clock();
			for _ = 1, 500 do deliver(w[2]); end
			print(string.format("  %-13s of %3d, %-15s %6.0f bytes allocated, %5.1f us per stanza", label, count,
				w[1], per, (os.clock() - t0) / 500 / count * 1e6));
		end
	end
	if env.module.unload then env.module.unload(); end
end

local modules = { ... };
if #modules == 0 then modules = { "deploy/prosody/mod_commonroom_fanout.lua" }; end
print(string.format("a %d-byte answer carried, %d rounds each:", #content, ROUNDS));
for _, path in ipairs(modules) do measure(path); end
