/**
 * Ask round trip between two processes, Troupe `ask` against a raw `ws` +
 * msgpack ping-pong carrying the same 68-byte payload, then fire-and-forget
 * throughput between the same two processes against raw `ws` sending one
 * frame per message. Client and server are pinned to one core each when
 * `taskset` works; the stacks run in alternation so both see the same machine.
 */
import {
  deadLettersOf,
  type EndpointAt,
  type EndpointChild,
  type FloodFigures,
  formatDeadLetters,
  measureFlood,
  measureRoundTrips,
  noRoundTrips,
  type RoundTrips,
  startEndpointChild,
} from '../endpoints/measure.js'
import { recordFigures } from '../shared/figures.js'
import { type LatencySummary, summarize } from '../shared/histogram.js'
import { PAYLOAD_BYTES } from '../shared/payload.js'
import {
  envNumber,
  formatMs,
  formatRate,
  formatRatio,
  medianOf,
  printTable,
  ratioOf,
  verdict,
} from '../shared/stats.js'
import { coreFor, describeMachine, describePinning } from '../shared/system.js'
import { errorText, withTimeout } from '../shared/time.js'

const STACKS = ['ws', 'troupe'] as const
type AskStack = (typeof STACKS)[number]
const LABELS: Record<AskStack, string> = { ws: 'raw ws + msgpack', troupe: 'Troupe' }
const P50_TARGET = 1.2
const P99_TARGET = 2
const STARTUP_MS = 30_000

interface Pair {
  client: EndpointAt
  server: EndpointAt
}

async function startPair(stack: AskStack, clientCpu?: number, serverCpu?: number): Promise<Pair> {
  const serverChild = startEndpointChild(`${stack} server`, serverCpu)
  const clientChild = startEndpointChild(`${stack} client`, clientCpu)
  const server = { child: serverChild, id: 'srv' }
  const client = { child: clientChild, id: 'cli' }
  await withTimeout(
    (async () => {
      const { url } = await serverChild.call('startServer', stack, server.id)
      // Troupe: two listening nodes, the client joining through the server: the link two Node servers use
      await clientChild.call('connect', stack, 'peer', client.id, url, server.id)
    })(),
    STARTUP_MS,
    `starting ${stack}`,
  )
  return { client, server }
}

/**
 * Runs the ask benchmark and prints its tables. Environment: `ASK_COUNT`
 * (measured round trips per stack, default 20,000), `ASK_WARMUP` (default
 * 2,000), `ASK_ROUNDS` (alternations of the stacks, default 2),
 * `ASK_FLOOD_SECONDS` (per throughput run, default 3).
 */
export async function benchAsk(): Promise<void> {
  const count = envNumber('ASK_COUNT', 20_000)
  const warmup = envNumber('ASK_WARMUP', 2_000)
  const rounds = envNumber('ASK_ROUNDS', 2)
  const floodSeconds = envNumber('ASK_FLOOD_SECONDS', 3)
  const clientCpu = coreFor(0, 2)
  const serverCpu = coreFor(1, 2)
  console.log(
    `\n## Ask round trip and fire-and-forget between two processes (${PAYLOAD_BYTES}-byte payload)\n`,
  )
  console.log(describeMachine())
  console.log(describePinning({ client: clientCpu, server: serverCpu }, 2))
  console.log('Troupe: two listening nodes, one link; raw ws: one socket, one msgpack frame per message\n')

  const pairs = new Map<AskStack, Pair>()
  const trips = new Map<AskStack, RoundTrips>(STACKS.map((stack) => [stack, noRoundTrips()]))
  const floods = new Map<AskStack, FloodFigures[]>(STACKS.map((stack) => [stack, []]))
  const errors: string[] = []
  let deadLetters: Record<string, number> | undefined
  try {
    for (const stack of STACKS) pairs.set(stack, await startPair(stack, clientCpu, serverCpu))
    const perRound = Math.ceil(count / rounds)
    for (let round = 0; round < rounds; round++) {
      for (const stack of STACKS) {
        const { client, server } = pairs.get(stack)!
        const options = { warmup: round === 0 ? warmup : warmup / 10, count: perRound, maxMs: 60_000 }
        await measureRoundTrips(client, server, options, trips.get(stack)!)
      }
    }
    for (let round = 0; round < rounds; round++) {
      for (const stack of STACKS) {
        const { client, server } = pairs.get(stack)!
        floods.get(stack)!.push(await measureFlood(client, server, floodSeconds))
      }
    }
    const troupe = pairs.get('troupe')!
    deadLetters = await deadLettersOf([troupe.client.child, troupe.server.child])
  } catch (error) {
    errors.push(errorText(error))
  } finally {
    const children = [...pairs.values()].flatMap((pair) => [pair.client.child, pair.server.child])
    await Promise.all(children.map((child: EndpointChild) => child.stop()))
  }
  report({ trips, floods, errors, deadLetters })
}

