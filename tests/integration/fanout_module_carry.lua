-- Run by test_fanout_module_carry.py with lua5.4: deploy/prosody/mod_commonroom_fanout.lua's
-- carried answers (decision 0084) against Prosody's own util.stanza, util.xml and
-- util.encodings, the module loaded with a stand-in for Prosody's module API. Prints one line
-- per check, "ok <name>" or "FAIL <name>: <detail>", and exits non-zero on a failure.
local module_path = assert(arg[1], "usage: lua5.4 fanout_module_carry.lua MODULE.lua");
package.path = "/usr/lib/prosody/?.lua;" .. package.path;
package.cpath = "/usr/lib/prosody/?.so;" .. package.cpath;
local st = require "util.stanza";
local xml_parse = require "util.xml".parse;

-- Prosody's own functions, before any module wraps them.
local original_tostring, original_top_tag, original_clone = st.stanza_mt.__tostring, st.stanza_mt.top_tag, st.clone;

local HOST = "directory.cam.example";
local hooks, posted, logged = {}, {}, {};
-- module:shared() tables, one per absolute path, as Prosody keeps them for all hosts.
local shared_tables = {};
-- Loads the module on `host` as Prosody would, its hooks into `host_hooks`.
local function load_on(host, host_hooks)
	local fake_module = {
		host = host,
		get_host_type = function() return "component"; end,
		get_option_boolean = function(_, _, default) return default; end,
		get_option_number = function(_, _, default) return default; end,
		hook = function(_, name, handler)
			host_hooks[name] = host_hooks[name] or {};
			table.insert(host_hooks[name], handler);
		end,
		log = function(_, level, ...) table.insert(logged, level .. ": " .. string.format(...)); end,
		shared = function(_, path)
			assert(path:sub(1, 1) == "/", "a path shared by every host is absolute");
			shared_tables[path] = shared_tables[path] or {};
			return shared_tables[path];
		end,
	};
	local module_env = setmetatable({
		module = fake_module,
		prosody = {
			core_post_stanza = function(_, stanza) table.insert(posted, stanza); end,
			full_sessions = {}, bare_sessions = {}, hosts = {},
		},
	}, { __index = _G });
	assert(loadfile(module_path, "t", module_env))();
	return module_env;
end
local env = load_on(HOST, hooks);

local failures = 0;
local function check(name, ok, detail)
	if ok then
		print("ok " .. name);
	else
		failures = failures + 1;
		print("FAIL " .. name .. ": " .. tostring(detail));
	end
end

local function fire(name, stanza, origin)
	local event = { origin = origin or { type = "component", host = HOST }, stanza = stanza };
	for _, handler in ipairs(hooks[name] or {}) do
		local r = handler(event);
		if r ~= nil then return r; end
	end
end

local content = "<query xmlns='jabber:iq:search'><x xmlns='jabber:x:data' type='result'>"
	.. "<title>Sam &amp; co: 2 people found</title><item><field var='jid'><value>sm000@cam.example</value>"
	.. "</field></item><item><field var='jid'><value>sm001@cam.example</value></field></item></x></query>";
local function carried_iq(to, text)
	return st.iq({ type = "result", id = "q1", from = HOST, to = HOST })
		:tag("carry", { xmlns = "urn:commonroom:fanout:0", to = to }):text(text):up();
end
local expected = "<iq type='result' id='q1' from='" .. HOST .. "' to='alice@cam.example/phone'>" .. content .. "</iq>";
-- Equal trees: names, attributes (in any order), children in order.
local function same_tree(a, b)
	if type(a) ~= type(b) then return false; end
	if type(a) == "string" then return a == b; end
	if a.name ~= b.name or #a ~= #b then return false; end
	for k, v in pairs(a.attr) do if b.attr[k] ~= v then return false; end end
	for k, v in pairs(b.attr) do if a.attr[k] ~= v then return false; end end
	for i = 1, #a do if not same_tree(a[i], b[i]) then return false; end end
	return true;
end
local function same_xml(a, b)
	local pa, pb = xml_parse(a), xml_parse(b);
	return pa and pb and same_tree(pa, pb);
end

-- The disco#info answer offers carrying.
local disco = st.iq({ type = "get", id = "p1", from = HOST, to = HOST })
	:query("http://jabber.org/protocol/disco#info");
