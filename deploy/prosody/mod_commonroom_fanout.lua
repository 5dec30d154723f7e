-- commonroom's fan-out helper for Prosody (0.12 and later), loaded on commonroom's
-- component hosts (Component "conference.example.org" ... modules_enabled = { "commonroom_fanout" }).
--
-- Without it, a groupchat message in a room of N occupants crosses the component link as
-- N stanzas that Prosody parses one by one. With it, commonroom sends one stanza per
-- message addressed to its own domain, carrying the recipients in a last child
--   <fanout xmlns='urn:commonroom:fanout:0'>JID<tab>JID<tab>...</fanout>
-- and this module routes that one stanza to each recipient, changing only 'to' (as
-- Prosody's own MUC does), serializing it once for all of them (below). commonroom asks
-- for the module with a disco#info query from its domain to its domain at each
-- connection, and sends per recipient until it is answered.
--
-- It also carries commonroom's large answers to one recipient (a directory search's page of
-- people): the answer's content crosses the link as one text (a CDATA section), which
-- Prosody parses in one piece instead of as some 240 elements, and is written to the
-- recipient as it came (below, "Carried"); and a run of stanzas such as a newcomer's roster
-- as one text, each stanza routed on its own (below, "Batches").
--
-- Only the component's own authenticated session may use it; a fan-out request from
-- anyone else (a client, a server) is passed on to the component like any other stanza.

local jid_prep = require "util.jid".prep;
local st = require "util.stanza";
local xml_parse = require "util.xml".parse;

local stanza_mt, xml_escape = st.stanza_mt, st.xml_escape;

local core_post_stanza = prosody.core_post_stanza;
local full_sessions = prosody.full_sessions;
local bare_sessions = prosody.bare_sessions;
local hosts = prosody.hosts;

local xmlns_fanout = "urn:commonroom:fanout:0";
local feature_carry = xmlns_fanout .. "#carry";
local feature_batch = xmlns_fanout .. "#batch";
local xmlns_disco_info = "http://jabber.org/protocol/disco#info";

if module:get_host_type() ~= "component" then
	error("mod_commonroom_fanout belongs on commonroom's Component hosts, not on "..module.host, 0);
end

local function from_own_component(origin)
	return origin.type == "component" and origin.host == module.host;
end

-- What core_process_stanza does with a component's 'to': a JID of a known session is routed
-- as it is, anything else is prepared first (nil when it is no valid JID).
local function routable(to)
	if full_sessions[to] or bare_sessions[to] or hosts[to] then return to; end
	return jid_prep(to);
end

