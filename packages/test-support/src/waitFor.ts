/** Options of {@link waitFor}. */
export interface WaitForOptions {
  /** How long to wait before failing. @default 10_000 */
  timeoutMs?: number
  /** Pause between two checks. @default 50 */
  intervalMs?: number
  /**
   * What is awaited, for the error on timeout; a function is called then, so it
   * can describe the state at that moment. @default 'condition'
   */
  what?: string | (() => string | Promise<string>)
}

/**
 * Checks `condition` until it holds, then resolves; rejects with an error
 * naming `what` once `timeoutMs` has passed. For tests that must wait on
 * another process or socket: wait for the state itself, never for a guessed
 * number of milliseconds.
 *
 * @example
 * ```ts
 * await waitFor(() => hub.members().some((m) => m.id === 'b' && m.status === 'up'), {
 *   what: 'b joins the hub',
 * })
 * ```
 */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  options: WaitForOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 10_000
  const intervalMs = options.intervalMs ?? 50
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() >= deadline) {
      const what = typeof options.what === 'function' ? await options.what() : (options.what ?? 'condition')
      throw new Error(`${what}: not within ${timeoutMs} ms`)
    }
    await sleep(Math.min(intervalMs, Math.max(0, deadline - Date.now())))
  }
}

/**
 * Resolves after `ms`. Only for pacing a producer or for keeping a window open
 * in which something must NOT happen; to wait for something to happen, use
 * {@link waitFor}.
 */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))
