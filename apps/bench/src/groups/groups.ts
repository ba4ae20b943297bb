/**
 * Groups across processes: three hub processes with two workers each in the
 * group `workers`, and a caller process. First, ask throughput through the
 * group (least-loaded, the default) against asks to the same workers by
 * address in turn, at the same concurrency; then, with one worker slow
 * (20 ms a job, the others 1 ms), latency and the slow worker's share of the
 * jobs under 'round-robin' and 'least-loaded'.
 */
import { type Child, startChild, stopAll } from '../shared/child.js'
import { recordFigures } from '../shared/figures.js'
import { type LatencySummary, mergeAll, summarize } from '../shared/histogram.js'
import {
  envNumber,
  formatMs,
  formatRate,
  formatRatio,
  medianOf,
  perSecond,
  printTable,
  ratioOf,
} from '../shared/stats.js'
import { describeMachine, loadAverage } from '../shared/system.js'
import { errorText, withTimeout } from '../shared/time.js'
import type { GroupCallerHandlers } from './callerChild.js'
import type { Route } from './protocol.js'
import { WORKERS_PER_HUB } from './protocol.js'
import type { GroupHubHandlers } from './workerHubChild.js'

const HUBS = ['h1', 'h2', 'h3']
const WORKERS = HUBS.length * WORKERS_PER_HUB
const SLOW_WORKER = 'w1@h1'
const STEP_MS = 30_000

/** One route's figures at one concurrency, over every round. */
interface RouteFigures {
  route: Route
  concurrency: number
  /** Median of the rounds' rates. */
  asksPerSecond: number
  latency: LatencySummary
  byWorker: Record<string, number>
  failures: number
  firstFailure: string | null
}

interface Processes {
  hubs: Child<GroupHubHandlers>[]
  caller: Child<GroupCallerHandlers>
}

async function startProcesses(): Promise<Processes> {
  const hubs = HUBS.map((id) =>
    startChild<GroupHubHandlers>({
      module: new URL('./workerHubChild.ts', import.meta.url),
      name: `hub ${id}`,
    }),
  )
  const caller = startChild<GroupCallerHandlers>({
    module: new URL('./callerChild.ts', import.meta.url),
    name: 'caller',
  })
  try {
    const urls: string[] = []
    for (const [i, hub] of hubs.entries()) {
      urls.push((await withTimeout(hub.call('start', HUBS[i]!, urls.slice()), STEP_MS, `hub ${HUBS[i]}`)).url)
    }
    await withTimeout(caller.call('start', [urls[0]!], HUBS, WORKERS), STEP_MS, 'the caller joining')
    await withTimeout(
      Promise.all(hubs.map((hub) => hub.call('waitForMembers', [...HUBS, 'caller']))),
      STEP_MS,
      'the hubs seeing each other',
    )
  } catch (error) {
    await stopAll([caller, ...hubs])
    throw error
  }
  return { hubs, caller }
}

/** Runs every route in `routes` at `concurrency`, `rounds` times in turn, and sums up each. */
async function compare(
  { caller }: Processes,
  routes: readonly Route[],
  concurrency: number,
  rounds: number,
  seconds: number,
): Promise<RouteFigures[]> {
  const runs = new Map<Route, Awaited<ReturnType<GroupCallerHandlers['closedLoops']>>[]>()
  for (let round = 0; round < rounds; round++) {
    for (const route of routes) {
      const run = await withTimeout(
        caller.call('closedLoops', route, concurrency, seconds),
        seconds * 1_000 + 60_000,
        `${route} × ${concurrency}`,
      )
      runs.set(route, [...(runs.get(route) ?? []), run])
    }
  }
  return routes.map((route) => {
    const all = runs.get(route)!
    const byWorker: Record<string, number> = {}
    for (const run of all)
      for (const [worker, n] of Object.entries(run.byWorker)) byWorker[worker] = (byWorker[worker] ?? 0) + n
    return {
      route,
      concurrency,
      asksPerSecond: medianOf(all.map((run) => perSecond(run.done, run.ms))),
      latency: summarize(mergeAll(all.map((run) => run.latency))),
      byWorker,
      failures: all.reduce((sum, run) => sum + run.failures, 0),
      firstFailure: all.find((run) => run.firstFailure !== null)?.firstFailure ?? null,
    }
  })
}

const jobsOf = (f: RouteFigures) => Object.values(f.byWorker).reduce((sum, n) => sum + n, 0)

