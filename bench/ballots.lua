-- ballots.lua - wrk script of `bench/run ballots`: POSTs the pre-signed
-- ballots of the file given after `--` (one request body a line, from
-- `primary_bench ballots`), each line once: thread t of T sends lines
-- t, t + T, t + 2T, ... Counts the 201s (durable: the server answers
-- only after its group commit) and everything else; when a thread has
-- sent all its lines it asks /healthz, which is not counted.
--   wrk -t2 -c64 -d5s -s bench/ballots.lua URL -- FILE SLUG
local threads = {}
local counter = 0
local bodies = {}
local i = 0
local path, headers
created, refused = 0, 0

function setup(thread)
	counter = counter + 1
	thread:set("tid", counter - 1)
	table.insert(threads, thread)
end

function init(args)
	local n = 0
	local nthreads = tonumber(args[3])
	for line in io.lines(args[1]) do
		if n % nthreads == tid then
			bodies[#bodies + 1] = line
		end
		n = n + 1
	end
	path = "/api/v1/primaries/" .. args[2] .. "/ballots"
	headers = {["Content-Type"] = "application/json"}
end

function request()
	i = i + 1
	if i > #bodies then
		return wrk.format("GET", "/healthz")
	end
	return wrk.format("POST", path, headers, bodies[i])
end

function response(status, hdrs, body)
	if status == 201 then
		created = created + 1
	elseif status ~= 200 then
		refused = refused + 1
	end
end

function done(summary, latency, requests)
	local c, r = 0, 0
	for _, t in ipairs(threads) do
		c = c + t:get("created")
		r = r + t:get("refused")
	end
	io.write(string.format("ballots: %d created, %d refused in %.3f s: " ..
		"%.0f durable ballots/s\n", c, r, summary.duration / 1e6,
		c / (summary.duration / 1e6)))
end
