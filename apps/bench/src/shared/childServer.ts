/**
 * The child's side of `startChild`: answers the driver's calls with the
 * given handlers, reports crashes, and exits when the driver goes away.
 */
import type { AnswerMessage, CallMessage, Handlers } from './child.js'

const errorText = (error: unknown) =>
  error instanceof Error ? (error.stack ?? error.message) : String(error)

/**
 * Serves `handlers` to the driver until it disconnects, then exits.
 *
 * @example
 * const handlers = { ping: () => 'pong' }
 * export type PingHandlers = typeof handlers
 * serveCalls(handlers)
 */
export function serveCalls(handlers: Handlers): void {
  const answer = (message: AnswerMessage) => {
    if (process.connected) process.send?.(message)
  }
  process.on('message', (call: CallMessage) => {
    const handler = handlers[call.method]
    if (handler === undefined) {
      answer({ id: call.id, ok: false, error: `no method "${call.method}"` })
      return
    }
    Promise.resolve()
      .then(() => handler(...call.args))
      .then(
        (value) => answer({ id: call.id, ok: true, value }),
        (error: unknown) => answer({ id: call.id, ok: false, error: errorText(error) }),
      )
  })
  const crash = (error: unknown) => {
    if (process.connected) {
      process.send?.({ id: -1, ok: false, error: errorText(error) }, () => process.exit(1))
      return
    }
    // nobody to tell over IPC (the driver disconnected): say it where a person can see it
    console.error(`child process crashed: ${errorText(error)}`)
    process.exit(1)
  }
  process.on('uncaughtException', crash)
  process.on('unhandledRejection', crash)
  // the driver is gone (done, crashed or killed): nobody will call again
  process.on('disconnect', () => process.exit(0))
}
