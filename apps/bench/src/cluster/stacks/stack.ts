/**
 * The one interface the worker drives, so the three stacks run the very same
 * load: each stack only moves {@link BenchMessage}s between processes.
 */
import type { BenchMessage, PeerInfo } from '../protocol.js'

/** An "actor": receives the messages addressed to its index. */
export type ActorHandler = (message: BenchMessage) => void

/** What a stack needs to join the benchmark cluster. */
export interface StackOptions {
  /** This worker's index, 0-based; its node id is `w${index}`. */
  index: number
  /** Workers in the cluster, this one included. */
  workers: number
  /** The workers already listening, in start order. */
  peers: PeerInfo[]
  /** This worker's actors, by index. */
  actors: Map<number, ActorHandler>
}

/** A started stack: listening, and connecting to its peers. */
export interface Stack {
  /** The URL other workers connect to. */
  readonly url: string
  /** Resolves once this worker can reach every other worker and every other can reach it. */
  readonly ready: Promise<void>
  /**
   * Sends `message` to actor `message.to` of worker `worker`. Returns false
   * when the link to that worker holds more than its high-water mark; the
   * message is still sent.
   */
  send(worker: number, message: BenchMessage): boolean
  /** Resolves when the link to `worker` is back under its low-water mark. */
  drain(worker: number): Promise<void>
  /** Messages the stack itself reports as undeliverable; 0 when it cannot tell. */
  deadLetters(): number
  close(): Promise<void>
}

/** Starts a stack; each module under `stacks/` exports one as `start`. */
export type StartStack = (options: StackOptions) => Promise<Stack>
