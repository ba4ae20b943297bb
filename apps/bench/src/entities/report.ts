/** The tables of the entity benchmark. */
import type { EntityMetrics } from '@troupe/node'
import type { LatencySummary } from '../shared/histogram.js'
import { formatMs, formatRate, formatRatio, printTable, printTarget, ratioOf } from '../shared/stats.js'
import type { StorageTimes } from './cluster.js'
import type { FailoverFigures } from './failover.js'
import type { ActivationFigures, ThroughputRow } from './latencyAndThroughput.js'
import type { RebalanceFigures } from './rebalance.js'
import type { StorageEngineName } from './storageSpec.js'

/** The value below which `p` percent of `values` lie (nearest rank); NaN when empty. */
export function percentileOf(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!
}

const latencyCells = (l: LatencySummary) => [
  l.count.toLocaleString(),
  ...[l.p50, l.p90, l.p99, l.max].map(formatMs),
]

/** First (activating) messages against active ones, per storage. */
export function printActivation(figures: Partial<Record<StorageEngineName, ActivationFigures>>): void {
  console.log('\n### First message to a new key vs to an active key (ms; one ask at a time, `inc`)\n')
  const rows = [['storage', 'message', 'asks', 'p50', 'p90', 'p99', 'max']]
  for (const [storage, f] of Object.entries(figures)) {
    rows.push([storage, 'first (activates the entity)', ...latencyCells(f.first)])
    rows.push([storage, 'to the active entity', ...latencyCells(f.active)])
    rows.push([storage, 'plain actor on the same hub', ...latencyCells(f.plain)])
  }
  printTable(rows)
}

/** Entities against plain actors, per storage and concurrency, with the ratio of their rates. */
export function printThroughput(figures: Partial<Record<StorageEngineName, ThroughputRow[]>>): void {
  console.log('\n### Ask throughput: entities (state saved per message) vs plain actors on the same hubs\n')
  const rows = [
    [
      'storage',
      'callers',
      'entity',
      'plain actor',
      'entity/plain',
      'entity p50/p99 ms',
      'plain p50/p99 ms',
      'hub loop delay max ms (entity/plain)',
      'storage write p99/max ms',
      'failed',
    ],
  ]
  for (const [storage, runs] of Object.entries(figures)) {
    for (const concurrency of [...new Set(runs.map((r) => r.concurrency))]) {
      const entity = runs.find((r) => r.concurrency === concurrency && r.target === 'entity')
      const plain = runs.find((r) => r.concurrency === concurrency && r.target === 'plain')
      if (entity === undefined || plain === undefined) continue
      rows.push([
        storage,
        String(concurrency),
        formatRate(entity.asksPerSecond),
        formatRate(plain.asksPerSecond),
        formatRatio(ratioOf(entity.asksPerSecond, plain.asksPerSecond)),
        `${formatMs(entity.latency.p50)} / ${formatMs(entity.latency.p99)}`,
        `${formatMs(plain.latency.p50)} / ${formatMs(plain.latency.p99)}`,
        `${formatMs(entity.hubLoopDelay.max)} / ${formatMs(plain.hubLoopDelay.max)}`,
        `${formatMs(entity.storage.write.p99)} / ${formatMs(entity.storage.write.max)}`,
        String(entity.failures + plain.failures),
      ])
    }
  }
  printTable(rows)
  for (const [storage, runs] of Object.entries(figures)) {
    for (const r of runs) {
      const downs = downsText(r.downs)
      if (downs !== 'none')
        console.log(`${storage}, ${r.target} × ${r.concurrency}: hubs declared down: ${downs}`)
    }
  }
}

const countersText = (metrics: Record<string, EntityMetrics>) =>
  Object.entries(metrics)
    .map(
      ([id, m]) =>
        `${id}: ${m.activated} activated, ${m.failovers} failovers, ${m.passivated} passivated, ${m.forwarded} forwarded, ${m.fenced} fenced`,
    )
    .join('; ')

/** Storage calls per method: how many, and p99/max of the worst hub. */
const storageText = (times: StorageTimes) =>
  `storage calls ${Object.entries(times)
    .filter(([, t]) => t.calls > 0)
    .map(
      ([method, t]) =>
        `${method} ${t.calls.toLocaleString()} (p99 ${formatMs(t.p99)}, max ${formatMs(t.max)} ms)`,
    )
    .join(', ')}`

/** `h1 saw h2 down ×2` lines, or `none`. */
export const downsText = (downs: Record<string, string[]>) => {
  const seen = Object.entries(downs).flatMap(([by, ids]) =>
    [...new Set(ids)].map((id) => `${by} saw ${id} down ×${ids.filter((other) => other === id).length}`),
  )
  return seen.length === 0 ? 'none' : seen.join(', ')
}

/** `3 × "message"` lines, or `none`. */
const errorsText = (errors: Record<string, number>) => {
  const lines = Object.entries(errors).map(([text, n]) => `${n} × "${text}"`)
  return lines.length === 0 ? 'none' : lines.join('; ')
}