local answered;
fire("iq/host", disco, { type = "component", host = HOST, send = function(s) answered = s; end });
local features = {};
for tag in answered:get_child("query", "http://jabber.org/protocol/disco#info"):childtags("feature") do
	features[tag.attr.var] = true;
end
check("disco offers carrying", features["urn:commonroom:fanout:0#carry"], tostring(answered));

-- Routed to the recipient with the same name and attributes, no children, the content as text.
check("taken", fire("iq/host", carried_iq("alice@cam.example/phone", content)) == true);
local answer = posted[1];
check("routed once to the recipient", #posted == 1 and answer.attr.to == "alice@cam.example/phone",
	answer and answer.attr.to);
check("no children for handlers", answer and #answer == 0 and #answer.tags == 0);
-- (Attribute order is Lua's; the content must be the bytes that came.)
check("serialized as it came", tostring(answer):find(content, 1, true) and same_xml(tostring(answer), expected),
	tostring(answer));
check("serialized again the same", same_xml(tostring(answer), expected), tostring(answer));

-- As commonroom writes it on the link: the content in a CDATA section.
posted = {};
local wire = xml_parse("<iq type='result' id='q1' from='" .. HOST .. "' to='" .. HOST .. "'>"
	.. "<carry xmlns='urn:commonroom:fanout:0' to='alice@cam.example/phone'><![CDATA[" .. content
	.. "]]></carry></iq>");
check("the wire format arrives whole", fire("iq/host", wire) == true and #posted == 1
	and same_xml(tostring(posted[1]), expected), posted[1] and tostring(posted[1]));
posted = { answer };

-- mod_smacks keeps a copy of what it sends and may send the copy on resumption.
local copy = st.clone(answer);
check("a copy carries the same content", same_xml(tostring(copy), expected), tostring(copy));
local top_only = st.clone(answer, true);
check("a copy of the top only is empty", #top_only == 0 and not tostring(top_only):find("query", 1, true),
	tostring(top_only));

-- An attribute a handler changes is in the text; the content stays.
copy.attr.xmlns = "jabber:client";
check("a changed attribute is kept", tostring(copy):find("xmlns='jabber:client'", 1, true)
	and tostring(copy):find(content, 1, true), tostring(copy));

-- A handler that adds a child: the content is parsed into elements ahead of it.
answer:tag("seen", { xmlns = "urn:test" }):up();
local changed = tostring(answer);
check("a child added after the content", same_xml(changed, "<iq type='result' id='q1' from='" .. HOST
	.. "' to='alice@cam.example/phone'>" .. content .. "<seen xmlns='urn:test'/></iq>"), changed);
check("the parsed content is there for handlers", answer:get_child("query", "jabber:iq:search") ~= nil);

-- A batch (decision 0086): a newcomer's roster as one text; each stanza is routed on its own,
-- in order, with its top tag's name and attributes and its content as it came.
local roster = {
	"<presence from='room@" .. HOST .. "/a &amp; &apos;b&apos;' to='carol@cam.example/phone' id='p1'>"
		.. "<x xmlns='http://jabber.org/protocol/muc#user'><item affiliation='member' role='participant'/></x>"
		.. "<occupant-id xmlns='urn:xmpp:occupant-id:0' id='o1'/></presence>",
	"<presence from='room@" .. HOST .. "/empty' to='carol@cam.example/phone' type='unavailable'/>",
	"<presence xml:lang='en' from='room@" .. HOST .. "/c' to='carol@cam.example/phone'><status>&lt;away&gt;</status></presence>",
};
local function batch_wire(stanzas)
	local ends, text = {}, "";
	for _, one in ipairs(stanzas) do text = text .. one; ends[#ends + 1] = tostring(#text); end
	return xml_parse("<message from='" .. HOST .. "' to='" .. HOST .. "'><batch xmlns='urn:commonroom:fanout:0' ends='"
		.. table.concat(ends, " ") .. "'><![CDATA[" .. text .. "]]></batch></message>");
end
check("disco offers batches", features["urn:commonroom:fanout:0#batch"], tostring(answered));
posted = {};
check("a batch is taken", fire("message/host", batch_wire(roster)) == true);
check("each stanza of a batch routed in order", #posted == 3 and posted[1].attr.id == "p1"
	and posted[2].attr.type == "unavailable" and posted[3].attr["xml:lang"] == "en", #posted);
check("escaped attributes read", posted[1] and posted[1].attr.from == "room@" .. HOST .. "/a & 'b'",
	posted[1] and posted[1].attr.from);
local as_sent = true;
for i = 1, 3 do
	if not (posted[i] and same_xml(tostring(posted[i]), roster[i])) then as_sent = false; end
end
check("each written as it came", as_sent, posted[1] and tostring(posted[1]));
check("batched stanzas have no children for handlers", posted[1] and #posted[1] == 0);
local roster_copy = posted[1] and st.clone(posted[1]);
check("a copy of a batched stanza carries its content", roster_copy and same_xml(tostring(roster_copy), roster[1]));
posted[3]:tag("seen", { xmlns = "urn:test" }):up();
local with_child = tostring(posted[3]);
check("a child added to a batched stanza", posted[3]:get_child_text("status") == "<away>"
	and with_child:find("</status><seen xmlns='urn:test'/>", 1, true), with_child);
-- A top tag commonroom's serializer would not write (double quotes) is parsed as XML.
posted = {};
fire("message/host", batch_wire({ '<presence to="dave@cam.example/x" from="room@' .. HOST .. '/d"><show>dnd</show></presence>',
	roster[2] }));
check("an unusual top tag parsed instead", #posted == 2 and posted[1].attr.to == "dave@cam.example/x"
	and posted[1]:get_child_text("show") == "dnd", posted[1] and tostring(posted[1]));
posted = {};
check("a batch only from the component", fire("message/host", batch_wire(roster),
	{ type = "c2s", host = "cam.example" }) == nil and #posted == 0);
posted = { answer };

-- Only the component itself may have an answer carried, and only to a valid JID with content.
posted = {};
check("not from a client", fire("iq/host", carried_iq("bob@cam.example/x", content),
	{ type = "c2s", host = "cam.example" }) == nil and #posted == 0);
check("an invalid recipient is dropped", fire("iq/host", carried_iq("@@", content)) == true
	and #posted == 0 and logged[#logged]:find("Dropped a carried answer", 1, true), logged[#logged]);
check("no content is dropped", fire("iq/host", carried_iq("bob@cam.example/x", "")) == true and #posted == 0);

-- Unloading the module parses what is still carried (a smacks queue), then restores Prosody's functions.
local waiting = st.clone(copy);
env.module.unload();
check("unload keeps waiting content", waiting:get_child("query", "jabber:iq:search") ~= nil
	and tostring(waiting):find("sm001@cam.example", 1, true), tostring(waiting));
check("unload restores util.stanza", st.clone == original_clone
	and st.stanza_mt.__tostring == original_tostring and st.stanza_mt.top_tag == original_top_tag);

-- The rooms and the directory are two hosts with the module: one set of wrappers serves
-- both, whatever order they are loaded, reloaded and unloaded in, and Prosody's own
-- functions come back with the last.
local rooms_hooks, directory_hooks = {}, {};
local rooms = load_on("conference.cam.example", rooms_hooks);
local wrapped = st.stanza_mt.__tostring;
local directory = load_on(HOST, directory_hooks);
check("one set of wrappers for two hosts", st.stanza_mt.__tostring == wrapped
	and wrapped ~= original_tostring and st.clone ~= original_clone);
rooms.module.unload();
check("kept while another host has the module", st.stanza_mt.__tostring == wrapped);
hooks = directory_hooks;
posted = {};
fire("iq/host", carried_iq("alice@cam.example/phone", content));
check("the other host still carries", #posted == 1 and same_xml(tostring(posted[1]), expected),
	posted[1] and tostring(posted[1]));
rooms = load_on("conference.cam.example", rooms_hooks);
check("a reload adds no layer", st.stanza_mt.__tostring == wrapped);
local still_waiting = st.clone(posted[1]);
directory.module.unload();
rooms.module.unload();
check("the last unload restores util.stanza", st.clone == original_clone
	and st.stanza_mt.__tostring == original_tostring and st.stanza_mt.top_tag == original_top_tag);
check("the last unload keeps what another host carried", still_waiting:get_child("query", "jabber:iq:search") ~= nil,
	tostring(still_waiting));

os.exit(failures == 0 and 0 or 1);
