-- wrk-bodies.lua: wrk's requests for bench/decide.sh (WRK=1): each a POST
-- of a body drawn at random from the file $WRK_BODIES (one JSON body a
-- line), with the headers of $WRK_HEADERS ("Name: value" pairs separated
-- by "|"). Every request is formatted once, in init, as the Go generator
-- makes its requests once before the run.
local reqs = {}

function init(args)
  local headers = {["Content-Type"] = "application/json"}
  for h in string.gmatch(os.getenv("WRK_HEADERS") or "", "[^|]+") do
    local k, v = string.match(h, "^%s*([^:]+):%s*(.-)%s*$")
    if k then headers[k] = v end
  end
  for line in io.lines(os.getenv("WRK_BODIES")) do
    if #line > 0 then reqs[#reqs + 1] = wrk.format("POST", nil, headers, line) end
  end
end

function request()
  return reqs[math.random(#reqs)]
end
