import { createNode, type DeadLetter, type Member, type Node, type NodeOptions } from '@troupe/core'
import {
  createMemoryNetwork,
  createRandom,
  createTestClock,
  type MemoryNetwork,
  type TestClock,
} from '@troupe/core/testing'

/** A cluster on the in-memory network with a manual clock: deterministic for a given seed. */
export interface MemoryCluster {
  clock: TestClock
  net: MemoryNetwork
  nodes: Map<string, Node>
  /** Starts node `id` joining through `seeds` (node ids). */
  start(id: string, seeds?: string[], options?: Partial<NodeOptions>): Promise<Node>
  /** Node `id`'s process dies: its connections drop, it can no longer dial or listen. */
  kill(id: string): void
  /** Moves the clock forward in steps, so timers and deliveries interleave as they would. */
  run(ms: number, step?: number): Promise<void>
  closeAll(): Promise<void>
}

export function memoryCluster(seed = 1): MemoryCluster {
  const clock = createTestClock()
  const net = createMemoryNetwork({ clock, seed })
  const random = createRandom(seed)
  const nodes = new Map<string, Node>()
  return {
    clock,
    net,
    nodes,
    async start(id, seeds = [], options = {}) {
      const node = await createNode({
        id,
        clock,
        transport: net.transport(id),
        seeds: seeds.map((s) => `mem://${s}`),
        random: () => random.next(),
        ...options,
      })
      nodes.set(id, node)
      return node
    },
    kill(id) {
      net.kill(id)
      const node = nodes.get(id)
      nodes.delete(id)
      // the dead process's timers stop with it; its sends can no longer reach anyone
      void node?.close()
    },
    async run(ms, step = 50) {
      for (let t = 0; t < ms; t += step) await clock.advance(Math.min(step, ms - t))
    },
    async closeAll() {
      const closing = [...nodes.values()].map((node) => node.close())
      // close waits (on the clock) for peers to acknowledge; keep the clock moving meanwhile
      let done = false
      const all = Promise.all(closing).then(() => {
        done = true
      })
      while (!done) await clock.advance(50)
      await all
      nodes.clear()
    },
  }
}

/** Records a node's membership events as "event id" strings. */
export function memberEvents(node: Node): string[] {
  const events: string[] = []
  for (const event of ['member-up', 'member-down', 'member-left'] as const) {
    node.on(event, (member: Member) => events.push(`${event} ${member.id}`))
  }
  return events
}

export function deadLetters(node: Node): DeadLetter[] {
  const letters: DeadLetter[] = []
  node.on('deadletter', (letter) => letters.push(letter))
  return letters
}

/** An actor that records every number it receives. */
export function recorder(node: Node, name = 'log'): number[] {
  const seen: number[] = []
  node.spawn<number>(name, { receive: (n) => void seen.push(n) })
  return seen
}

export const statusOf = (node: Node, id: string) => node.members().find((m) => m.id === id)?.status

/** Runs the clock until every promise has settled (or `maxMs` of clock time passed), then awaits them. */
export async function settled<T>(
  c: MemoryCluster,
  promises: Array<Promise<T>>,
  maxMs = 10_000,
): Promise<T[]> {
  let pending = promises.length
  for (const promise of promises)
    void promise.then(
      () => pending--,
      () => pending--,
    )
  for (let waited = 0; pending > 0 && waited < maxMs; waited += 50) await c.run(50, 10)
  return Promise.all(promises)
}
