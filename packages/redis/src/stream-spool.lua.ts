// The Redis Streams spool's atomic steps. Keys, in every script: the spool stream, its byte count, the
// quarantine stream and its byte count (see stream-spool.ts for the layout). One script is one atomic step
// on the server, so a fleet of relays sharing the keys never sees a half-done store, acknowledgement or move.

/**
 * Stores one batch: evicts quarantined entries, oldest first, while the batch would take the spool over its
 * cap, then adds it. ARGV: batch JSON, its byte length, the cap. Returns {0} when it does not fit even with
 * the quarantine empty, else {1, id, evicted id, evicted bytes, ...}.
 */
export const STORE_SCRIPT = `
local size = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
local quarantined = tonumber(redis.call('GET', KEYS[4]) or '0')
local reply = {1, ''}
while used + quarantined + size > cap and quarantined > 0 do
  local oldest = redis.call('XRANGE', KEYS[3], '-', '+', 'COUNT', 1)
  if #oldest == 0 then
    redis.call('SET', KEYS[4], 0)
    quarantined = 0
  else
    local id = oldest[1][1]
    local fields = oldest[1][2]
    local bytes = 0
    for i = 1, #fields, 2 do
      if fields[i] == 'bytes' then bytes = tonumber(fields[i + 1]) end
    end
    redis.call('XDEL', KEYS[3], id)
    redis.call('DECRBY', KEYS[4], bytes)
    quarantined = quarantined - bytes
    table.insert(reply, id)
    table.insert(reply, bytes)
  end
end
if used + quarantined + size > cap then return {0} end
reply[2] = redis.call('XADD', KEYS[1], '*', 'batch', ARGV[1], 'bytes', size)
redis.call('INCRBY', KEYS[2], size)
return reply
`;

/**
 * A batch the upstream took: acknowledged, removed, its bytes released, and the fleet's failure count and
 * probe cleared (the upstream answers again). KEYS: stream, its byte count, failures, probe. ARGV: group,
 * entry id, bytes. Returns 1, or 0 when the entry was no longer pending (pruned meanwhile).
 */
export const ACK_SCRIPT = `
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if acked == 1 then
  redis.call('XDEL', KEYS[1], ARGV[2])
  redis.call('DECRBY', KEYS[2], ARGV[3])
end
redis.call('DEL', KEYS[3], KEYS[4])
return acked
`;

/**
 * A batch the upstream refused for good: moved to the quarantine stream with the reason. ARGV: group,
 * entry id, bytes, batch JSON, reason, status ('' when none). Returns 1, or 0 when it was no longer pending.
 */
export const QUARANTINE_SCRIPT = `
local acked = redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
if acked == 1 then
  redis.call('XDEL', KEYS[1], ARGV[2])
  redis.call('DECRBY', KEYS[2], ARGV[3])
  redis.call('XADD', KEYS[3], '*', 'entry', ARGV[2], 'batch', ARGV[4], 'bytes', ARGV[3], 'reason', ARGV[5], 'status', ARGV[6])
  redis.call('INCRBY', KEYS[4], ARGV[3])
end
return acked
`;

/**
 * Takes back an entry this consumer holds, resetting its idle time, only if it still holds it: another
 * relay may have taken it over after the lease. ARGV: group, consumer, entry id. Returns 1 or 0.
 */
export const RECLAIM_SCRIPT = `
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[3], ARGV[3], 1)
if #pending == 0 or pending[1][2] ~= ARGV[2] then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[2], 0, ARGV[3], 'JUSTID')
return 1
`;

/**
 * The fleet's gate before sending, and on the common path the read of new entries in the same round trip.
 * KEYS: pause, failures, probe, stream. ARGV: consumer, lease ms, group, concurrency, entries this consumer
 * has in flight, 1 to read new entries. While the upstream is paused nobody sends: {wait ms, 0, 0}. After
 * failures only the consumer that holds the probe sends, one entry (the others get {0, 0, 0}). Otherwise
 * {0, limit, room, entries}: limit -1 (no limit but the consumer's own) or 1 (probing), room what is free.
 */
export const TAKE_SCRIPT = `
local wait = redis.call('PTTL', KEYS[1])
if wait > 0 then return {wait, 0, 0} end
local limit = -1
local failures = tonumber(redis.call('GET', KEYS[2]) or '0')
if failures > 0 then
  local holder = redis.call('GET', KEYS[3])
  if holder == ARGV[1] or redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2]) then
    limit = 1
  else
    return {0, 0, 0}
  end
end
local room = (limit < 0 and tonumber(ARGV[4]) or limit) - tonumber(ARGV[5])
if room <= 0 or ARGV[6] ~= '1' then return {0, limit, room} end
local read = redis.call('XREADGROUP', 'GROUP', ARGV[3], ARGV[1], 'COUNT', room, 'STREAMS', KEYS[4], '>')
return {0, limit, room, read}
`;

/**
 * A transient failure, counted once per round: the first relay to fail while the fleet is not paused adds
 * one to the failure count and pauses the fleet at once for ARGV[1] ms (the shortest backoff), so failures
 * of requests already in flight do not count again. KEYS: failures, pause. ARGV: shortest pause ms, how
 * long the count lives. Returns the count, and 1 when this call counted.
 */
export const FAIL_SCRIPT = `
if redis.call('PTTL', KEYS[2]) > 0 then
  return {tonumber(redis.call('GET', KEYS[1]) or '1'), 0}
end
local failures = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[1])
return {failures, 1}
`;

/**
 * Sets the fleet's pause to ARGV[1] ms unless it is already paused for longer, and hands the probe back if
 * this consumer held it. KEYS: pause, probe. ARGV: ms, consumer.
 */
export const PAUSE_SCRIPT = `
local wait = tonumber(ARGV[1])
if redis.call('PTTL', KEYS[1]) < wait then redis.call('SET', KEYS[1], '1', 'PX', wait) end
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
return wait
`;

/** Hands the probe back if this consumer holds it (it had nothing to send, or its probe was answered). KEYS: probe. ARGV: consumer. */
export const RELEASE_PROBE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Drops a consumer's name from the group only if it holds nothing: `XGROUP DELCONSUMER` discards what a
 * consumer holds, so the check and the removal are one step. KEYS: stream. ARGV: group, consumer.
 */
export const FORGET_CONSUMER_SCRIPT = `
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) > 0 then return 0 end
return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2])
`;

/**
 * Retention: removes entries older than a cutoff id from a stream and releases their bytes. KEYS: stream,
 * its byte count. ARGV: cutoff id (exclusive), most entries, group ('' for the quarantine). Returns the
 * removed ids and bytes, flattened.
 */
export const PRUNE_SCRIPT = `
local old = redis.call('XRANGE', KEYS[1], '-', '(' .. ARGV[1], 'COUNT', tonumber(ARGV[2]))
local reply = {}
for _, entry in ipairs(old) do
  local bytes = 0
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'bytes' then bytes = tonumber(fields[i + 1]) end
  end
  if ARGV[3] ~= '' then redis.call('XACK', KEYS[1], ARGV[3], entry[1]) end
  redis.call('XDEL', KEYS[1], entry[1])
  redis.call('DECRBY', KEYS[2], bytes)
  table.insert(reply, entry[1])
  table.insert(reply, bytes)
end
return reply
`;
