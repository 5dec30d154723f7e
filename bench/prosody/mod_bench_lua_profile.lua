-- Benchmark-only Lua profiler for Prosody (bench/muc_e2e.py --lua-profile): counts Lua VM
-- instructions in samples of 1000, by function, on the main thread and in every coroutine
-- (Prosody handles each session's stanzas in its own). Never for production.
-- The counts are written to <data_path>/lua-profile.txt every quarter second while they
-- change.
module:set_global();

local interval = 1000;
local counts, samples = {}, 0;
local getinfo = debug.getinfo;

local function hook()
	local info = getinfo(2, "S");
	local key = info and (info.short_src .. ":" .. (info.linedefined or 0)) or "?";
	counts[key] = (counts[key] or 0) + 1;
	samples = samples + 1;
end

-- Sessions' coroutines may predate the hook or copy a thread's that has none: hook each one
-- as it is resumed (util.async looks coroutine.resume up at every call).
local resume, gethook, sethook = coroutine.resume, debug.gethook, debug.sethook;
coroutine.resume = function(co, ...)
	if gethook(co) ~= hook then sethook(co, hook, "", interval); end
	return resume(co, ...);
end

local path = prosody.paths.data .. "/lua-profile.txt";
local written = -1;
module:add_timer(0.25, function()
	-- Timers run on the main thread: hook it, and util.async gives every coroutine it
	-- creates afterwards (one per session) the main thread's hook.
	debug.sethook(hook, "", interval);
	if samples ~= written then
		written = samples;
		local rows = {};
		for k, v in pairs(counts) do rows[#rows + 1] = { k, v }; end
		table.sort(rows, function(a, b) return a[2] > b[2]; end);
		local f = io.open(path, "w");
		if f then
			f:write(("instructions_per_sample %d samples %d\n"):format(interval, samples));
			for _, r in ipairs(rows) do f:write(("%d\t%s\n"):format(r[2], r[1])); end
			f:close();
		end
	end
	return 0.25;
end);
