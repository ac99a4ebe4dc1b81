/**
 * Whether each key exists, in the order of KEYS: {1|0, ...}. A key past its PX has expired and counts as
 * absent, even before Redis reclaims it.
 */
export const DEDUP_SEEN_SCRIPT = `
local seen = {}
for i, key in ipairs(KEYS) do
  seen[i] = redis.call('EXISTS', key)
end
return seen
`;

/**
 * Stores every key of KEYS as `1` for ARGV[1] milliseconds, each with its own expiry, so Redis forgets
 * each id by itself once its window has passed. Returns how many keys it set.
 */
export const DEDUP_REMEMBER_SCRIPT = `
local window = ARGV[1]
for _, key in ipairs(KEYS) do
  redis.call('SET', key, '1', 'PX', window)
end
return #KEYS
`;
