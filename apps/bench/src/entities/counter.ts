/**
 * What the entity benchmark runs on its hubs: a counter entity kind and a
 * plain counter actor that answer alike, so that asks to either differ only
 * by what entities add (placement, activation, a saved state per change).
 */
import type { Node } from '@troupe/node'

/** The entity kind every hub defines. */
export const KIND = 'counter'
/** The plain actor every hub spawns: `plain@<hub>`. */
export const PLAIN = 'plain'

/** `inc` adds one to the key's count (a change: an entity saves it); `get` only reads it. */
export interface CounterMessage {
  op: 'inc' | 'get'
  key: string
  /** Numbers the caller's increments of one key, so an answer tells which message was applied before it. */
  seq?: number
}

/** The count after the message, and the node that handled it. */
export interface CounterReply {
  n: number
  on: string
  /** The `seq` of the increment applied before this message (entities only). */
  previous?: number | undefined
}

interface CounterState {
  n?: number
  /** The `seq` of the last increment applied. */
  last?: number
}

/** Defines the `counter` kind on `node` (which needs storage). */
export function defineCounter(node: Node): void {
  node.define<CounterMessage, CounterReply, CounterState>(KIND, () => ({
    receive(message, ctx) {
      const previous = ctx.state.last
      if (message.op === 'inc') {
        ctx.state.n = (ctx.state.n ?? 0) + 1
        if (message.seq !== undefined) ctx.state.last = message.seq
      }
      ctx.reply({ n: ctx.state.n ?? 0, on: node.id, previous })
    },
  }))
}

/** Spawns the plain counter actor on `node`: the same counts, kept in memory by one actor. */
export function spawnPlainCounter(node: Node): void {
  const counts = new Map<string, number>()
  node.spawn<CounterMessage, CounterReply>(PLAIN, {
    receive(message, ctx) {
      const n = (counts.get(message.key) ?? 0) + (message.op === 'inc' ? 1 : 0)
      counts.set(message.key, n)
      ctx.reply({ n, on: node.id })
    },
  })
}
