/**
 * The caller process of the groups benchmark: a listening Troupe node asking
 * the workers in closed loops, through the group or each by address in turn.
 */
import { createNode, type Node } from '@troupe/node'
import { untilReady } from '../endpoints/troupeEndpoint.js'
import { serveCalls } from '../shared/childServer.js'
import { createHistogram } from '../shared/histogram.js'
import { errorText, sleep } from '../shared/time.js'
import { GROUP, type Job, type JobReply, type Route } from './protocol.js'

const ASK_TIMEOUT_MS = 10_000

let node: Node | undefined
let nextJob = 0

const started = () => {
  if (node === undefined) throw new Error('group caller: "start" first')
  return node
}

/** The ask of one job along `route`; a direct route takes the workers in turn. */
function asker(route: Route): (job: Job) => Promise<JobReply> {
  const caller = started()
  if (route === 'direct') {
    const workers = caller
      .group(GROUP)
      .members()
      .map((ref) => ref.address)
    let turn = 0
    return (job) =>
      caller.ask(workers[turn++ % workers.length]!, job, { timeoutMs: ASK_TIMEOUT_MS }) as Promise<JobReply>
  }
  const strategy = route === 'group:round-robin' ? 'round-robin' : 'least-loaded'
  const group = caller.group<Job, JobReply>(GROUP, { strategy })
  return (job) => group.ask(job, { timeoutMs: ASK_TIMEOUT_MS })
}

const handlers = {
  ready: () => true,

  /** Starts the caller joining through `seeds`; waits until `hubs` are up and the group has `members`. */
  async start(seeds: string[], hubs: string[], members: number): Promise<void> {
    node = await createNode({ id: 'caller', listen: { host: '127.0.0.1', port: 0 }, seeds })
    await untilReady(node, hubs)
    while (node.group(GROUP).members().length < members) await sleep(10)
  },

  /** `concurrency` closed loops of asks along `route` for `seconds`: rate, latency, and who did the jobs. */
  async closedLoops(route: Route, concurrency: number, seconds: number) {
    const ask = asker(route)
    const latency = createHistogram()
    const byWorker: Record<string, number> = {}
    let done = 0
    let failures = 0
    let firstFailure: string | null = null
    const start = performance.now()
    const end = start + seconds * 1_000
    const loop = async () => {
      while (performance.now() < end) {
        const sentAt = performance.now()
        try {
          const { by } = await ask({ job: nextJob++ })
          latency.record(performance.now() - sentAt)
          byWorker[by] = (byWorker[by] ?? 0) + 1
          done++
        } catch (error) {
          failures++
          firstFailure ??= errorText(error)
        }
      }
    }
    await Promise.all(Array.from({ length: concurrency }, loop))
    return {
      done,
      ms: performance.now() - start,
      latency: latency.toJSON(),
      byWorker,
      failures,
      firstFailure,
    }
  },

  async close(): Promise<void> {
    await node?.close()
    node = undefined
  },
}

/** The calls the group caller answers. */
export type GroupCallerHandlers = typeof handlers

serveCalls(handlers)
