import { serveInspector } from '@troupe/inspector/serve'
import { createNode, type Node } from '@troupe/node'
import { address, BOARD_ACTOR, HUB_ID } from '../src/protocol.js'
import { boardBehavior, memberGone, type PersistedBoard } from './boardActor.js'
import { createSnapshotStore } from './store.js'

/** Options of {@link startBoardHub}. */
export interface BoardHubOptions {
  /** Where the board is kept (`board.json`). */
  dataDir: string
  /** @default '127.0.0.1' */
  host?: string
  /** @default 9101 */
  port?: number
  /** The URL tabs should dial to reach this hub, when it is not the listener's (behind a proxy). */
  advertiseUrl?: string
  /** The hub's node id; the tabs address `board@<id>`. @default 'hub' */
  id?: string
  /** Quiet time after a change before the board is written. @default 150 */
  saveDebounceMs?: number
  /** @default console.log with a `[hub]` prefix */
  log?: (line: string) => void
}

export interface BoardHub {
  readonly node: Node
  readonly url: string
  /** The board file. */
  readonly path: string
  /** Leaves the cluster (tabs see `member-left`) and writes what is not written yet. Idempotent. */
  close(): Promise<void>
}

/**
 * The board's hub: a `@troupe/node` node listening for tabs, with the
 * `board` actor (the board, kept in a JSON snapshot file) and the inspector
 * actor `troupe.inspector` (the hub's members and figures, for the panel).
 */
export async function startBoardHub(options: BoardHubOptions): Promise<BoardHub> {
  const { dataDir, host = '127.0.0.1', port = 9101, id = HUB_ID } = options
  const log = options.log ?? ((line: string) => console.log(`[hub] ${line}`))
  const store = createSnapshotStore<PersistedBoard>({
    dir: dataDir,
    debounceMs: options.saveDebounceMs ?? 150,
    maxWaitMs: Math.max(1_000, options.saveDebounceMs ?? 0),
    onError: (error) => log(`could not write the board: ${String(error)}`),
  })
  const initial = await store.load()
  // tabs hold board updates for a minute; the hub holds messages for tabs (relayed cursors) as long
  const node = await createNode({
    id,
    listen: { host, port },
    // GET /metrics beside /healthz and /readyz on the hub's port (a local demo: nothing to keep private)
    metrics: true,
    holdTtlMs: 60_000,
    ...(options.advertiseUrl === undefined ? {} : { advertiseUrl: options.advertiseUrl }),
  })
  // spawned right after createNode, before any other await: nothing sent to them is missed
  node.spawn(BOARD_ACTOR, boardBehavior({ initial, store, log }))
  // what the tabs' cluster panel shows of the hub (the board has no authorize: every tab may ask)
  serveInspector(node)
  const board = address(BOARD_ACTOR, id)
  node.on('member-up', (m) => log(`${m.role} ${m.id} is up`))
  node.on('member-down', (m) => {
    log(`${m.role} ${m.id} is down`)
    node.send(board, memberGone(m.id))
  })
  node.on('member-left', (m) => {
    log(`${m.role} ${m.id} left`)
    node.send(board, memberGone(m.id))
  })
  node.on('actor-error', (e) => log(`${e.address} failed: ${String(e.error)} (${e.action})`))

  let closing: Promise<void> | undefined
  return {
    node,
    url: node.url ?? `ws://${host}:${port}`,
    path: store.path,
    close() {
      closing ??= (async () => {
        await node.close()
        await store.close()
      })()
      return closing
    },
  }
}
