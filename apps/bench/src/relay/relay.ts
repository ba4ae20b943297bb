/**
 * Client → hub → client: two Troupe client processes talking through a
 * Troupe hub process, against two raw `ws` clients talking through a tiny
 * raw `ws` relay process (two raw hops each way), with the same 68-byte
 * payload: ask latency, fire-and-forget throughput, and bytes on the wire
 * per relayed message.
 */
import {
  deadLettersOf,
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
import { summarize } from '../shared/histogram.js'
import { PAYLOAD_BYTES } from '../shared/payload.js'
import {
  envNumber,
  formatBytes,
  formatMs,
  formatRate,
  formatRatio,
  medianOf,
  printTable,
  ratioOf,
  verdict,
} from '../shared/stats.js'
import { describeMachine, describePinning, hubAndRest } from '../shared/system.js'
import { errorText, withTimeout } from '../shared/time.js'
import { measureWireBytes, WIRE_WORKLOADS, type WireFigures } from './wireBytes.js'

const STACKS = ['ws', 'troupe'] as const
type RelayStack = (typeof STACKS)[number]
const LABELS: Record<RelayStack, string> = { ws: 'raw ws relay (2 hops)', troupe: 'Troupe hub' }
const LATENCY_TARGET = 1.5
const STARTUP_MS = 30_000

interface Setup {
  url: string
  hub: EndpointChild
  a: EndpointChild
  b: EndpointChild
}

async function startSetup(stack: RelayStack, hubCpu?: number, clientCpu?: string): Promise<Setup> {
  const setup = {
    url: '',
    hub: startEndpointChild(`${stack} hub`, hubCpu),
    a: startEndpointChild(`${stack} client a`, clientCpu),
    b: startEndpointChild(`${stack} client b`, clientCpu),
  }
  await withTimeout(
    (async () => {
      setup.url = (await setup.hub.call('startRelay', stack)).url
      await setup.b.call('connect', stack, 'client', 'cb', setup.url)
      await setup.a.call('connect', stack, 'client', 'ca', setup.url)
    })(),
    STARTUP_MS,
    `starting ${stack}`,
  ).catch(async (error: unknown) => {
    await Promise.all([setup.hub.stop(), setup.a.stop(), setup.b.stop()])
    throw error
  })
  return setup
}

/**
 * Runs the relay benchmark and prints its tables. Environment: `RELAY_COUNT`
 * (measured asks per stack, default 10,000), `RELAY_WARMUP` (default 1,000),
 * `RELAY_ROUNDS` (alternations of the stacks, default 2),
 * `RELAY_FLOOD_SECONDS` (per throughput run, default 3).
 */
export async function benchRelay(): Promise<void> {
  const count = envNumber('RELAY_COUNT', 10_000)
  const warmup = envNumber('RELAY_WARMUP', 1_000)
  const rounds = envNumber('RELAY_ROUNDS', 2)
  const floodSeconds = envNumber('RELAY_FLOOD_SECONDS', 3)
  const { hub: hubCpu, rest: clientCpu } = hubAndRest()
  console.log(`\n## Relay: client → hub → client, three processes (${PAYLOAD_BYTES}-byte payload)\n`)
  console.log(describeMachine())
  console.log(describePinning({ hub: hubCpu, 'both clients': clientCpu }, 2))
  console.log('raw ws: the relay decodes each envelope for its target and forwards the frame as it came\n')

  const setups = new Map<RelayStack, Setup>()
  const trips = new Map<RelayStack, RoundTrips>(STACKS.map((stack) => [stack, noRoundTrips()]))
  const floods = new Map<RelayStack, FloodFigures[]>(STACKS.map((stack) => [stack, []]))
  const wire = new Map<RelayStack, WireFigures>()
  const errors: string[] = []
  let deadLetters: Record<string, number> | undefined
  try {
    for (const stack of STACKS) setups.set(stack, await startSetup(stack, hubCpu, clientCpu))
    const perRound = Math.ceil(count / rounds)
    for (let round = 0; round < rounds; round++) {
      for (const stack of STACKS) {
        const { a, b } = setups.get(stack)!
        const options = { warmup: round === 0 ? warmup : warmup / 10, count: perRound, maxMs: 60_000 }
        await measureRoundTrips({ child: a, id: 'ca' }, { child: b, id: 'cb' }, options, trips.get(stack)!)
      }
    }
    for (let round = 0; round < rounds; round++) {
      for (const stack of STACKS) {
        const { a, b } = setups.get(stack)!
        floods
          .get(stack)!
          .push(await measureFlood({ child: a, id: 'ca' }, { child: b, id: 'cb' }, floodSeconds))
      }
    }
    const troupe = setups.get('troupe')!
    // the sender's backpressure covers its own link only: what the hub cannot pass on, it dead-letters
    deadLetters = await deadLettersOf([troupe.hub, troupe.b])
    for (const stack of STACKS) {
      const { url, a, b } = setups.get(stack)!
      wire.set(stack, await measureWireBytes(stack, url, a, b))
    }
  } catch (error) {
    errors.push(errorText(error))
  } finally {
    await Promise.all([...setups.values()].flatMap(({ hub, a, b }) => [hub.stop(), a.stop(), b.stop()]))
  }
  report({ trips, floods, wire, errors, deadLetters })
}

interface RelayResults {
  trips: Map<RelayStack, RoundTrips>
  floods: Map<RelayStack, FloodFigures[]>
  wire: Map<RelayStack, WireFigures>
  errors: string[]
  /** Of the Troupe hub and the receiving client, after the latency and throughput runs. */
  deadLetters: Record<string, number> | undefined
}

function report({ trips, floods, wire, errors, deadLetters }: RelayResults): void {
  const latency = new Map(STACKS.map((stack) => [stack, summarize(trips.get(stack)!.latency)]))
  console.log('### Sequential asks, client a → client b and back (ms)\n')
  const rows = [['path', 'asks', 'p50', 'p90', 'p99', 'p99.9']]
  for (const stack of STACKS) {
    const l = latency.get(stack)!
    rows.push([LABELS[stack], l.count.toLocaleString(), ...[l.p50, l.p90, l.p99, l.p999].map(formatMs)])
  }
  const ws = latency.get('ws')!
  const troupe = latency.get('troupe')!
  const p50 = ratioOf(troupe.p50, ws.p50)
  const p99 = ratioOf(troupe.p99, ws.p99)
  rows.push([
    'Troupe / raw ws',
    '',
    formatRatio(p50),
    formatRatio(ratioOf(troupe.p90, ws.p90)),
    formatRatio(p99),
    formatRatio(ratioOf(troupe.p999, ws.p999)),
  ])
  printTable(rows)

  const rates = new Map(STACKS.map((stack) => [stack, medianOf(floods.get(stack)!.map((f) => f.rate))]))
  console.log(`\n### Fire-and-forget, client a → client b (median of ${floods.get('ws')!.length} runs)\n`)
  const floodRows = [['path', 'delivered/s', 'runs', 'delivered/sent (all runs)']]
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
  if (deadLetters !== undefined)
    console.log(`Troupe dead letters (hub and receiver): ${formatDeadLetters(deadLetters)}`)

  console.log(
    '\n### Bytes on the wire per relayed message (TCP payload through a counting proxy, both clients, both ways)\n',
  )
  const wireRows = [['path', 'idle (heartbeats)', ...Object.values(WIRE_WORKLOADS)]]
  for (const stack of STACKS) {
    const figures = wire.get(stack)
    wireRows.push(
      figures === undefined
        ? [LABELS[stack], '–', '–', '–', '–']
        : [
            LABELS[stack],
            `${formatBytes(figures.idleBytesPerSecond)}/s`,
            ...[figures.asks, figures.paced, figures.flood].map(
              (w) =>
                `${w.perMessage.toFixed(1)} B (${formatBytes(w.toRelay)} in, ${formatBytes(w.fromRelay)} out)`,
            ),
          ],
    )
  }
  printTable(wireRows)

  for (const error of errors) console.log(`\ndid not complete: ${error}`)
  console.log('\ntargets for Troupe:')
  const within = (ratio: number | undefined) =>
    verdict(ratio === undefined ? undefined : ratio <= LATENCY_TARGET)
  console.log(
    `  relayed ask p50 within ${LATENCY_TARGET}× two raw ws hops: ${within(p50)} (${formatRatio(p50)})`,
  )
  console.log(
    `  relayed ask p99 within ${LATENCY_TARGET}× two raw ws hops: ${within(p99)} (${formatRatio(p99)})`,
  )
  recordFigures('relay', {
    payloadBytes: PAYLOAD_BYTES,
    latencyMs: Object.fromEntries(latency),
    latencyRatios: { p50: p50 ?? null, p99: p99 ?? null },
    fireAndForget: Object.fromEntries(
      STACKS.map((stack) => [stack, { median: rates.get(stack), runs: floods.get(stack) }]),
    ),
    fireAndForgetRatio: floodRatio ?? null,
    troupeDeadLetters: deadLetters ?? null,
    wireBytes: Object.fromEntries(wire),
    targets: { latencyRatio: LATENCY_TARGET },
    errors,
  })
}