function printThroughput(figures: RouteFigures[]): void {
  console.log(
    `\n### Ask throughput to ${WORKERS} workers on ${HUBS.length} hubs: group vs direct (same concurrency)\n`,
  )
  const rows = [
    [
      'callers',
      'direct (in turn)',
      'group (least-loaded)',
      'group/direct',
      'direct p50/p99 ms',
      'group p50/p99 ms',
      'failed',
    ],
  ]
  for (const concurrency of [...new Set(figures.map((f) => f.concurrency))]) {
    const direct = figures.find((f) => f.concurrency === concurrency && f.route === 'direct')!
    const group = figures.find((f) => f.concurrency === concurrency && f.route === 'group:least-loaded')!
    rows.push([
      String(concurrency),
      formatRate(direct.asksPerSecond),
      formatRate(group.asksPerSecond),
      formatRatio(ratioOf(group.asksPerSecond, direct.asksPerSecond)),
      `${formatMs(direct.latency.p50)} / ${formatMs(direct.latency.p99)}`,
      `${formatMs(group.latency.p50)} / ${formatMs(group.latency.p99)}`,
      String(direct.failures + group.failures),
    ])
  }
  printTable(rows)
}

function printSlowWorker(figures: RouteFigures[], slowMs: number, fastMs: number): void {
  console.log(
    `\n### One slow worker (${SLOW_WORKER}: ${slowMs} ms a job, the other ${WORKERS - 1}: ${fastMs} ms), ${figures[0]?.concurrency} callers\n`,
  )
  const rows = [['strategy', 'asks/s', 'p50 ms', 'p99 ms', 'max ms', 'jobs', 'slow worker got', 'failed']]
  for (const f of figures) {
    const jobs = jobsOf(f)
    const slow = f.byWorker[SLOW_WORKER] ?? 0
    rows.push([
      f.route.replace('group:', ''),
      formatRate(f.asksPerSecond),
      formatMs(f.latency.p50),
      formatMs(f.latency.p99),
      formatMs(f.latency.max),
      jobs.toLocaleString(),
      `${slow.toLocaleString()} (${((slow / Math.max(1, jobs)) * 100).toFixed(1)} %)`,
      String(f.failures),
    ])
  }
  printTable(rows)
}

/**
 * Runs the groups benchmark and prints its tables. Environment:
 * `GROUPS_SECONDS` (per run, default 3), `GROUPS_ROUNDS` (the routes take
 * turns this many times, default 2), `GROUPS_CONCURRENCY` (default 16),
 * `GROUPS_SLOW_MS` (default 20), `GROUPS_FAST_MS` (default 1),
 * `GROUPS_SLOW_CONCURRENCY` (default 12).
 */
export async function benchGroups(): Promise<void> {
  const seconds = envNumber('GROUPS_SECONDS', 3)
  const rounds = envNumber('GROUPS_ROUNDS', 2)
  const concurrency = envNumber('GROUPS_CONCURRENCY', 16)
  const slowMs = envNumber('GROUPS_SLOW_MS', 20)
  const fastMs = envNumber('GROUPS_FAST_MS', 1)
  const slowConcurrency = envNumber('GROUPS_SLOW_CONCURRENCY', 12)
  console.log(
    `\n## Groups: ${WORKERS} workers on ${HUBS.length} hub processes, asked from a caller process\n`,
  )
  console.log(describeMachine())
  console.log(`not pinned: ${HUBS.length + 1} busy processes; workers answer \`{ by, job }\``)
  const loadAtStart = loadAverage()
  const errors: string[] = []
  const throughput: RouteFigures[] = []
  let slow: RouteFigures[] = []
  let processes: Processes | undefined
  try {
    processes = await startProcesses()
    // warm up both routes before measuring
    await compare(processes, ['direct', 'group:least-loaded'], concurrency, 1, 1)
    for (const callers of [1, concurrency])
      throughput.push(
        ...(await compare(processes, ['direct', 'group:least-loaded'], callers, rounds, seconds)),
      )
    const delays = Object.fromEntries(
      HUBS.flatMap((hub) =>
        Array.from({ length: WORKERS_PER_HUB }, (_, i) => `w${i + 1}@${hub}`).map((worker) => [
          worker,
          worker === SLOW_WORKER ? slowMs : fastMs,
        ]),
      ),
    )
    await Promise.all(processes.hubs.map((hub) => hub.call('setDelays', delays)))
    slow = await compare(
      processes,
      ['group:round-robin', 'group:least-loaded'],
      slowConcurrency,
      rounds,
      seconds,
    )
  } catch (error) {
    errors.push(errorText(error))
  } finally {
    if (processes !== undefined) await stopAll([processes.caller, ...processes.hubs])
  }
  if (throughput.length > 0) printThroughput(throughput)
  if (slow.length > 0) printSlowWorker(slow, slowMs, fastMs)
  const loadAtEnd = loadAverage()
  console.log(`\nload average (1 min): start ${loadAtStart.toFixed(2)}, end ${loadAtEnd.toFixed(2)}`)
  for (const error of errors) console.log(`\ndid not complete: ${error}`)
  recordFigures('groups', {
    workers: WORKERS,
    hubs: HUBS.length,
    throughput,
    slowWorker: { worker: SLOW_WORKER, slowMs, fastMs, runs: slow },
    loadAverage: { start: loadAtStart, end: loadAtEnd },
    errors,
  })
}
