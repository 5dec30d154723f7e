-- What one delivered groupchat message costs Prosody's own code, stanza by stanza, timed with
-- Prosody's util.xmppstream (parsing what arrives over the component link) and util.stanza
-- (serializing what goes to each client): run with lua5.4 bench/prosody/stanza_cost.lua.
-- Compares commonroom's stanza as it crosses the link, a slimmer variant (shorter ids), and
-- the stanza Prosody's own mod_muc sends; prints microseconds per operation.
package.path = "/usr/lib/prosody/?.lua;" .. package.path;
package.cpath = "/usr/lib/prosody/?.so;" .. package.cpath;
local xmppstream = require "util.xmppstream";
local st = require "util.stanza";

local variants = {
	{ "commonroom (ids as today)",
	  "<message to='u9@cam.example/r9' from='bench10@conference.cam.example/n9' type='groupchat' id='be9ba746-e7ce-4541-935f-91a5c404aa16'><body>t=1756712635514 s=9 n=1</body><stanza-id xmlns='urn:xmpp:sid:0' by='bench10@conference.cam.example' id='be9ba746-e7ce-4541-935f-91a5c404aa16'/><occupant-id xmlns='urn:xmpp:occupant-id:0' id='9f76f3d8b615785287a533d94c48d3f2c55ab85818662e4212c00845e4fe8d7a'/></message>" },
	{ "commonroom, shorter ids (22/43 chars)",
	  "<message to='u9@cam.example/r9' from='bench10@conference.cam.example/n9' type='groupchat' id='vpunRufORUGTWpHKXESqFg'><body>t=1756712635514 s=9 n=1</body><stanza-id xmlns='urn:xmpp:sid:0' by='bench10@conference.cam.example' id='vpunRufORUGTWpHKXESqFg'/><occupant-id xmlns='urn:xmpp:occupant-id:0' id='n3bz2LYVeFKHpTPZTEzz0sVaq4WBhmLkIcAIReT-jXo'/></message>" },
	{ "Prosody mod_muc's own",
	  "<message to='u9@cam.example/r9' type='groupchat' from='bench10@conference.cam.example/n9' id='E1cMxGyHe05nbsChlW-ja-0K'><body>t=1767449489442 s=9 n=1</body><occupant-id id='pNxefYZ4jknLdTyV9TDRchbbxRTCIESDwetkPwV740k=' xmlns='urn:xmpp:occupant-id:0'/><stanza-id xmlns='urn:xmpp:sid:0' id='y2JZZZ2mnrVwWRkVaoblrsmH' by='bench10@conference.cam.example'/></message>" },
};

local N = tonumber(arg[1]) or 100000;

local function parse_all(text, n)
	local got = 0;
	local session = { notopen = true };
	local stream = xmppstream.new(session, {
		stream_ns = "http://etherx.jabber.org/streams", default_ns = "jabber:component:accept",
		streamopened = function(s) s.notopen = nil; end,
		handlestanza = function(_, stanza) got = got + 1; session.last = stanza; end,
	}, 10 * 1024 * 1024);
	stream:feed("<stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' from='cam.example' id='x'>");
	local chunk = text:rep(100);
	local t = os.clock();
	for _ = 1, n / 100 do stream:feed(chunk); end
	return (os.clock() - t) / n * 1e6, got, session.last;
end

print(("| stanza | bytes | parse µs (link → Lua) | serialize µs (Lua → client) | clone µs |"));
print("|---|---|---|---|---|");
for _, v in ipairs(variants) do
	local name, text = v[1], v[2];
	local parse_us, got, stanza = parse_all(text, N);
	assert(got == N, "parsed " .. got);
	stanza.attr.xmlns = nil;
	local t = os.clock();
	for _ = 1, N do local _ = tostring(stanza); end
	local ser_us = (os.clock() - t) / N * 1e6;
	t = os.clock();
	for _ = 1, N do local _ = st.clone(stanza); end
	local clone_us = (os.clock() - t) / N * 1e6;
	print(("| %s | %d | %.2f | %.2f | %.2f |"):format(name, #text, parse_us, ser_us, clone_us));
end
