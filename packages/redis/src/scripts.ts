import type { ChainableCommander, Cluster, Redis } from 'ioredis';

/*
 * Lua scripts, each defined on the client with ioredis `defineCommand`: ioredis sends EVAL the
 * first time a connection runs a script and EVALSHA after that (and EVAL again after NOSCRIPT),
 * so every call is one command and one round trip. KEYS[1] is the session key and KEYS[2] its
 * tombstone, which share a hash slot (see keys.ts), so the scripts run on a Redis Cluster too.
 * Arguments are chunked through `unpack` in 512s, below Lua's C stack limit, and a client sends
 * them as one array (never spread into a call), so a change of any size is one command.
 */

/** The hash field that marks a session as existing even when it has no keys left; `''` is never a session key. */
export const MARKER_FIELD = '';

// Shared by both patch scripts: a missing session with a live tombstone was destroyed, so a late
// patch from a request that loaded it earlier must not bring it back.
const REFUSE_IF_DESTROYED = `
if redis.call('EXISTS', KEYS[1]) == 0 and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end`;

/** ARGV: ttlMs, then field, value pairs. Replaces the whole hash and clears the tombstone. */
const HASH_SET = `
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], '${MARKER_FIELD}', '1')
for i = 2, #ARGV, 512 do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 511, #ARGV)))
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

/**
 * ARGV: ttlMs, maxBytes, n (number of field/value arguments), n field/value arguments, then fields
 * to remove.
 *
 * Before writing, the size of the session as it would be after the patch is computed the way
 * `JSON.stringify` would encode it (`{"key":value,...}` in UTF-8: HSTRLEN of each kept field,
 * the new values, each key's JSON length), and a patch over maxBytes is refused with
 * SESSIONKIT_TOO_LARGE and writes nothing: maxSessionBytes bounds the whole stored session, not
 * each write. A patch that only removes fields skips the count.
 */
const HASH_PATCH = String.raw`${REFUSE_IF_DESTROYED}
local last = tonumber(ARGV[3]) + 3
if last > 3 then
  -- UTF-8 length of JSON.stringify(key): quotes, then \" \\ \b \t \n \f \r take 2 bytes, other C0 controls 6
  local function keylen(key)
    local _, short = string.gsub(key, '["\\\8\9\10\12\13]', '')
    local _, long = string.gsub(key, '[%z\1-\7\11\14-\31]', '')
    return #key + 2 + short + 5 * long
  end
  local touched = {}
  local size, count = 2, 0
  for i = 4, last, 2 do
    touched[ARGV[i]] = true
    size = size + keylen(ARGV[i]) + 1 + #ARGV[i + 1]
    count = count + 1
  end
  for i = last + 1, #ARGV do touched[ARGV[i]] = true end
  for _, field in ipairs(redis.call('HKEYS', KEYS[1])) do
    if field ~= '${MARKER_FIELD}' and not touched[field] then
      size = size + keylen(field) + 1 + redis.call('HSTRLEN', KEYS[1], field)
      count = count + 1
    end
  end
  if count > 1 then size = size + count - 1 end
  if size > tonumber(ARGV[2]) then return redis.error_reply('SESSIONKIT_TOO_LARGE ' .. size) end
