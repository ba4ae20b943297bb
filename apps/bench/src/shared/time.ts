/** Waiting, with bounds: every benchmark step is limited in time. */

/** Resolves after `ms`. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)))

/**
 * Milliseconds on the machine's monotonic clock, which every process reads
 * alike: for times sent from one process to another. (`performance.timeOrigin`
 * differs between processes by up to ~0.1 ms, as much as the latencies measured.)
 */
export const machineNow = () => Number(process.hrtime.bigint()) / 1e6

/** `promise`, or a rejection naming `what` once `ms` have passed. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: timed out after ${(ms / 1_000).toFixed(0)} s`)), ms)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

/** Resolves once `done()` holds, checking every `everyMs` (the loop keeps doing I/O meanwhile). */
export async function waitUntil(done: () => boolean, everyMs = 1): Promise<void> {
  while (!done()) await sleep(everyMs)
}

/**
 * Polls `read` until it reaches `target`, or stops changing for `idleMs`, or
 * `maxMs` pass; returns the last value read.
 */
export async function settle(
  read: () => Promise<number>,
  target: number,
  { idleMs = 2_000, maxMs = 15_000, everyMs = 100 } = {},
): Promise<number> {
  const startedAt = performance.now()
  let last = Number.NaN
  let changedAt = startedAt
  for (;;) {
    const value = await read()
    const now = performance.now()
    if (value !== last) {
      last = value
      changedAt = now
    }
    if (value >= target || now - changedAt > idleMs || now - startedAt > maxMs) return value
    await sleep(everyMs)
  }
}

/** The message of `error`, for reports. */
export const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error))
