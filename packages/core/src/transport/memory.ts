import { type Clock, realClock, type TimerHandle } from '../clock.js'
import { TroupeError } from '../errors.js'
import { queueMicrotask } from '../host.js'
import { createRandom, type Random } from '../testing/random.js'
import type { Connection, ConnectionInfo, Listener, Transport } from './transport.js'
import { CLOSE_CODES } from './transport.js'

/** Options of {@link createMemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Time for deliveries and delays. @default realClock */
  clock?: Clock
  /** Seed of the PRNG that decides faults. @default 1 */
  seed?: number
}

/** Faults applied to every frame of every connection of a {@link MemoryNetwork}. */
export interface FaultRates {
  /** Probability a frame is lost (the connection stays open). */
  drop: number
  /** Probability a frame is delivered twice. */
  duplicate: number
  /** Probability a frame is held back and delivered after the next one sent in the same direction. */
  reorder: number
  /** Extra latency per frame, uniform in `[min, max]` milliseconds. */
  delayMs: [min: number, max: number]
}

type StatName = 'sent' | 'delivered' | 'dropped' | 'duplicated' | 'reordered' | 'opened' | 'refused'

/** Nodes in one process joined by simulated connections, with faults injected on demand. */
export interface MemoryNetwork {
  /**
   * A transport for a process of node `name`; its `listen` binds `mem://<name>`
   * (one listener per name at a time). Each call stands for a new process:
   * `kill(name)` ends every transport made for `name` so far, and a restarted
   * node asks for a fresh one.
   */
  transport(name: string): Transport
  /** Sets fault rates for every connection (merged into the current ones). `faults({})` keeps them; `clearFaults()` resets to none. */
  faults(rates: Partial<FaultRates>): void
  clearFaults(): void
  /** Frames between a and b (both directions) vanish; new connections between them fail. Existing connections stay open (a black hole, like a pulled cable before TCP notices). */
  partition(a: string, b: string): void
  /** Closes every connection between a and b (both ends see onClose with code 1006) and makes new ones fail until heal. */
  cut(a: string, b: string): void
  /** Undoes partition/cut between a and b (every one involving `a` if `b` is left out), or all of them when called without arguments. */
  heal(a?: string, b?: string): void
  /** Node `name` dies: its connections close abruptly (the other ends see code 1006), its listener goes away and its transports can neither dial nor listen; a new transport for the name (a restart) can. */
  kill(name: string): void
  /** Node `name` stops reading: frames to it wait in flight (the sender's bufferedAmount grows) until resume(name). */
  pause(name: string): void
  resume(name: string): void
  /** Counters (a snapshot): frames sent, delivered, dropped (by the drop fault or a partition), duplicated, reordered; connections opened, refused. */
  readonly stats: Readonly<Record<StatName, number>>
}

const SCHEME = 'mem://'
/** WebSocket's "closed abnormally": what an end sees when the link dies under it. */
const ABNORMAL_CLOSURE = 1006
const NO_FAULTS: FaultRates = { drop: 0, duplicate: 0, reorder: 0, delayMs: [0, 0] }

/** What every connection of one network shares. @internal */
interface World {
  readonly clock: Clock
  readonly random: Random
  readonly counts: Record<StatName, number>
  readonly paused: Set<string>
  /** The dialing end of every open connection. */
  readonly links: Set<MemoryConnection>
  rates: FaultRates
  isSevered(a: string, b: string): boolean
}

/** A frame in flight; `copies` is 2 for a duplicated one. @internal */
type Frame = { readonly bytes: Uint8Array; copies: number; arrived: boolean; timer?: TimerHandle }

type MessageHandler = ((bytes: Uint8Array) => void) | undefined
type CloseHandler = ((code: number, reason: string) => void) | undefined

/**
 * One end of a memory connection. It keeps the frames travelling toward it as
 * a FIFO: each frame arrives after its own delay but is handed over only after
 * every frame before it, so random delays never reorder. Frames and the close
 * that reach an end before its owner sets `onMessage`/`onClose` wait for the
 * handler instead of being lost, so a server may send from its accept callback.
 * @internal
 */