end
-- the marker goes with the first 254 fields in one HSET; more fields follow in chunks of 256
redis.call('HSET', KEYS[1], '${MARKER_FIELD}', '1', unpack(ARGV, 4, math.min(511, last)))
for i = 512, last, 512 do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 511, last)))
end
for i = last + 1, #ARGV, 512 do
  redis.call('HDEL', KEYS[1], unpack(ARGV, i, math.min(i + 511, #ARGV)))
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

/** ARGV: ttlMs, JSON text. connect-redis's layout: one string, written with SET … PX. */
const JSON_SET = `
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
return 1`;

/**
 * ARGV: ttlMs, maxBytes, n (number of keys set), n pairs of (key, member text '"key":value'),
 * then keys to remove.
 *
 * The merge splices JSON text instead of decoding with cjson: cjson would turn [] into {}, round
 * numbers to 14 digits and re-escape strings. The walker below only finds where each top-level
 * member of the stored object starts and ends (tracking strings and nesting), decodes just the
 * member names, and keeps the untouched members byte for byte.
 */
const JSON_PATCH = `
local stored = redis.call('GET', KEYS[1])
if not stored and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
local n = tonumber(ARGV[3])
local replaced = {}
for i = 4, 3 + 2 * n, 2 do replaced[ARGV[i]] = true end
for i = 4 + 2 * n, #ARGV do replaced[ARGV[i]] = true end

local function string_end(text, i)
  local j = i + 1
  while true do
    j = string.find(text, '["\\\\]', j)
    if not j then error('unterminated string') end
    if string.byte(text, j) == 92 then j = j + 2 else return j end
  end
end

local members = {}
if stored then
  local ok, reason = pcall(function()
    local pos = string.find(stored, '%S')
    if not pos or string.byte(stored, pos) ~= 123 then error('not a JSON object') end
    pos = string.find(stored, '%S', pos + 1)
    if pos and string.byte(stored, pos) == 125 then pos = nil end
    while pos do
      if string.byte(stored, pos) ~= 34 then error('expected a member name at byte ' .. pos) end
      local name_end = string_end(stored, pos)
      local name = cjson.decode(string.sub(stored, pos, name_end))
      local colon = string.find(stored, '%S', name_end + 1)
      if not colon or string.byte(stored, colon) ~= 58 then error('expected : at byte ' .. name_end) end
      local depth, i, c = 0, colon + 1, nil
      while true do
        i = string.find(stored, '["{}%[%],]', i)
        if not i then error('unterminated object') end
        c = string.byte(stored, i)
        if c == 34 then i = string_end(stored, i)
        elseif c == 123 or c == 91 then depth = depth + 1
        elseif depth > 0 and (c == 125 or c == 93) then depth = depth - 1
        elseif depth == 0 and (c == 44 or c == 125) then break
        elseif depth == 0 then error('unbalanced ] at byte ' .. i)
        end
        i = i + 1
      end
      if not replaced[name] then members[#members + 1] = string.sub(stored, pos, i - 1) end
      if c == 125 then
        pos = nil
      else
        pos = string.find(stored, '%S', i + 1)
        if not pos then error('unterminated object') end
      end
    end
  end)
  if not ok then return redis.error_reply('SESSIONKIT_DECODE ' .. tostring(reason)) end
end
for i = 5, 4 + 2 * n, 2 do members[#members + 1] = ARGV[i] end
local text = '{' .. table.concat(members, ',') .. '}'
if #text > tonumber(ARGV[2]) then return redis.error_reply('SESSIONKIT_TOO_LARGE ' .. #text) end
redis.call('SET', KEYS[1], text, 'PX', ARGV[1])
return 1`;

/** ARGV: tombstoneTtlMs. Deletes the session and leaves a tombstone that refuses late patches. */
const DESTROY = `
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return 1`;

export const SCRIPTS = {
  sessionkitHashSet: HASH_SET,
  sessionkitHashPatch: HASH_PATCH,
  sessionkitJsonSet: JSON_SET,
  sessionkitJsonPatch: JSON_PATCH,
  sessionkitDestroy: DESTROY,
} as const;

export type ScriptName = keyof typeof SCRIPTS;
export type ScriptArgs = (string | number)[];

/** A client or pipeline with the scripts defined: `name(key, tombstone, argv)` (ioredis flattens the array). */
export type Scripted<T> = T &
  Record<
    ScriptName,
    (key: string, tombstone: string, argv: ScriptArgs) => T extends ChainableCommander ? T : Promise<unknown>
  >;

/**
 * Defines the scripts on `client` (names prefixed `sessionkit` to stay clear of the user's own
 * commands); defining them again, e.g. for a second store on the same client, is harmless.
 */
export function defineScripts(client: Redis | Cluster): void {
  for (const [name, lua] of Object.entries(SCRIPTS)) client.defineCommand(name, { numberOfKeys: 2, lua });
}
