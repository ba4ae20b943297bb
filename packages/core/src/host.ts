/**
 * The few host globals core uses, present in every browser and in Node.js.
 * Core's tsconfig has no DOM or Node types, so they are declared here, in the
 * one module that reads them.
 * @internal
 */
interface HostGlobals {
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
  queueMicrotask(fn: () => void): void
  performance: { now(): number }
  crypto: { getRandomValues<T extends Uint32Array>(array: T): T }
  setImmediate?: (fn: () => void) => unknown
  MessageChannel?: new () => {
    port1: { onmessage: (() => void) | null }
    port2: { postMessage(value: unknown): void }
  }
}

const host = globalThis as unknown as HostGlobals

/** @internal */
export const hostSetTimeout = (fn: () => void, ms: number): unknown => host.setTimeout(fn, ms)
/** @internal */
export const hostClearTimeout = (handle: unknown): void => host.clearTimeout(handle)
/** @internal */
export const hostNow = (): number => host.performance.now()
// filled 512 words at a time: one call to the generator per id cost an ask about 1.4 µs in Node
let randomPool = new Uint32Array(0)
let randomNext = 0
const randomWord = (): number => {
  if (randomNext === randomPool.length) {
    randomPool = host.crypto.getRandomValues(new Uint32Array(512))
    randomNext = 0
  }
  return randomPool[randomNext++]!
}
/** A random integer in [1, 2^53), from the platform's cryptographic generator: not guessable. @internal */
export const randomId = (): number => (randomWord() >>> 11) * 2 ** 32 + randomWord() || 1
/** A random integer in [1, 2^30), from the same generator: a small integer to V8. @internal */
export const randomSmallId = (): number => randomWord() >>> 2 || 1
/** @internal */
export const queueMicrotask = (fn: () => void): void => host.queueMicrotask(fn)

/**
 * Runs `fn` in a later macrotask, letting I/O and timers run first. Used when an
 * actor has used its turn, so a busy actor cannot starve the host's event loop.
 * @internal
 */
export const yieldToHost: (fn: () => void) => void = makeYield()

function makeYield(): (fn: () => void) => void {
  const { setImmediate, MessageChannel } = host
  if (setImmediate) return (fn) => void setImmediate(fn)
  if (MessageChannel) {
    const waiting: Array<() => void> = []
    const channel = new MessageChannel()
    channel.port1.onmessage = () => waiting.shift()?.()
    return (fn) => {
      waiting.push(fn)
      channel.port2.postMessage(null)
    }
  }
  return (fn) => void host.setTimeout(fn, 0)
}

/**
 * Last resort for an error nobody listens for: it is printed, never swallowed.
 * @internal
 */
export const reportUnhandled = (text: string, error: unknown): void =>
  (globalThis as unknown as { console: { error(...args: unknown[]): void } }).console.error(text, error)
