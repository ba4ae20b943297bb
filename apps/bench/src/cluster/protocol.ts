/**
 * What the cluster benchmark's driver and its worker processes say to each
 * other over the IPC channel, and the message the workers' actors exchange.
 */

/** The stacks the benchmark compares. */
export const STACKS = ['ws', 'socketio', 'troupe'] as const

/** One of {@link STACKS}. */
export type StackName = (typeof STACKS)[number]

/** The phases, run in this order; `warmup` is paced like `latency` and not reported. */
export type PhaseName = 'warmup' | 'latency' | 'throughput'

/** The message one actor sends another, kept small on purpose. */
export interface BenchMessage {
  /** Index of the receiving actor on its process. */
  to: number
  /** Index of the sending actor on its process. */
  from: number
  seq: number
  /** `machineNow()` at the sender, comparable across processes. */
  sentAt: number
}

/** A worker listening and connected to the workers started before it. */
export interface PeerInfo {
  index: number
  url: string
}

/** Driver → worker. */
export type DriverMessage =
  | {
      type: 'start'
      stack: StackName
      index: number
      /** Workers in the cluster, this one included. */
      workers: number
      /** Actors per worker. */
      actors: number
      /** The workers already listening, in start order. */
      peers: PeerInfo[]
    }
  | {
      type: 'run'
      phase: PhaseName
      /** Messages per second this worker sends; not for `throughput`. */
      rate: number
      seconds: number
      /** Wall-clock time (same clock as {@link BenchMessage.sentAt}) at which every worker starts. */
      startAt: number
    }
  | { type: 'collect' }
  | { type: 'stop' }

/** Worker → driver. */
export type WorkerMessage =
  | { type: 'listening'; url: string }
  | { type: 'ready' }
  | {
      type: 'phase-done'
      sent: number
      /** Messages its actors received between the phase's start and end. */
      receivedInWindow: number
      /** CPU time (user + system) spent during the phase, in ms. */
      cpuMs: number
      wallMs: number
    }
  | {
      type: 'collected'
      /** Messages its actors received since the phase started, late ones included. */
      received: number
      /** One-way latencies of those messages, see `Histogram.toJSON`. */
      latency: [number, number][]
      /** Messages the stack itself reports as undeliverable, if it can tell. */
      deadLetters: number
    }
  | { type: 'error'; message: string }