interface AskResults {
  trips: Map<AskStack, RoundTrips>
  floods: Map<AskStack, FloodFigures[]>
  errors: string[]
  deadLetters: Record<string, number> | undefined
}

function report({ trips, floods, errors, deadLetters }: AskResults): void {
  const latency = new Map<AskStack, LatencySummary>(
    STACKS.map((stack) => [stack, summarize(trips.get(stack)!.latency)]),
  )
  console.log('### Sequential ask round trips (ms)\n')
  const rows = [['stack', 'round trips', 'p50', 'p90', 'p99', 'p99.9']]
  for (const stack of STACKS) {
    const l = latency.get(stack)!
    rows.push([LABELS[stack], l.count.toLocaleString(), ...[l.p50, l.p90, l.p99, l.p999].map(formatMs)])
  }
  const ws = latency.get('ws')!
  const troupe = latency.get('troupe')!
  const ratio = (key: keyof LatencySummary) => ratioOf(troupe[key], ws[key])
  rows.push([
    'Troupe / raw ws',
    '',
    formatRatio(ratio('p50')),
    formatRatio(ratio('p90')),
    formatRatio(ratio('p99')),
    formatRatio(ratio('p999')),
  ])
  printTable(rows)

  const rates = new Map(STACKS.map((stack) => [stack, medianOf(floods.get(stack)!.map((f) => f.rate))]))
  console.log(`\n### Fire-and-forget, client → server (median of ${floods.get('ws')!.length} runs)\n`)
  const floodRows = [['stack', 'delivered/s', 'runs', 'delivered/sent (all runs)']]
  for (const stack of STACKS) {
    const runs = floods.get(stack)!
    const sent = runs.reduce((total, run) => total + run.sent, 0)
    const delivered = runs.reduce((total, run) => total + run.delivered, 0)
    floodRows.push([
      LABELS[stack],
      formatRate(rates.get(stack)!),
      runs.map((run) => formatRate(run.rate)).join(', '),
      `${delivered.toLocaleString()}/${sent.toLocaleString()}${delivered < sent ? ' (LOST some)' : ''}`,
    ])
  }
  printTable(floodRows)
  const floodRatio = ratioOf(rates.get('troupe'), rates.get('ws'))
  console.log(`Troupe / raw ws: ${formatRatio(floodRatio)}`)
  if (deadLetters !== undefined) console.log(`Troupe dead letters: ${formatDeadLetters(deadLetters)}`)

  for (const error of errors) console.log(`\ndid not complete: ${error}`)
  const p50 = ratio('p50')
  const p99 = ratio('p99')
  console.log('\ntargets for Troupe:')
  console.log(
    `  ask p50 ≤ ${P50_TARGET}× raw ws: ${verdict(p50 === undefined ? undefined : p50 <= P50_TARGET)} (${formatRatio(p50)})`,
  )
  console.log(
    `  ask p99 ≤ ${P99_TARGET}× raw ws: ${verdict(p99 === undefined ? undefined : p99 <= P99_TARGET)} (${formatRatio(p99)})`,
  )
  recordFigures('ask', {
    payloadBytes: PAYLOAD_BYTES,
    latencyMs: Object.fromEntries(latency),
    ratios: { p50: p50 ?? null, p99: p99 ?? null, p999: ratio('p999') ?? null },
    fireAndForget: Object.fromEntries(
      STACKS.map((stack) => [stack, { median: rates.get(stack), runs: floods.get(stack) }]),
    ),
    fireAndForgetRatio: floodRatio ?? null,
    troupeDeadLetters: deadLetters ?? null,
    targets: { p50: P50_TARGET, p99: P99_TARGET },
    errors,
  })
}
