import {
  type NodeOptions as CoreNodeOptions,
  createNode as createCoreNode,
  type Node,
  type Protocol,
  TroupeError,
  type Untyped,
} from '@troupe/core'
import { nodeControls } from '@troupe/core/internal'
import { watchLifecycle } from './lifecycle.js'
import { createWsTransport } from './wsTransport.js'

/**
 * Options of the browser {@link createNode}: core's, without what a tab cannot
 * choose (it is always a client, dialing through its own transport), and with
 * `seeds` required.
 */
export interface BrowserNodeOptions
  extends Omit<CoreNodeOptions, 'transport' | 'role' | 'advertiseUrl' | 'seeds'> {
  /**
   * `ws://` or `wss://` URLs of the hubs this tab may dial; at least one. The
   * tab keeps one hub link and fails over to the next seed (or any hub it has
   * learned of) when its hub is gone.
   */
  seeds: readonly string[]
}

/** Options of the browser `createNode` (the same as {@link BrowserNodeOptions}). */
export type NodeOptions = BrowserNodeOptions

/**
 * Starts a node in a browser tab (or worker): a client that dials one of its
 * `seeds` over WebSocket and reaches every other node through the hubs.
 *
 * The node follows the page: it stops dialing while the browser is offline,
 * slows its heartbeats while the page is hidden or frozen, and redials at once
 * when the page comes back (shown, resumed, restored from the back/forward
 * cache, or back online). `node.connectionState` and the `'connection'`
 * event tell the UI where the tab stands (`ConnectionState`: linked to a
 * hub, dialing, offline, or refused by the hubs). `close()` (or `await using`)
 * leaves the cluster and stops watching the page.
 *
 * Like core's, it resolves before any inbound message is handed to a mailbox:
 * actors spawned right after `await createNode(...)` (before any other
 * `await`) receive the messages held for this tab while it was away. It
 * rejects with `BAD_ARGUMENT` when `seeds` is empty or holds something other
 * than a `ws://`/`wss://` URL.
 *
 * @example
 * ```ts
 * import { createNode } from '@troupe/browser'
 *
 * const tab = await createNode({
 *   seeds: ['wss://hub1.example.com', 'wss://hub2.example.com'],
 *   token: () => fetch('/troupe-token').then((r) => r.text()), // called at every dial
 * })
 * tab.on('connection', (state) => { statusBadge.textContent = state })
 * tab.spawn('presence', { receive(msg, ctx) { console.log(ctx.sender, msg) } })
 * tab.send('board@hub1', { op: 'add' })
 * addEventListener('pagehide', () => void tab.close())
 * ```
 */
export async function createNode<P extends Protocol = Untyped>(
  options: BrowserNodeOptions,
): Promise<Node<P>> {
  assertSeeds(options?.seeds)
  const transport = createWsTransport({ maxFrameBytes: options.maxFrameBytes })
  const node = await createCoreNode<P>({ ...options, role: 'client', advertiseUrl: undefined, transport })
  let stopWatching: () => void
  try {
    stopWatching = watchLifecycle(nodeControls(node))
  } catch (error) {
    await node.close()
    throw error
  }
  const closeNode = node.close.bind(node)
  // the watcher goes first: a page event during the close must not start a new dial
  const close = (): Promise<void> => {
    stopWatching()
    return closeNode()
  }
  Object.assign(node, { close })
  // browsers without explicit resource management have no Symbol.asyncDispose
  if (typeof Symbol.asyncDispose === 'symbol') Object.assign(node, { [Symbol.asyncDispose]: close })
  return node
}

function assertSeeds(seeds: unknown): void {
  if (!Array.isArray(seeds) || seeds.length === 0) {
    throw new TroupeError(
      'BAD_ARGUMENT',
      `bad seeds ${describe(seeds)}: a browser node needs at least one hub URL (ws:// or wss://) to dial`,
    )
  }
  for (const seed of seeds) {
    if (!isWebSocketUrl(seed)) {
      throw new TroupeError('BAD_ARGUMENT', `bad seed ${describe(seed)}: expected a ws:// or wss:// URL`)
    }
  }
}

function isWebSocketUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false
  try {
    const { protocol } = new URL(value)
    return protocol === 'ws:' || protocol === 'wss:'
  } catch {
    return false
  }
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value)
  } catch {
    return String(value)
  }
}
