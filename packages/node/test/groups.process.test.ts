/**
 * Groups over real processes: three hub processes each hold two workers of the
 * group `workers`; this test process is a fourth hub that asks the group. The
 * workers of h3 hold every job (they never answer in time), so asks are in
 * flight to h3 when it is SIGKILLed: group asks fail over to the workers left
 * and none fails, and an askAll that was waiting on h3 reports its two workers
 * as NODE_DOWN once the failure detector declares h3 down, not at its timeout.
 */
import { createNode, isTroupeError, type Node, type TroupeError } from '@troupe/node'
import { type StartedNodeWorker, startNodeWorker, waitFor } from '@troupe/test-support'
import { afterEach, describe, expect, it } from 'vitest'

const GROUP = 'workers'
/** What the workers of h3 take per job: far longer than any test, so their jobs are in flight at the kill. */
const HELD_MS = 120_000

interface Answer {
  by: string
  job: string
}

const cleanups: Array<() => unknown> = []
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
})

/** h1 and h2 answer after `fastMs`, h3 holds every job; `caller` is a hub in this process. */
async function cluster(fastMs: number): Promise<{ hubs: StartedNodeWorker[]; caller: Node }> {
  const hubs: StartedNodeWorker[] = []
  for (const id of ['h1', 'h2', 'h3']) {
    const seeds = hubs.length === 0 ? [] : [hubs[0]!.url]
    const hub = await startNodeWorker(id, { listen: { host: '127.0.0.1', port: 0 }, seeds })
    cleanups.push(() => hub.kill())
    await hub.request({
      cmd: 'spawnGroupMembers',
      group: GROUP,
      names: ['w1', 'w2'],
      holdMs: id === 'h3' ? HELD_MS : fastMs,
    })
    hubs.push(hub)
  }
  const caller = await createNode({
    id: 'caller',
    listen: { host: '127.0.0.1', port: 0 },
    seeds: [hubs[0]!.url],
  })
  cleanups.push(() => caller.close())
  const workers = caller.group(GROUP)
  await waitFor(() => workers.members().length === 6, {
    what: () => `the caller sees 6 workers (it sees ${workers.members().map(String).join(', ')})`,
  })
  return { hubs, caller }
}

/** Jobs that reached the workers of `hub`, as it reported them. */
const jobsAt = (hub: StartedNodeWorker, job?: string): string[] =>
  hub.events
    .filter((e) => e.event === 'job' && (job === undefined || e.job === job))
    .map((e) => String(e.job))

describe('groups across processes', () => {
  it('keep answering every ask while a worker hub is SIGKILLed: asks in flight to it fail over', async () => {
    const { hubs, caller } = await cluster(5)
    const h3 = hubs[2]!
    const workers = caller.group<{ job: string }, Answer>(GROUP)
    const answers: Answer[] = []
    const failures: unknown[] = []
    let sent = 0
    let stop = false
    const loop = async (loopId: number) => {
      for (let i = 0; !stop; i++) {
        const job = `${loopId}-${i}`
        sent++
        try {
          answers.push(await workers.ask({ job }, { timeoutMs: 30_000 }))
        } catch (error) {
          failures.push(error)
        }
      }
    }
    // six loops against six idle workers: the first picks go to every worker in turn, h3's two included
    const loops = [0, 1, 2, 3, 4, 5].map(loop)
    await waitFor(() => jobsAt(h3).length >= 2, { what: 'h3 holds two jobs' })
    const heldByH3 = jobsAt(h3)
    await h3.kill('SIGKILL')
    // every job h3 held is answered by a worker still up, and work goes on after that
    await waitFor(() => heldByH3.every((job) => answers.some((a) => a.job === job)), {
      timeoutMs: 20_000,
      what: () => `the jobs h3 held (${heldByH3.join(', ')}) are answered elsewhere`,
    })
    const answeredAtFailover = answers.length
    await waitFor(() => answers.length >= answeredAtFailover + 100, { what: '100 more answers' })
    stop = true
    await Promise.all(loops)

    expect(failures).toEqual([])
    expect(answers).toHaveLength(sent)
    expect(new Set(answers.map((a) => a.job)).size).toBe(sent)
    for (const job of heldByH3) {
      const answer = answers.find((a) => a.job === job)!
      expect(answer.by).not.toMatch(/@h3$/)
    }
    expect(answers.some((a) => a.by.endsWith('@h3'))).toBe(false)
    await waitFor(() => workers.members().length === 4, { what: "h3's workers leave the group" })
    expect(
      workers
        .members()
        .map(String)
        .every((m) => !m.endsWith('@h3')),
    ).toBe(true)
  }, 60_000)

  it('askAll reports the members of a SIGKILLed hub as NODE_DOWN well before its timeout', async () => {
    const { hubs, caller } = await cluster(0)
    const h3 = hubs[2]!
    const workers = caller.group<{ job: string }, Answer>(GROUP)
    const timeoutMs = 30_000
    const startedAt = Date.now()
    const gathering = workers.askAll({ job: 'all' }, { timeoutMs })
    // both workers of h3 hold the job: their answers can only be failures now
    await waitFor(() => jobsAt(h3, 'all').length === 2, { what: 'the workers of h3 have the job' })
    await h3.kill('SIGKILL')
    const { replies, failures } = await gathering
    const tookMs = Date.now() - startedAt

    expect(replies.map((r) => r.from.address).sort()).toEqual(['w1@h1', 'w1@h2', 'w2@h1', 'w2@h2'])
    expect(replies.every((r) => r.value.job === 'all')).toBe(true)
    expect(failures.map((f) => f.from.address).sort()).toEqual(['w1@h3', 'w2@h3'])
    for (const { error } of failures) {
      expect(isTroupeError(error, 'NODE_DOWN'), `${(error as TroupeError).code}: ${error.message}`).toBe(true)
    }
    // down within the failure detector's bound, a small fraction of the ask's timeout
    expect(tookMs).toBeLessThan(timeoutMs / 3)
    console.log(`askAll with a member hub SIGKILLed: NODE_DOWN after ${tookMs} ms (timeout ${timeoutMs} ms)`)
  }, 60_000)
})
