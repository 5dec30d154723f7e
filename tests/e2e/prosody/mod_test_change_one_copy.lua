-- Test only (tests/e2e/test_host_fanout.py): a handler that changes one recipient's copy of
-- a room message, as a third-party module might. For a message whose body mentions
-- "one copy changed", the session with resource "changed" gets an extra child and an extra
-- attribute; for every other session both are taken off again. With commonroom's fan-out
-- module every copy is the same stanza object, so this checks that its serialize-once path
-- sends each copy as it is when sent, never an earlier serialization.
local st = require "util.stanza";
local jid_split = require "util.jid".split;

local xmlns_test = "urn:commonroom:test:one-copy";

module:hook("message/full", function(event)
	local stanza = event.stanza;
	if stanza.attr.type ~= "groupchat" then return; end
	local body = stanza:get_child_text("body");
	if not body or not body:find("one copy changed", 1, true) then return; end
	stanza:maptags(function(tag)
		if tag.attr.xmlns == xmlns_test then return nil; end
		return tag;
	end);
	stanza.attr.changed = nil;
	local _, _, resource = jid_split(stanza.attr.to);
	if resource == "changed" then
		stanza:add_direct_child(st.stanza("changed", { xmlns = xmlns_test }));
		stanza.attr.changed = "yes";
	end
end, 10);
