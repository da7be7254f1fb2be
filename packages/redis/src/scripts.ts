import type { ChainableCommander, Cluster, Redis } from 'ioredis';

/*
 * Lua scripts, each defined on the client with ioredis `defineCommand`: ioredis sends EVAL the
 * first time a connection runs a script and EVALSHA after that (and EVAL again after NOSCRIPT),
 * so every call is one command and one round trip. KEYS[1] is the session key and KEYS[2] its
 * tombstone, which share a hash slot (see keys.ts), so the scripts run on a Redis Cluster too.
 * Arguments are chunked through `unpack` in 512s, below Lua's C stack limit, and a client sends
 * them as one array (never spread into a call), so a change of any size is one command.
 */

/**
 * The hash field that marks a session as existing even when it has no keys left; `''` is never a
 * session key. Its value names the principal the session is filed under: `=<principal id>`, or
 * `1` for an anonymous session (and for sessions written before the principal index).
 */
export const MARKER_FIELD = '';

/**
 * Principal index of the hash layout: a set per principal (members: sids), kept by the same
 * script as the session when ARGV[3], the set key prefix, is given (standalone Redis, Sentinel, a
 * Cluster whose prefix has a hash tag); with ARGV[3] = '' the script leaves the sets alone and
 * returns the principal it found, and the store updates the set with separate commands (a Cluster
 * without a hash tag: the set is on another slot). A set's TTL is raised to cover each member it
 * is given (PTTL, then PEXPIRE only when longer), so it outlives no member by more than the
 * longest one: it never lives forever. Every hash script returns { status, previous principal or '' }.
 */
const INDEX = `
local function principal_in(marker)
  if type(marker) == 'string' and string.sub(marker, 1, 1) == '=' then return string.sub(marker, 2) end
  return false
end
local function filed()
  -- pcall: a key of another type (a session of the JSON layout) is filed nowhere, and set replaces it
  return principal_in(redis.pcall('HGET', KEYS[1], '${MARKER_FIELD}'))
end
local function marker_of(principal)
  if principal then return '=' .. principal end
  return '1'
end
local function cover(principal, ttl)
  if ARGV[3] == '' or not principal then return end
  local set = ARGV[3] .. principal
  if redis.call('PTTL', set) < tonumber(ttl) then redis.call('PEXPIRE', set, ttl) end
end
local function refile(old, new, ttl)
  if ARGV[3] == '' then return end
  if old and old ~= new then redis.call('SREM', ARGV[3] .. old, ARGV[2]) end
  if new then
    if old ~= new then redis.call('SADD', ARGV[3] .. new, ARGV[2]) end
    cover(new, ttl)
  end
end`;

/**
 * ARGV: ttlMs, sid, index set prefix, principal ('' anonymous), then field, value pairs. Replaces
 * the whole hash, clears the tombstone and files the session under its principal.
 */
const HASH_SET = `${INDEX}
local existed = redis.call('EXISTS', KEYS[1])
local old = filed()
local new = ARGV[4] ~= '' and ARGV[4] or false
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('HSET', KEYS[1], '${MARKER_FIELD}', marker_of(new))
for i = 5, #ARGV, 512 do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 511, #ARGV)))
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
refile(old, new, ARGV[1])
return {1, old or '', existed}`;

/**
 * ARGV: ttlMs, sid, index set prefix, maxBytes, principal mode, principal, g (number of guarded
 * fields), g pairs (field, the text it must still hold, '' for absent), n (number of field/value
 * arguments), n field/value arguments, then fields to remove.
 *
 * Principal mode `keep`: the change touches none of the keys the principal is read from, so the
 * session stays filed where it is. `set`: it is filed under the principal given ('' anonymous),
 * which the store computed from the change and the guarded fields; when a guarded field no longer
 * holds what the store read, nothing is written and the script returns -1 (the store reads again).
 *
 * Before writing, the size of the session as it would be after the patch is computed the way
 * `JSON.stringify` would encode it (`{"key":value,...}` in UTF-8: HSTRLEN of each kept field,
 * the new values, each key's JSON length), and a patch over maxBytes is refused with
 * SESSIONKIT_TOO_LARGE and writes nothing: maxSessionBytes bounds the whole stored session, not
 * each write. A patch that only removes fields skips the count.
 */