-- Serialized once per fan-out. Every recipient's copy is the same stanza with only 'to'
-- changed, yet each session's send serializes the whole of it again (util.stanza's
-- __tostring, about half of Prosody's Lua instructions per delivered copy, and as much in
-- its own MUC), and its top tag once more for a debug log line that is built whether or
-- not debug is logged (sessionmanager's send calls top_tag). So the stanza and its top tag
-- are serialized once with a marker in 'to', and while its fan-out runs, turning either
-- into text is the part before the marker, the recipient's escaped JID and the part after.
-- Only for this stanza object, and only while its top-level attributes and children are
-- the ones serialized: a handler that adds, removes or replaces any of them (for one
-- recipient) gets the full serialization, as without this. A change inside a child is not
-- seen; no handler of Prosody's makes one to a stanza it delivers, since every MUC's
-- copies (Prosody's own too) share their children. commonroom_fanout_serialize_once =
-- false turns this off.
local serialize_once = module:get_option_boolean("commonroom_fanout_serialize_once", true);
local to_marker = "\1commonroom-fanout-to\1";

-- One set of wrappers of util.stanza's serializers and clone for every host the module is
-- loaded on (commonroom's rooms and its directory are two components): the first host's
-- load installs them, the last host's unload puts Prosody's back. Per host, a wrapper round
-- the last one would have made every serialization pass through each, and a module reloaded
-- on one host while loaded on another would have left a layer behind each time. The
-- stanzas each host prepares or carries share the two weak tables below.
local wrappers = module:shared("/*/commonroom_fanout/wrappers");
if not wrappers.hosts then
	wrappers.hosts = {};
	wrappers.prepared = setmetatable({}, { __mode = "k" });
	wrappers.carried = setmetatable({}, { __mode = "k" });
end
local prepared = wrappers.prepared;

-- The text of stanza (serialize: plain_tostring or plain_top_tag) split around 'to'.
local function split_at_to(stanza, serialize)
	local attr = stanza.attr;
	local to = attr.to;
	attr.to = to_marker;
	local text = serialize(stanza);
	attr.to = to;
	local from, till = text:find(to_marker, 1, true);
	if not from then return nil; end
	return text:sub(1, from - 1), text:sub(till + 1);
end

local function prepare(stanza)
	local head, tail = split_at_to(stanza, wrappers.plain_tostring);
	local top_head, top_tail = split_at_to(stanza, wrappers.plain_top_tag);
	if not (head and top_head) then return; end
	local shape = { head = head, tail = tail, top_head = top_head, top_tail = top_tail, n = #stanza };
	for i = 1, #stanza do shape[i] = stanza[i]; end
	local attrs, count = {}, 0;
	for k, v in pairs(stanza.attr) do
		if k ~= "to" then attrs[k] = v; count = count + 1; end
	end
	shape.attrs, shape.attr_count = attrs, count;
	prepared[stanza] = shape;
end

local function unchanged(stanza, shape)
	local n = #stanza;
	if n ~= shape.n then return false; end
	for i = 1, n do
		if stanza[i] ~= shape[i] then return false; end
	end
	local attrs, count = shape.attrs, 0;
	for k, v in pairs(stanza.attr) do
		if k ~= "to" then
			if attrs[k] ~= v then return false; end
			count = count + 1;
		end
	end
	return count == shape.attr_count;
end

-- A serializer that gives a prepared, unchanged stanza its kept text around the
-- recipient's JID, and anything else to Prosody's own (plain).
local function serialized_once(plain, head, tail)
	return function(stanza)
		local shape = prepared[stanza];
		local to = shape and stanza.attr.to;
		if to and unchanged(stanza, shape) then
			return shape[head] .. xml_escape(to) .. shape[tail];
		end
		return plain(stanza);
	end
end

-- Carried. A directory search's page of 20 people is a 5-7 KB answer of some 240 elements;
-- Prosody spent ~1 ms of CPU on each (three quarters of it building a Lua table per element
-- it parses from the link, the rest serializing them again), against ~0.04 ms for the same
-- answer carried: commonroom sends the answer's content as the text of one
--   <carry xmlns='urn:commonroom:fanout:0' to='RECIPIENT'><![CDATA[...]]></carry>
-- child of the stanza, addressed to its own domain (in a CDATA section the parser hands the
-- text over whole; escaped, it would stop at every entity). This module routes a stanza with
-- the same name and attributes to the recipient through core_post_stanza like any other,
-- and whenever it is turned into text its content is that text. A copy (util.stanza's
-- clone, as mod_smacks keeps one for resending) carries the same bytes. If a handler adds
-- a child, the content is parsed into elements first and serialized as usual. A handler
-- that looks inside the answer sees no children: nothing of Prosody's does for an iq
-- result. commonroom_fanout_carry = false stops offering it (commonroom then sends the
-- answer as elements).
local carry = module:get_option_boolean("commonroom_fanout_carry", true);
local carried = wrappers.carried;

-- Parses a carried stanza's content into its children, ahead of any a handler added.
local function materialize(stanza, content)
	carried[stanza] = nil;
	local parsed, err = xml_parse("<carried>" .. content .. "</carried>");
	if not parsed then
		module:log("error", "Could not parse an answer carried from %s: %s", stanza.attr.from, err);
		return;
	end
	local added = {};
	for i = 1, #stanza do added[i] = stanza[i]; stanza[i] = nil; end
	stanza.tags = {};
	for _, child in ipairs(parsed) do stanza:add_direct_child(child); end
	for _, child in ipairs(added) do stanza:add_direct_child(child); end
end

-- Installed once for all hosts (above), so they look at both tables whatever this host's
-- options: a stanza is in `prepared` or `carried` only if its host put it there.
local function install()
	-- What is there now: Prosody's own, or what another module wrapped round them.
	local plain_tostring, plain_top_tag, plain_clone = stanza_mt.__tostring, stanza_mt.top_tag, st.clone;
	wrappers.plain_tostring, wrappers.plain_top_tag, wrappers.plain_clone = plain_tostring, plain_top_tag, plain_clone;
	local fanout_tostring = serialized_once(plain_tostring, "head", "tail");
	local fanout_top_tag = serialized_once(plain_top_tag, "top_head", "top_tail");

	local function carried_tostring(stanza)
		local content = carried[stanza];
		if content then
			if #stanza == 0 then
				return plain_top_tag(stanza) .. content .. "</" .. stanza.name .. ">";
			end
			materialize(stanza, content);
		end
		return fanout_tostring(stanza);
	end

	local function carried_clone(stanza, only_top)
		local copy = plain_clone(stanza, only_top);
		local content = carried[stanza];
		if content and not only_top then carried[copy] = content; end
		return copy;
	end

	stanza_mt.__tostring, stanza_mt.top_tag, st.clone = carried_tostring, fanout_top_tag, carried_clone;
	wrappers.installed_tostring, wrappers.installed_top_tag = carried_tostring, fanout_top_tag;
	wrappers.installed_clone = carried_clone;
end

local function uninstall()
	-- Whatever another module wrapped round ours stays; ours then passes everything on.
	if stanza_mt.__tostring == wrappers.installed_tostring then stanza_mt.__tostring = wrappers.plain_tostring; end
	if stanza_mt.top_tag == wrappers.installed_top_tag then stanza_mt.top_tag = wrappers.plain_top_tag; end
	if st.clone == wrappers.installed_clone then st.clone = wrappers.plain_clone; end
	wrappers.installed_tostring, wrappers.installed_top_tag, wrappers.installed_clone = nil, nil, nil;
	-- Stanzas still waiting to be sent (a smacks queue) keep their content.
	for stanza, content in pairs(carried) do materialize(stanza, content); end
end

if serialize_once or carry then
	if not wrappers.installed_tostring then install(); end
	wrappers.hosts[module.host] = true;
	function module.unload()
		wrappers.hosts[module.host] = nil;
		if next(wrappers.hosts) == nil then uninstall(); end
	end
end

local function fan_out(event)
	local origin, stanza = event.origin, event.stanza;
	if not from_own_component(origin) then return; end
	local tags = stanza.tags;
	local list = tags[#tags];
	if not list or list.name ~= "fanout" or list.attr.xmlns ~= xmlns_fanout then return; end

	-- The list is the last child: take it off before anyone sees the stanza.
	tags[#tags] = nil;
	for i = #stanza, 1, -1 do
		if stanza[i] == list then
			table.remove(stanza, i);
			break;
		end
	end
	local recipients = list:get_text();
	if not recipients then return true; end

	local attr = stanza.attr;
	if serialize_once then prepare(stanza); end
	for to in recipients:gmatch("[^\t]+") do
		to = routable(to);
		if to then
			attr.to = to;
			core_post_stanza(origin, stanza);
		else
			module:log("debug", "Skipping an invalid recipient of a fan-out from %s", attr.from);
		end
	end
	prepared[stanza] = nil;
	return true;
end

-- Prosody reads a connection 4 KiB per turn of its network loop (network_default_read_size),
-- and one fan-out stanza to a room of 100 is about 3 KB (30 KB for 1,000). When messages
-- come faster than Prosody copies them, a small read gives each turn one message, and each
-- occupant's connection one send per message. Reading commonroom's link 64 KiB at a time
-- lets a busy turn take several messages, so each occupant gets them in one send: in a room
-- of 100 at saturation 1.25 instead of 2.0 system calls per delivered message, a fifth less
-- of Prosody's CPU, a quarter more messages a second (decision 0081). Only this link: the
-- clients' connections keep Prosody's setting.
local link_read_size = module:get_option_number("commonroom_fanout_read_size", 64 * 1024);

module:hook("component-authenticated", function(event)
	local conn = event.session.conn;
	if link_read_size > 0 and conn and conn.set_mode then
		conn:set_mode(link_read_size);
		module:log("info", "Reading commonroom's link %d bytes at a time", link_read_size);
	end
end);

-- Above mod_component's handler (priority -1), which passes stanzas on to the component.
module:hook("message/host", fan_out, 10);
module:hook("presence/host", fan_out, 10);

-- commonroom's question "is the fan-out module here?": disco#info from the component's
-- domain to itself. Without this module Prosody passes the question back to the component,
-- which recognises it and keeps sending one stanza per recipient.
module:hook("iq/host", function(event)
	local origin, stanza = event.origin, event.stanza;
	if not from_own_component(origin) or stanza.attr.type ~= "get"
		or stanza.attr.from ~= module.host then
		return;
	end
	local query = stanza.tags[1];
	if not query or query.name ~= "query" or query.attr.xmlns ~= xmlns_disco_info
		or query.attr.node then
		return;
	end
	local answer = st.reply(stanza):query(xmlns_disco_info):tag("feature", { var = xmlns_fanout }):up();
	if carry then
		answer:tag("feature", { var = feature_carry }):up();
		answer:tag("feature", { var = feature_batch }):up();
	end
	origin.send(answer);
	return true;
end, 10);

-- With carrying on: the one <NAME xmlns='urn:commonroom:fanout:0'> child of a stanza the
-- component sent to its own domain, and that child's text (the parser leaves one text node,
-- a CDATA section; get_text would copy all of it); nothing for any other stanza.
local function own_request(event, name)
	local stanza = event.stanza;
	if not carry or not from_own_component(event.origin) or stanza.attr.to ~= module.host then return; end
	local child = stanza.tags[1];
	if #stanza ~= 1 or not child or child.name ~= name or child.attr.xmlns ~= xmlns_fanout then
		return;
	end
	return child, #child == 1 and type(child[1]) == "string" and child[1] or child:get_text();
end

-- A carried answer (above): one child <carry to='RECIPIENT'>content</carry>.
local function deliver_carried(event)
	local origin, stanza = event.origin, event.stanza;
	local child, content = own_request(event, "carry");
	if not child then return; end
	local to = routable(child.attr.to or "");
	if not to or not content or content == "" then
		module:log("warn", "Dropped a carried answer from %s: no recipient or no content", stanza.attr.from);
		return true;
	end
	local attr = {};
	for k, v in pairs(stanza.attr) do attr[k] = v; end
	attr.to = to;
	local answer = st.stanza(stanza.name, attr);
	carried[answer] = content;
	core_post_stanza(origin, answer);
	return true;
end

module:hook("iq/host", deliver_carried, 11);

-- Batches. A newcomer's roster is one presence per occupant, to one recipient: each some
-- four elements for Prosody to parse from the link, and a room of 300 makes 300 of them. With
-- carrying on, commonroom sends such a run of stanzas as one
--   <message><batch xmlns='urn:commonroom:fanout:0' ends='E1 E2 ...'><![CDATA[...]]></batch></message>
-- to its own domain: the stanzas back to back as it wrote them, stanza i ending at byte Ei.
-- Each is routed on its own, in order, like a carried answer: a stanza with the name and
-- attributes of its top tag, whose content is the text after that tag (stream management
-- counts each; a handler that adds a child gets the content parsed first). Top tags come
-- from commonroom's serializer (single quotes; every <, >, &, ' escaped in values); one that
-- does not read as such is parsed as XML instead.
local xml_entities = { lt = "<", gt = ">", amp = "&", apos = "'", quot = '"' };
local function xml_unescape(value)
	if not value:find("&", 1, true) then return value; end
	return (value:gsub("&(%a+);", xml_entities));
end

-- The stanza in text[first, last] as a stanza to route, or nil. Read in place (no copy of
-- the stanza's text): only the attribute values and the content become new strings.
local function batched_stanza(text, first, last)
	local name, pos = text:match("^<([%a]+)()", first);
	if name then
		local attr = {};
		while true do
			local key, value, after = text:match("^%s+([^%s='\"<>/]+)='([^'<>]*)'()", pos);
			if not key then break; end
			attr[key] = xml_unescape(value);
			pos = after;
		end
		local slash, top_end = text:match("^%s*(/?)>()", pos);
		local closing = "</" .. name .. ">";
		local content;
		if slash == "" and top_end and top_end + #closing <= last + 1
			and text:find(closing, last - #closing + 1, true) == last - #closing + 1 then
			content = text:sub(top_end, last - #closing);
		elseif slash == "/" and top_end == last + 1 then
			content = "";
		end
		if content and attr.to then
			local stanza = st.stanza(name, attr);
			if content ~= "" then carried[stanza] = content; end
			return stanza;
		end
	end
	local parsed = xml_parse(text:sub(first, last));
	if parsed and parsed.attr.to then
		parsed.attr.xmlns = nil;
		return parsed;
	end
end

local function deliver_batch(event)
	local origin, stanza = event.origin, event.stanza;
	local child, text = own_request(event, "batch");
	if not child then return; end
	text = text or "";
	local start = 1;
	for e in (child.attr.ends or ""):gmatch("%d+") do
		local stop = tonumber(e);
		local one = stop >= start and stop <= #text and batched_stanza(text, start, stop);
		if one then
			one.attr.to = routable(one.attr.to);
			if one.attr.to then
				core_post_stanza(origin, one);
			else
				module:log("debug", "Skipping an invalid recipient in a batch from %s", stanza.attr.from);
			end
		else
			module:log("warn", "Dropped an unreadable stanza of a batch from %s", stanza.attr.from);
		end
		start = stop + 1;
	end
	return true;
end

module:hook("message/host", deliver_batch, 11);
