-- What one carried answer (decision 0084) costs Prosody's Lua: the bytes it allocates and the
-- time it takes, from the component link's text to the text written to the client, through
-- Prosody's util.xmppstream and util.stanza and the module's own handler (loaded with a
-- stand-in for Prosody's module API). Under Prosody's packaged collector (incremental, a new
-- cycle after 5 % growth) every byte allocated costs marking work, so the bytes are the
-- figure that carries over to a running Prosody; the time here is for a heap of this size.
--
--   lua5.4 bench/prosody/carried_cost.lua [MODULE.lua ...]   (default: the deployed module)
--
-- Several modules (e.g. an older copy) are measured one after the other, same answer.
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
	if env.module.unload then env.module.unload(); end
	print(string.format("%-60s %6.1f KiB allocated, %6.1f us per carried answer", module_path, kib, us));
end

local modules = { ... };
if #modules == 0 then modules = { "deploy/prosody/mod_commonroom_fanout.lua" }; end
print(string.format("a %d-byte answer carried, %d rounds each:", #content, ROUNDS));
for _, path in ipairs(modules) do measure(path); end
