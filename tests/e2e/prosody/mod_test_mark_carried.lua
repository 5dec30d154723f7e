-- Test only (tests/e2e/test_directory_search.py): what a handler on the client's host sees of
-- an answer that commonroom's module carries (decision 0084), and what the client then gets.
-- For an iq result to a session with resource "marked" it adds
--   <seen xmlns='urn:commonroom:test:carried' children='N'/>
-- N being how many children the handler saw: 0 for a carried answer, whose content is the
-- text that crossed the link. Adding a child makes the module parse that content first, so
-- the session must get the whole answer and the mark after it.
local st = require "util.stanza";
local jid_split = require "util.jid".split;

module:hook("iq/full", function(event)
	local stanza = event.stanza;
	if stanza.attr.type ~= "result" then return; end
	local _, _, resource = jid_split(stanza.attr.to);
	if resource ~= "marked" then return; end
	local seen = #stanza;
	stanza:add_direct_child(st.stanza("seen", {
		xmlns = "urn:commonroom:test:carried", children = tostring(seen) }));
end, 10);