const HASH_PATCH = String.raw`${INDEX}
-- The marker is read once, before anything is written: it says where the session is filed and,
-- since every hash this store writes has one, that it exists (EXISTS only for a hash without it).
local marker = redis.pcall('HGET', KEYS[1], '${MARKER_FIELD}')
local existed = marker and 1 or redis.call('EXISTS', KEYS[1])
if existed == 0 and redis.call('EXISTS', KEYS[2]) == 1 then return {0, ''} end
local g = tonumber(ARGV[7])
for i = 8, 7 + 2 * g, 2 do
  local held = redis.call('HGET', KEYS[1], ARGV[i]) or ''
  if held ~= ARGV[i + 1] then return {-1, ''} end
end
local base = 8 + 2 * g
local first = base + 1
local last = tonumber(ARGV[base]) + base
if last > base then
  -- UTF-8 length of JSON.stringify(key): quotes, then \" \\ \b \t \n \f \r take 2 bytes, other C0 controls 6
  local function keylen(key)
    -- most keys need no escape: one scan for any control character, quote or backslash
    if not string.find(key, '[%c"\\]') then return #key + 2 end
    local _, short = string.gsub(key, '["\\\8\9\10\12\13]', '')
    local _, long = string.gsub(key, '[%z\1-\7\11\14-\31]', '')
    return #key + 2 + short + 5 * long
  end
  local touched = {}
  local size, count = 2, 0
  for i = first, last, 2 do
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
  if size > tonumber(ARGV[4]) then return redis.error_reply('SESSIONKIT_TOO_LARGE ' .. size) end
end
local old = principal_in(marker)
local new = old
if ARGV[5] == 'set' then new = ARGV[6] ~= '' and ARGV[6] or false end
-- the marker goes with the first fields in one HSET; more fields follow in chunks of 512 arguments
redis.call('HSET', KEYS[1], '${MARKER_FIELD}', marker_of(new), unpack(ARGV, first, math.min(first + 509, last)))
for i = first + 510, last, 512 do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 511, last)))
end
for i = last + 1, #ARGV, 512 do
  redis.call('HDEL', KEYS[1], unpack(ARGV, i, math.min(i + 511, #ARGV)))
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
refile(old, new, ARGV[1])
return {1, old or '', existed}`;

/** ARGV: ttlMs, JSON text. connect-redis's layout: one string, written with SET … PX. */
const JSON_SET = `
local existed = redis.call('EXISTS', KEYS[1])
redis.call('DEL', KEYS[2])
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[1])
return {1, existed}`;

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
if not stored and redis.call('EXISTS', KEYS[2]) == 1 then return {0, 0} end
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
return {1, stored and 1 or 0}`;

/**
 * ARGV: tombstoneTtlMs. Deletes the session and leaves a tombstone that refuses late patches.
 * Returns { 1 when a session was deleted, its JSON text (for the principal of `destroyed`) }.
 */
const DESTROY = `
local text = redis.call('GET', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
if text then return {1, text} end
return {0, ''}`;

/**
 * ARGV: tombstoneTtlMs, sid, index set prefix, principal. The hash layout's destroy: deletes the
 * session, leaves the tombstone and takes the sid out of its principal's set. With a principal
 * given (destroyByPrincipal) only a session filed under it is destroyed. Returns { 1 when a
 * session was deleted, else 0; its principal or '' }.
 */
const HASH_DESTROY = `${INDEX}
local old = filed()
if ARGV[4] ~= '' and old ~= ARGV[4] then return {0, ''} end
local existed = redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
if old and ARGV[3] ~= '' then redis.call('SREM', ARGV[3] .. old, ARGV[2]) end
return {existed, old or ''}`;

/** ARGV: ttlMs, sid, index set prefix. Extends a live session (never creates one) and the set it is filed in. */
const HASH_TOUCH = `${INDEX}
if redis.call('PEXPIRE', KEYS[1], ARGV[1]) == 0 then return {0, ''} end
local principal = filed()
cover(principal, ARGV[1])
return {1, principal or ''}`;

/**
 * KEYS[1] (and KEYS[2], the same key): the set of one principal. ARGV: session key prefix,
 * principal. The sids of live sessions still filed under it; members whose session expired or
 * moved to another user are removed from the set on the way (the lazy pruning of the index).
 * Same-slot case only: the sessions are read from the script.
 */
const MEMBERS = `
local live = {}
local filed = '=' .. ARGV[2]
for _, sid in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if redis.pcall('HGET', ARGV[1] .. sid, '${MARKER_FIELD}') == filed then live[#live + 1] = sid
  else redis.call('SREM', KEYS[1], sid) end
end
return live`;

/**
 * KEYS[1] (and KEYS[2], the same key): the set of one principal, on a Cluster where it is on
 * another slot than its sessions. ARGV: ttlMs, sid. Adds the sid and raises the set's TTL to
 * cover it (never lowers it, never removes it).
 */
const FILE = `
redis.call('SADD', KEYS[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return 1`;

export const SCRIPTS = {
  sessionkitHashSet: HASH_SET,
  sessionkitHashPatch: HASH_PATCH,
  sessionkitJsonSet: JSON_SET,
  sessionkitJsonPatch: JSON_PATCH,
  sessionkitDestroy: DESTROY,
  sessionkitHashDestroy: HASH_DESTROY,
  sessionkitHashTouch: HASH_TOUCH,
  sessionkitMembers: MEMBERS,
  sessionkitFile: FILE,
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
