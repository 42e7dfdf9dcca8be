-- web_mix.lua - wrk script of `bench/run web`'s mixed load: replays the
-- paths of the file given after `--` (one a line, from web_paths.py), each
-- thread from its own offset, round and round.
--   wrk -t2 -c64 -d20s -s bench/web_mix.lua URL -- PATHS
local paths = {}
local i = 0
local counter = 0

function setup(thread)
	counter = counter + 1
	thread:set("offset", counter * 997)
end

function init(args)
	for line in io.lines(args[1]) do
		paths[#paths + 1] = line
	end
	i = (offset or 0) % #paths
end

function request()
	i = i % #paths + 1
	return wrk.format("GET", paths[i])
end