class MemoryConnection implements Connection {
  peer!: MemoryConnection
  readonly remote: string
  /** Bytes sent toward this end and not yet delivered: the peer's bufferedAmount. */
  pending = 0
  #frames: Frame[] = []
  #held: Frame | undefined
  #closeEvent: [code: number, reason: string] | undefined
  /** The peer closed in order: close once the frames it sent before are handed over. */
  #closeAfterFrames: [code: number, reason: string] | undefined
  #notified = false
  #onMessage: MessageHandler
  #onClose: CloseHandler

  constructor(
    private readonly world: World,
    readonly local: string,
    remoteName: string,
  ) {
    this.remote = SCHEME + remoteName
  }

  get bufferedAmount(): number {
    return this.peer.pending
  }
  onPong: (() => void) | undefined
  /** Answered by the peer's "network stack": even while it is paused (a frozen page), not across a partition. */
  ping(): void {
    if (this.#closeEvent !== undefined || this.world.isSevered(this.local, this.peer.local)) return
    queueMicrotask(() => {
      if (this.#closeEvent === undefined) this.onPong?.()
    })
  }
  send(bytes: Uint8Array): void {
    if (this.#closeEvent === undefined) this.peer.#receive(bytes)
  }
  /** An orderly close: like a WebSocket's, frames already sent still reach the peer before its close. */
  close(code: number = CLOSE_CODES.NORMAL, reason = ''): void {
    if (this.#closeEvent !== undefined) return
    if (this.#closeAfterFrames !== undefined) {
      // the peer closed first: its close wins, as in a WebSocket closing handshake
      this.#shut(...this.#closeAfterFrames)
      return
    }
    this.world.links.delete(this)
    this.world.links.delete(this.peer)
    this.#shut(code, reason)
    this.peer.#closeAfterFrames = [code, reason]
    queueMicrotask(() => this.peer.flush())
  }

  /** A crash or a cut cable: nothing in flight arrives. @internal */
  abort(code: number, reason: string): void {
    if (this.#closeEvent !== undefined) return
    this.world.links.delete(this)
    this.world.links.delete(this.peer)
    this.#shut(code, reason)
    this.peer.#shut(code, reason)
  }
  get onMessage(): MessageHandler {
    return this.#onMessage
  }
  set onMessage(handler: MessageHandler) {
    this.#onMessage = handler
    if (handler !== undefined) queueMicrotask(() => this.flush())
  }
  get onClose(): CloseHandler {
    return this.#onClose
  }
  set onClose(handler: CloseHandler) {
    this.#onClose = handler
    if (handler !== undefined && this.#closeEvent !== undefined) queueMicrotask(() => this.#notifyClose())
  }

  /** Hands every frame that can go to the owner, in order. @internal */
  flush(): void {
    while (this.#closeEvent === undefined && !this.world.paused.has(this.local)) {
      const head = this.#frames[0]
      const handler = this.#onMessage
      if (head === undefined && this.#closeAfterFrames !== undefined) {
        this.#shut(...this.#closeAfterFrames)
        return
      }
      if (head === undefined || !head.arrived || handler === undefined) return
      head.copies--
      if (head.copies === 0) {
        this.#frames.shift()
        this.pending -= head.bytes.byteLength
      }
      this.world.counts.delivered++
      try {
        handler(head.copies === 0 ? head.bytes : head.bytes.slice())
      } catch (error) {
        // surfaces like a socket listener's error would, without stalling the frames behind it
        queueMicrotask(() => {
          throw error
        })
      }
    }
  }

  /** A frame the peer sent: the faults decide its fate. */
  #receive(bytes: Uint8Array): void {
    if (this.#closeAfterFrames !== undefined) return
    const { counts, random, rates } = this.world
    counts.sent++
    if (this.world.isSevered(this.peer.local, this.local) || random.chance(rates.drop)) {
      counts.dropped++
      return
    }
    const frame: Frame = {
      bytes: bytes.slice(),
      copies: random.chance(rates.duplicate) ? 2 : 1,
      arrived: false,
    }
    if (frame.copies === 2) counts.duplicated++
    this.pending += frame.bytes.byteLength
    if (this.#held === undefined && random.chance(rates.reorder)) {
      counts.reordered++
      this.#held = frame
      return
    }
    this.#enqueue(frame)
    if (this.#held !== undefined) this.#enqueue(this.#held)
    this.#held = undefined
  }

  #enqueue(frame: Frame): void {
    this.#frames.push(frame)
    const [min, max] = this.world.rates.delayMs
    const delay = max > min ? min + this.world.random.next() * (max - min) : min
    const arrive = () => this.#arrive(frame)
    if (delay > 0) frame.timer = this.world.clock.setTimeout(arrive, delay)
    else queueMicrotask(arrive)
  }

  #arrive(frame: Frame): void {
    frame.timer = undefined
    if (this.#closeEvent !== undefined) return
    if (this.world.isSevered(this.peer.local, this.local)) {
      this.#frames.splice(this.#frames.indexOf(frame), 1)
      this.pending -= frame.bytes.byteLength
      this.world.counts.dropped++
    } else {
      frame.arrived = true
    }
    this.flush()
  }

  /** Closed from either side: whatever is still travelling toward this end is lost. */
  #shut(code: number, reason: string): void {
    this.#closeEvent = [code, reason]
    for (const frame of this.#frames)
      if (frame.timer !== undefined) this.world.clock.clearTimeout(frame.timer)
    this.#frames = []
    this.#held = undefined
    this.pending = 0
    queueMicrotask(() => this.#notifyClose())
  }

  #notifyClose(): void {
    const handler = this.#onClose
    if (this.#notified || handler === undefined || this.#closeEvent === undefined) return
    this.#notified = true
    handler(...this.#closeEvent)
  }
}

const pairKey = (a: string, b: string): string => JSON.stringify(a < b ? [a, b] : [b, a])

/**
 * An in-memory network for fast, deterministic tests: every node of a cluster
 * in one process, with drops, duplicates, reordering, latency, partitions,
 * cuts, crashes and stalled readers injected on demand. All randomness comes
 * from `seed`, so with a test clock a run replays exactly.
 *
 * @example
 * ```ts
 * const clock = createTestClock()
 * const net = createMemoryNetwork({ clock, seed: 7 })
 * await net.transport('n1').listen!((conn) => { conn.onMessage = (bytes) => conn.send(bytes) })
 * const conn = await net.transport('n2').connect('mem://n1')
 * net.faults({ drop: 0.1, delayMs: [1, 20] })
 * conn.onMessage = (bytes) => console.log('echo', bytes)
 * conn.send(new Uint8Array([1, 2, 3]))
 * await clock.advance(50)
 * net.partition('n1', 'n2') // frames now vanish; net.heal() undoes it
 * ```
 */
export function createMemoryNetwork(options: MemoryNetworkOptions = {}): MemoryNetwork {
  const severed = new Map<string, { pair: [string, string]; cut: boolean }>()
  const world: World = {
    clock: options.clock ?? realClock,
    random: createRandom(options.seed ?? 1),
    counts: { sent: 0, delivered: 0, dropped: 0, duplicated: 0, reordered: 0, opened: 0, refused: 0 },
    paused: new Set(),
    links: new Set(),
    rates: NO_FAULTS,
    isSevered: (a, b) => severed.has(pairKey(a, b)),
  }
  const listeners = new Map<string, { accept: (connection: Connection, info: ConnectionInfo) => void }>()
  /** Every transport made for a name: a kill ends them all; a restart asks for a new one. */
  const transports = new Map<string, Transport[]>()
  const killed = new Set<Transport>()

  /** Both ends of every open connection. */
  const ends = (): MemoryConnection[] => [...world.links].flatMap((dialer) => [dialer, dialer.peer])

  const createTransport = (name: string): Transport => ({
    async connect(url: string): Promise<Connection> {
      await Promise.resolve() // never accept inside the caller's synchronous code
      const refuse = (why: string): never => {
        world.counts.refused++
        throw new Error(`cannot connect to ${url}: ${why}`)
      }
      if (killed.has(this as Transport)) refuse(`${name} was killed`)
      if (!url.startsWith(SCHEME) || url === SCHEME) refuse('malformed URL, expected mem://<name>')
      const target = url.slice(SCHEME.length)
      const block = severed.get(pairKey(name, target))
      if (block !== undefined) refuse(`${block.cut ? 'cut' : 'partitioned'} from ${name}`)
      const listener = listeners.get(target) ?? refuse('no listener')
      const dialerEnd = new MemoryConnection(world, name, target)
      const acceptorEnd = new MemoryConnection(world, target, name)
      dialerEnd.peer = acceptorEnd
      acceptorEnd.peer = dialerEnd
      world.links.add(dialerEnd)
      world.counts.opened++
      listener.accept(acceptorEnd, { remote: SCHEME + name })
      return dialerEnd
    },
    async listen(accept): Promise<Listener & AsyncDisposable> {
      if (killed.has(this as Transport)) throw new Error(`cannot listen on ${SCHEME}${name}: it was killed`)
      if (listeners.has(name)) throw new Error(`cannot listen on ${SCHEME}${name}: already bound`)
      const entry = { accept }
      listeners.set(name, entry)
      const close = async (): Promise<void> => {
        // after a kill and restart the name may belong to a newer listener
        if (listeners.get(name) === entry) listeners.delete(name)
      }
      return { url: SCHEME + name, close, [Symbol.asyncDispose]: close }
    },
  })

  return {
    transport(name) {
      if (name === '') throw new TroupeError('BAD_ARGUMENT', 'memory network: a node name cannot be empty')
      const transport = createTransport(name)
      transports.set(name, [...(transports.get(name) ?? []), transport])
      return transport
    },
    faults(rates) {
      const given = Object.entries(rates).filter(([, value]) => value !== undefined)
      const next: FaultRates = { ...world.rates, ...Object.fromEntries(given) }
      const [min, max] = next.delayMs
      const probabilities = [next.drop, next.duplicate, next.reorder]
      if (!probabilities.every((p) => p >= 0 && p <= 1) || !(min >= 0 && max >= min)) {
        throw new TroupeError(
          'BAD_ARGUMENT',
          `bad fault rates ${JSON.stringify(rates)}: want p in [0, 1], min <= max`,
        )
      }
      world.rates = { ...next, delayMs: [min, max] }
    },
    clearFaults() {
      world.rates = NO_FAULTS
    },
    partition(a, b) {
      const key = pairKey(a, b)
      severed.set(key, { pair: [a, b], cut: severed.get(key)?.cut ?? false })
    },
    cut(a, b) {
      severed.set(pairKey(a, b), { pair: [a, b], cut: true })
      for (const end of ends())
        if (end.local === a && end.peer.local === b) end.abort(ABNORMAL_CLOSURE, 'cut')
    },
    heal(a, b) {
      for (const [key, { pair }] of severed) {
        if (a === undefined || (b === undefined ? pair.includes(a) : key === pairKey(a, b)))
          severed.delete(key)
      }
    },
    kill(name) {
      listeners.delete(name)
      world.paused.delete(name)
      for (const transport of transports.get(name) ?? []) killed.add(transport)
      for (const end of ends()) if (end.local === name) end.abort(ABNORMAL_CLOSURE, 'killed')
    },
    pause(name) {
      world.paused.add(name)
    },
    resume(name) {
      world.paused.delete(name)
      for (const end of ends()) if (end.local === name) queueMicrotask(() => end.flush())
    },
    get stats() {
      return { ...world.counts }
    },
  }
}
