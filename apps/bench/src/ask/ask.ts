/**
 * Ask round trip between two processes, Troupe `ask` against a raw `ws` +
 * msgpack ping-pong carrying the same 68-byte payload, then fire-and-forget
 * throughput between the same two processes against raw `ws` sending one
 * frame per message. Client and server are pinned to one core each when
 * `taskset` works; the stacks run in alternation so both see the same machine.
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
  type EndpointAt,
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
import { coreFor, describeMachine, describePinning } from '../shared/system.js'
import { errorText, withTimeout } from '../shared/time.js'

const LABELS: PerStack<string> = { ws: 'raw ws + msgpack', troupe: 'Troupe' }
const P50_TARGET = 1.2
const P99_TARGET = 2
const STARTUP_MS = 30_000

interface Pair {
  client: EndpointAt
  server: EndpointAt
}

async function startPair(stack: ComparedStack, clientCpu?: number, serverCpu?: number): Promise<Pair> {
  const server = { child: startEndpointChild(`${stack} server`, serverCpu), id: 'srv' }
  const client = { child: startEndpointChild(`${stack} client`, clientCpu), id: 'cli' }
  const connect = async () => {
    const { url } = await server.child.call('startServer', stack, server.id)
    // Troupe: two listening nodes, the client joining through the server: the link two Node servers use
    await client.child.call('connect', stack, 'peer', client.id, url, server.id)
  }
  try {
    await withTimeout(connect(), STARTUP_MS, `starting ${stack}`)
  } catch (error) {
    await Promise.all([server.child.stop(), client.child.stop()])
    throw error
  }
  return { client, server }
}

/**
 * Runs the ask benchmark and prints its tables. Environment: `ASK_COUNT`
 * (measured round trips per stack, default 20,000), `ASK_WARMUP` (default
 * 20,000: about 1.5 s, for both processes' compilers to settle),
 * `ASK_ROUNDS` (alternations of the stacks, default 2), `ASK_FLOOD_SECONDS`
 * (per throughput run, default 3).
 */
export async function benchAsk(): Promise<void> {
  const count = envNumber('ASK_COUNT', 20_000)
  const warmup = envNumber('ASK_WARMUP', 20_000)
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

  const pairs = new Map<ComparedStack, Pair>()
  const trips = { ws: noRoundTrips(), troupe: noRoundTrips() }
  const floods: PerStack<FloodFigures[]> = { ws: [], troupe: [] }
  const errors: string[] = []
  let deadLetters: Record<string, number> | undefined
  try {
    for (const stack of COMPARED) pairs.set(stack, await startPair(stack, clientCpu, serverCpu))
    const perRound = Math.ceil(count / rounds)
    await alternate(rounds, async (stack, round) => {
      const { client, server } = pairs.get(stack)!
      const options = { warmup: round === 0 ? warmup : warmup / 10, count: perRound, maxMs: 60_000 }
      await measureRoundTrips(client, server, options, trips[stack])
    })
    await alternate(rounds, async (stack) => {
      const { client, server } = pairs.get(stack)!
      floods[stack].push(await measureFlood(client, server, floodSeconds))
    })
    const troupe = pairs.get('troupe')!
    deadLetters = await deadLettersOf([troupe.client.child, troupe.server.child])
  } catch (error) {
    errors.push(errorText(error))
  } finally {
    await Promise.all(
      [...pairs.values()].flatMap((pair) => [pair.client.child.stop(), pair.server.child.stop()]),
    )
  }

  const latency = printLatencyComparison('Sequential ask round trips', LABELS, trips)
  const flood = printFloodComparison('Fire-and-forget, client → server', LABELS, floods)
  if (deadLetters !== undefined) console.log(`Troupe dead letters: ${formatDeadLetters(deadLetters)}`)
  for (const error of errors) console.log(`\ndid not complete: ${error}`)
  console.log('\ntargets for Troupe:')
  printTarget(`ask p50 ≤ ${P50_TARGET}× raw ws`, latency.ratios.p50, P50_TARGET, 'atMost')
  printTarget(`ask p99 ≤ ${P99_TARGET}× raw ws`, latency.ratios.p99, P99_TARGET, 'atMost')
  recordFigures('ask', {
    payloadBytes: PAYLOAD_BYTES,
    ...latency,
    fireAndForget: flood,
    troupeDeadLetters: deadLetters ?? null,
    targets: { p50: P50_TARGET, p99: P99_TARGET },
    errors,
  })
}
