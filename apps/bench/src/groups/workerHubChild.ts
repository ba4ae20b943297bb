/**
 * A hub process of the groups benchmark: a listening Troupe node with two
 * workers in the group `workers`. A worker answers `{ by, job }` after the
 * delay the driver set for it (none at first), handling one job at a time.
 */
import { createNode, type Node } from '@troupe/node'
import { untilReady } from '../endpoints/troupeEndpoint.js'
import { serveCalls } from '../shared/childServer.js'
import { GROUP, type Job, type JobReply, WORKERS_PER_HUB } from './protocol.js'

let node: Node | undefined
/** Milliseconds each worker takes per job, by address; absent: it answers at once. */
let delays: Record<string, number> = {}

const started = () => {
  if (node === undefined) throw new Error('group hub: "start" first')
  return node
}

const handlers = {
  ready: () => true,

  /** Starts hub `id` joining through `seeds`, with its workers in the group. */
  async start(id: string, seeds: string[]): Promise<{ url: string }> {
    node = await createNode({ id, listen: { host: '127.0.0.1', port: 0 }, seeds })
    for (let i = 1; i <= WORKERS_PER_HUB; i++) {
      const by = `w${i}@${id}`
      node.spawn<Job, JobReply>(`w${i}`, {
        started: (ctx) => ctx.join(GROUP),
        async receive(job, ctx) {
          const ms = delays[by] ?? 0
          if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms))
          ctx.reply({ by, job: job.job })
        },
      })
    }
    return { url: node.url! }
  },

  waitForMembers: (ids: string[]) => untilReady(started(), ids),

  /** Sets how long each worker takes per job (by address; the others answer at once). */
  setDelays(perWorker: Record<string, number>): void {
    delays = { ...perWorker }
  },

  deadLetters: () =>
    Object.fromEntries(Object.entries(started().metrics().deadLetters).filter(([, n]) => n > 0)),

  async close(): Promise<void> {
    await node?.close()
    node = undefined
  },
}

/** The calls a group hub answers. */
export type GroupHubHandlers = typeof handlers

serveCalls(handlers)
