/**
 * The hub side of the Troupe inspector: an actor that answers tabs' asks with
 * a bounded view of the hub. Platform-free: it runs wherever a node does.
 *
 * @packageDocumentation
 */
import type { ActorRef, Node } from '@troupe/core'
import { type DeadLetterLog, watchDeadLetters } from './deadLetterLog.js'
import { INSPECTOR_ACTOR, type InspectorRequest, type NodeView } from './protocol.js'
import { DEFAULT_ROWS, MAX_FOCUS, type Readable, readNode } from './readNode.js'

export type { DeadLetterRow, LinkRow, MemberRow, Rows, StreamRow } from './protocol.js'
export { INSPECTOR_ACTOR, type InspectorRequest, type NodeView } from './protocol.js'

/** Options of {@link serveInspector}. */
export interface ServeInspectorOptions {
  /** The actor's name. @default 'troupe.inspector' */
  name?: string
  /** Most rows of members, links and destinations in one answer, whatever a tab asks for. @default 200 */
  maxRows?: number
  /** Dead letters kept to show. @default 20 */
  recentDeadLetters?: number
  /**
   * How long one reading of the node's members and metrics serves the asks
   * that come meanwhile: with many tabs asking every second, the hub walks its
   * member table once per this, not once per ask. @default 500
   */
  cacheMs?: number
}

/**
 * Spawns the inspector actor on `node` (a hub, usually): it answers every
 * message with a {@link NodeView} of the node, bounded to `maxRows` rows of
 * each kind, the hubs and the asking tab's `focus` ids first. Stop it with
 * `node.stop(ref)`.
 *
 * It shows the hub's members, links and traffic to whoever can ask it: the
 * hub's `authorize` decides who may (a message to `troupe.inspector@<hub>`).
 *
 * @example
 * ```ts
 * import { createNode } from '@troupe/node'
 * import { INSPECTOR_ACTOR, serveInspector } from '@troupe/inspector/serve'
 *
 * const operators = new Set(['alice'])
 * const hub = await createNode({
 *   id: 'hub',
 *   listen: { port: 9101 },
 *   // only operators may ask the inspector
 *   authorize: ({ principal, type, to }) =>
 *     type !== 'message' || to !== `${INSPECTOR_ACTOR}@hub` || operators.has(principal ?? ''),
 * })
 * serveInspector(hub)
 * ```
 */
export function serveInspector(
  node: Node,
  options: ServeInspectorOptions = {},
): ActorRef<InspectorRequest, NodeView> {
  const maxRows = Math.max(1, Math.floor(options.maxRows ?? 200))
  const capacity = options.recentDeadLetters ?? 20
  const source = cachedReadings(node, options.cacheMs ?? 500)
  let log: DeadLetterLog | undefined
  return node.spawn<InspectorRequest, NodeView>(options.name ?? INSPECTOR_ACTOR, {
    started() {
      log = watchDeadLetters(node, capacity)
    },
    stopped() {
      log?.stop()
    },
    receive(message, ctx) {
      const request = readRequest(message)
      source.refresh()
      ctx.reply(
        readNode(source, {
          at: source.readAt,
          focus: request.focus,
          limit: Math.min(request.limit ?? DEFAULT_ROWS, maxRows),
          deadLetters: log?.rows() ?? [],
        }),
      )
    },
  })
}

/** The request's fields that are well formed; anything else is left to the defaults. */
function readRequest(message: unknown): { focus: string[]; limit: number | undefined } {
  const fields = typeof message === 'object' && message !== null ? (message as Record<string, unknown>) : {}
  const focus = Array.isArray(fields.focus)
    ? fields.focus.filter((id): id is string => typeof id === 'string' && id.length <= 64).slice(0, MAX_FOCUS)
    : []
  const limit =
    typeof fields.limit === 'number' && Number.isSafeInteger(fields.limit) && fields.limit > 0
      ? fields.limit
      : undefined
  return { focus, limit }
}

/** `node`, with `members()` and `metrics()` read at most once per `ms` (both walk every member and link). */
function cachedReadings(node: Node, ms: number): Readable & { refresh(): void; readonly readAt: number } {
  let readAt = Number.NEGATIVE_INFINITY
  let members: ReturnType<Node['members']> = []
  let metrics: ReturnType<Node['metrics']> | undefined
  const refresh = (): void => {
    const now = Date.now()
    if (metrics !== undefined && now - readAt < ms) return
    readAt = now
    members = node.members()
    metrics = node.metrics()
  }
  return {
    refresh,
    get readAt() {
      return readAt
    },
    get id() {
      return node.id
    },
    get connectionState() {
      return node.connectionState
    },
    members() {
      refresh()
      return members
    },
    metrics() {
      refresh()
      return metrics!
    },
  }
}
