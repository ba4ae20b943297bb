/**
 * Local messaging: Troupe's `send` → handler and `ask` round trips, next to a
 * plain eventemitter3 emit loop doing the same work in the same process; each
 * figure is the median of five runs.
 */
import { createNode, type Tracing } from '@troupe/core'
import { openTelemetry } from '@troupe/core/otel'
import { EventEmitter } from 'eventemitter3'
import { recordFigures } from './shared/figures.js'
import {
  envNumber,
  formatRate,
  formatRatio,
  medianOf,
  perSecond,
  printTable,
  verdict,
} from './shared/stats.js'
import { describeMachine } from './shared/system.js'

/** Enough for the fastest workload to run for tenths of a second, not a few milliseconds of noise. */
const MESSAGES = envNumber('LOCAL_MESSAGES', 10_000_000)
const BURST = 8_192 // below the default mailbox capacity, so no message is dropped
const ASKS = envNumber('LOCAL_ASKS', 500_000)
const RUNS = 5
/** `ref.send` → handler within this factor of the emit loop (DESIGN.md). */
const TARGET = 2.5
/** What tracing may cost a local send when no SDK is registered (issue: under 3 %). */
const TRACING_TARGET = 0.03

async function emitLoop(): Promise<number> {
  const emitter = new EventEmitter()
  let sum = 0
  emitter.on('message', (n: number) => {
    sum += n
  })
  const start = performance.now()
  for (let i = 0; i < MESSAGES; i++) emitter.emit('message', i)
  const ms = performance.now() - start
  if (sum === -1) console.log(sum)
  return perSecond(MESSAGES, ms)
}

async function troupeSend(byAddress: boolean, tracing?: Tracing): Promise<number> {
  const node = await createNode({ id: 'bench', ...(tracing === undefined ? {} : { tracing }) })
  let sum = 0
  let handled = 0
  let target = 0
  let done = () => {}
  const ref = node.spawn<number>('sink', {
    receive(n) {
      sum += n
      if (++handled === target) done()
    },
  })
  const start = performance.now()
  for (let sent = 0; sent < MESSAGES; ) {
    target = Math.min(MESSAGES, sent + BURST)
    const drained = new Promise<void>((resolve) => {
      done = resolve
    })
    if (byAddress) for (; sent < target; sent++) node.send('sink@bench', sent)
    else for (; sent < target; sent++) ref.send(sent)
    await drained
  }
  const ms = performance.now() - start
  await node.close()
  if (sum === -1) console.log(sum)
  return perSecond(MESSAGES, ms)
}

async function troupeAsk(): Promise<number> {
  const node = await createNode({ id: 'bench' })
  const ref = node.spawn<number, number>('echo', { receive: (n, ctx) => ctx.reply(n) })
  const start = performance.now()
  for (let i = 0; i < ASKS; i++) await ref.ask(i)
  const ms = performance.now() - start
  await node.close()
  return perSecond(ASKS, ms)
}

const WORKLOADS = {
  emit: { label: 'eventemitter3 emit → listener', run: emitLoop },
  send: { label: 'troupe ref.send → handler', run: () => troupeSend(false) },
  sendByAddress: { label: 'troupe node.send(address) → handler', run: () => troupeSend(true) },
  sendTraced: {
    label: 'troupe ref.send → handler, tracing: openTelemetry(), no SDK',
    run: () => troupeSend(false, openTelemetry()),
  },
  ask: { label: 'troupe ask round trip (sequential)', run: troupeAsk },
} as const
type Workload = keyof typeof WORKLOADS

/**
 * Runs the local benchmark: every workload once per round, five rounds (so
 * outside load hits all of them alike), and prints the medians.
 * Environment: `LOCAL_MESSAGES` (default 10,000,000), `LOCAL_ASKS` (default 500,000).
 */
export async function benchLocal(): Promise<void> {
  console.log(
    `\n## Local messaging (median of ${RUNS} runs; ${MESSAGES.toLocaleString()} messages, ${ASKS.toLocaleString()} asks)\n`,
  )
  console.log(`${describeMachine()}\n`)
  const names = Object.keys(WORKLOADS) as Workload[]
  const runs = Object.fromEntries(names.map((name) => [name, [] as number[]])) as Record<Workload, number[]>
  for (let round = 0; round < RUNS; round++) {
    for (const name of names) runs[name].push(await WORKLOADS[name].run())
  }
  const rate = Object.fromEntries(names.map((name) => [name, medianOf(runs[name])])) as Record<
    Workload,
    number
  >
  const rows = [['workload', 'rate (median)', 'runs', 'emit loop / this']]
  for (const name of names) {
    const label = WORKLOADS[name].label
    rows.push([
      label,
      formatRate(rate[name]),
      runs[name].map(formatRate).join(', '),
      formatRatio(rate.emit / rate[name]),
    ])
  }
  printTable(rows)
  const ratio = rate.emit / rate.send
  console.log(
    `\ntarget: ref.send → handler within ${TARGET}× of the emit loop: ${verdict(ratio <= TARGET)} (${formatRatio(ratio)})`,
  )
  // each round's traced run against the untraced one of the same round, so load hits both alike
  const tracingCost = medianOf(runs.send.map((untraced, i) => untraced / runs.sendTraced[i]! - 1))
  console.log(
    `target: tracing without an SDK costs a send under ${TRACING_TARGET * 100} %: ${verdict(tracingCost < TRACING_TARGET)} (${(tracingCost * 100).toFixed(1)} %, median of the rounds)`,
  )
  recordFigures('local', {
    messages: MESSAGES,
    asks: ASKS,
    perSecond: rate,
    runs,
    ratio,
    target: TARGET,
    tracingCost,
  })
}