/** Takeover times after SIGKILLs, and what the caller saw. */
export function printFailover(figures: Partial<Record<StorageEngineName, FailoverFigures>>): void {
  console.log('\n### Failover: SIGKILL of the owning hub to the first answer from the next owner (ms)\n')
  const rows = [
    [
      'storage',
      'kills',
      'samples',
      'p50',
      'p99',
      'max',
      'never',
      'asks answered',
      'failed',
      'gaps',
      'repeats',
    ],
  ]
  for (const [storage, f] of Object.entries(figures)) {
    const taken = f.samples.filter((s): s is number => s !== null)
    rows.push([
      storage,
      String(f.kills),
      String(f.samples.length),
      ...[percentileOf(taken, 50), percentileOf(taken, 99), percentileOf(taken, 100)].map(formatMs),
      String(f.samples.length - taken.length),
      f.caller.answers.toLocaleString(),
      String(f.caller.failures),
      String(f.caller.gaps),
      String(f.caller.repeats),
    ])
  }
  printTable(rows)
  for (const [storage, f] of Object.entries(figures)) {
    const taken = f.samples.filter((s): s is number => s !== null)
    const p99 = percentileOf(taken, 99)
    printTarget(
      `${storage}: failover p99 ≤ 2 s after a SIGKILL, every key taken over`,
      taken.length === f.samples.length ? p99 : Number.POSITIVE_INFINITY,
      2_000,
      'atMost',
      `p99 ${formatMs(p99)} ms, ${f.samples.length - taken.length} never`,
    )
    console.log(
      `${storage}: ${f.keys} keys incremented, one sequential loop each; hubs: ${countersText(f.hubMetrics)}`,
    )
    if (f.caller.firstFailure !== null) console.log(`  first failed ask: ${f.caller.firstFailure}`)
    console.log(`  handler errors on the hubs: ${errorsText(f.actorErrors)}`)
    console.log(
      `  dead letters: hubs ${JSON.stringify(f.hubDeadLetters)}, caller ${JSON.stringify(f.callerDeadLetters)}`,
    )
    for (const a of f.caller.anomalies) {
      const replayed = (a.applied ?? []).filter((seq) => seq < a.lastAnsweredSeq - 3)
      for (const seq of replayed) {
        const dead = f.entityDeadLetters.filter((d) => d.key === a.key && d.seq === seq)
        console.log(
          `  ${a.key} #${seq} applied again; its dead letters: ${dead.length === 0 ? 'none' : dead.map((d) => `${d.reason} at ${d.hub} (${d.to})`).join(', ')}`,
        )
      }
      const round = f.rounds.filter((r) => r.killedAt <= a.at).length - 1
      console.log(
        `  ${a.answered > a.before ? 'gap' : 'repeat'}: ${a.key} went ${a.before} → ${a.answered} (ask #${a.seq} after #${a.lastAnsweredSeq} answered; last applied ${a.applied?.map((seq) => `#${seq}`).join(' ')}; answered by ${a.activation} after ${a.lastActivation}, ${round < 0 ? 'before the first kill' : `${(a.at - f.rounds[round]!.killedAt).toFixed(0)} ms after kill ${round + 1} of ${f.rounds[round]!.victim}`})`,
      )
    }
    const unexpected = f.rounds
      .map((r, i) => {
        const others = Object.fromEntries(
          Object.entries(r.downs).map(([by, ids]) => [by, ids.filter((id) => id !== r.victim)]),
        )
        const text = downsText(others)
        return text === 'none' ? undefined : `kill ${i + 1} (${r.victim}): ${text}`
      })
      .filter((line) => line !== undefined)
    console.log(
      `  member-down events other than the victim's: ${unexpected.length === 0 ? 'none' : unexpected.join('; ')}`,
    )
  }
}

/** The rebalance after a hub joined. */
export function printRebalance(storage: StorageEngineName, f: RebalanceFigures): void {
  console.log(
    `\n### Rebalance: a third hub joins two that hold ${f.keys.toLocaleString()} active keys (${storage})\n`,
  )
  printTable([
    ['keys', 'activation', 'moved', 'join seen', 'all keys at new owner', 'sweeps', 'wrong count', 'failed'],
    [
      f.keys.toLocaleString(),
      `${(f.activationMs / 1_000).toFixed(1)} s`,
      `${f.moved.toLocaleString()} (${((f.moved / f.keys) * 100).toFixed(1)} %)`,
      `${formatMs(f.joinMs)} ms`,
      f.rebalanceMs === null
        ? `not complete (${f.confirmed.toLocaleString()} of ${f.keys.toLocaleString()})`
        : `${formatMs(f.rebalanceMs)} ms`,
      String(f.sweeps),
      String(f.wrongCount),
      String(f.activationFailures.failures + f.sweepFailures.failures),
    ],
  ])
  console.log(
    `activating: ${storageText(f.activationStorage)}; hub loop delay max ${formatMs(f.activationLoopDelay.max)} ms`,
  )
  console.log(
    `join to end: ${storageText(f.rebalanceStorage)}; hub loop delay max ${formatMs(f.rebalanceLoopDelay.max)} ms`,
  )
  console.log(
    `activated on another hub than placement says: ${f.misplaced.toLocaleString()} keys; member-down events seen by the hubs while activating: ${downsText(f.activationDowns)}, from the join on: ${downsText(f.rebalanceDowns)}`,
  )
  console.log(`before the join: ${countersText(f.metricsBeforeJoin)}`)
  console.log(`after: ${countersText(f.metricsAfter)}`)
  console.log(`handler errors on the hubs: ${errorsText(f.actorErrors)}`)
  for (const failure of [f.activationFailures.firstFailure, f.sweepFailures.firstFailure])
    if (failure !== null) console.log(`  first failed ask: ${failure}`)
}
