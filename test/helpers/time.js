'use strict';
// Time helpers for TTL tests. The cache stamps expiries with CLOCK_MONOTONIC
// milliseconds (src/core/table.cc NowMs); process.hrtime uses the same clock
// on Linux, and that clock is system-wide, so a time read here is comparable
// with an expiry computed by any process. Waits are bounded polls: they end
// when the condition holds and fail loudly after a generous limit.

/** CLOCK_MONOTONIC in whole milliseconds (floor), like the native NowMs(). */
function nowMs() {
  return Number(process.hrtime.bigint() / 1000000n);
}

const tick = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Resolves once nowMs() >= targetMs. Rejects if that takes more than
 * (targetMs - start) + slackMs, which only happens if timers stall badly.
 */
async function waitUntilMs(targetMs, { slackMs = 30000, stepMs = 5 } = {}) {
  const limit = Math.max(targetMs, nowMs()) + slackMs;
  for (;;) {
    const now = nowMs();
    if (now >= targetMs) return now;
    if (now > limit) throw new Error(`waitUntilMs(${targetMs}) overran by ${now - targetMs} ms`);
    await tick(Math.min(stepMs, Math.max(1, targetMs - now)));
  }
}

/**
 * Waits until an entry written with `ttl` ms no later than `writtenAtMs`
 * (a nowMs() taken after the write returned) must have expired: the native
 * expiry is <= writtenAtMs + ttl, and the native clock reads >= nowMs().
 */
function waitPastExpiry(writtenAtMs, ttl, opts) {
  return waitUntilMs(writtenAtMs + ttl + 2, opts);
}

/** Polls pred() every stepMs until it returns truthy; rejects after timeoutMs. */
async function waitFor(pred, { timeoutMs = 30000, stepMs = 5, what = 'condition' } = {}) {
  const deadline = nowMs() + timeoutMs;
  for (;;) {
    const v = await pred();
    if (v) return v;
    if (nowMs() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await tick(stepMs);
  }
}

module.exports = { nowMs, tick, waitUntilMs, waitPastExpiry, waitFor };
