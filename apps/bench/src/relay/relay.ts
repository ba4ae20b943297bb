/**
 * Client → hub → client: two Troupe client processes talking through a
 * Troupe hub process, against two raw `ws` clients talking through a tiny
 * raw `ws` relay process (two raw hops each way), with the same 68-byte
 * payload: ask latency, fire-and-forget throughput, and bytes on the wire
 * per relayed message.
 */
import {
  alternate,
  COMPARED,
  type ComparedStack,
  type PerStack,
  printFloodComparison,
  printLatencyComparison,
} from '../endpoints/comparison.js'
import {
  deadLettersOf,
  type EndpointChild,
  type FloodFigures,
  formatDeadLetters,
  measureFlood,
  measureRoundTrips,
  noRoundTrips,
  startEndpointChild,
} from '../endpoints/measure.js'
import { recordFigures } from '../shared/figures.js'
import { PAYLOAD_BYTES } from '../shared/payload.js'
import { envNumber, printTarget } from '../shared/stats.js'
import { describeMachine, describePinning, hubAndRest } from '../shared/system.js'
import { errorText, withTimeout } from '../shared/time.js'
import { measureWireBytes, printWireBytes, type WireFigures } from './wireBytes.js'

const LABELS: PerStack<string> = { ws: 'raw ws relay (2 hops)', troupe: 'Troupe hub' }
const LATENCY_TARGET = 1.5
const STARTUP_MS = 30_000

interface Setup {
  url: string
  hub: EndpointChild
  a: EndpointChild
  b: EndpointChild
}

async function startSetup(stack: ComparedStack, hubCpu?: number, clientCpu?: string): Promise<Setup> {
  const setup = {
    url: '',
    hub: startEndpointChild(`${stack} hub`, hubCpu),
    a: startEndpointChild(`${stack} client a`, clientCpu),
    b: startEndpointChild(`${stack} client b`, clientCpu),
  }
  const connect = async () => {
    setup.url = (await setup.hub.call('startRelay', stack)).url
    await setup.b.call('connect', stack, 'client', 'cb', setup.url)
    await setup.a.call('connect', stack, 'client', 'ca', setup.url)
  }
  try {
    await withTimeout(connect(), STARTUP_MS, `starting ${stack}`)
  } catch (error) {
    await Promise.all([setup.hub.stop(), setup.a.stop(), setup.b.stop()])
    throw error
  }
  return setup
}

/**
 * Runs the relay benchmark and prints its tables. Environment: `RELAY_COUNT`
 * (measured asks per stack, default 10,000), `RELAY_WARMUP` (default 10,000:
 * about 2 s, for the three processes' compilers to settle; with 1,000 most
 * of the p99 of both stacks was asks of the first second),
 * `RELAY_ROUNDS` (alternations of the stacks, default 2),
 * `RELAY_FLOOD_SECONDS` (per throughput run, default 3).
 */
export async function benchRelay(): Promise<void> {
  const count = envNumber('RELAY_COUNT', 10_000)
  const warmup = envNumber('RELAY_WARMUP', 10_000)
  const rounds = envNumber('RELAY_ROUNDS', 2)
  const floodSeconds = envNumber('RELAY_FLOOD_SECONDS', 3)
  const { hub: hubCpu, rest: clientCpu } = hubAndRest()
  console.log(`\n## Relay: client → hub → client, three processes (${PAYLOAD_BYTES}-byte payload)\n`)
  console.log(describeMachine())
  console.log(describePinning({ hub: hubCpu, 'both clients': clientCpu }, 2))
  console.log('raw ws: the relay decodes each envelope for its target and forwards the frame as it came\n')

  const setups = new Map<ComparedStack, Setup>()
  const trips = { ws: noRoundTrips(), troupe: noRoundTrips() }
  const floods: PerStack<FloodFigures[]> = { ws: [], troupe: [] }
  const wire: Partial<PerStack<WireFigures>> = {}
  const errors: string[] = []
  let deadLetters: Record<string, number> | undefined
  try {
    for (const stack of COMPARED) setups.set(stack, await startSetup(stack, hubCpu, clientCpu))
    const ends = (stack: ComparedStack) => {
      const { a, b } = setups.get(stack)!
      return [
        { child: a, id: 'ca' },
        { child: b, id: 'cb' },
      ] as const
    }
    const perRound = Math.ceil(count / rounds)
    await alternate(rounds, async (stack, round) => {
      const options = { warmup: round === 0 ? warmup : warmup / 10, count: perRound, maxMs: 60_000 }
      await measureRoundTrips(...ends(stack), options, trips[stack])
    })
    await alternate(rounds, async (stack) => {
      floods[stack].push(await measureFlood(...ends(stack), floodSeconds))
    })
    const troupe = setups.get('troupe')!
    // the sender's backpressure covers its own link only: what the hub cannot pass on, it dead-letters
    deadLetters = await deadLettersOf([troupe.hub, troupe.b])
    for (const stack of COMPARED) {
      const { url, a, b } = setups.get(stack)!
      wire[stack] = await measureWireBytes(stack, url, a, b)
    }
  } catch (error) {
    errors.push(errorText(error))
  } finally {
    await Promise.all([...setups.values()].flatMap(({ hub, a, b }) => [hub.stop(), a.stop(), b.stop()]))
  }

  const latency = printLatencyComparison('Sequential asks, client a → client b and back', LABELS, trips)
  const flood = printFloodComparison('Fire-and-forget, client a → client b', LABELS, floods)
  if (deadLetters !== undefined)
    console.log(`Troupe dead letters (hub and receiver): ${formatDeadLetters(deadLetters)}`)
  printWireBytes(LABELS, wire)
  for (const error of errors) console.log(`\ndid not complete: ${error}`)
  console.log('\ntargets for Troupe:')
  const target = `within ${LATENCY_TARGET}× two raw ws hops`
  printTarget(`relayed ask p50 ${target}`, latency.ratios.p50, LATENCY_TARGET, 'atMost')
  printTarget(`relayed ask p99 ${target}`, latency.ratios.p99, LATENCY_TARGET, 'atMost')
  recordFigures('relay', {
    payloadBytes: PAYLOAD_BYTES,
    ...latency,
    fireAndForget: flood,
    troupeDeadLetters: deadLetters ?? null,
    wireBytes: wire,
    targets: { latencyRatio: LATENCY_TARGET },
    errors,
  })
}
