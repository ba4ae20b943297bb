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
  /** The `seq`s of the last increments applied, this one included (entities only, messages with a `seq`). */
  seqs?: number[] | undefined
  /** Names the activation that answered (entities only): a new one each time the entity is activated. */
  activation?: string
}

interface CounterState {
  n?: number
  /** The `seq`s of the last increments applied, oldest first. */
  seqs?: number[]
}

const SEQS_KEPT = 4

/** Defines the `counter` kind on `node` (which needs storage). */
export function defineCounter(node: Node): void {
  let activations = 0
  node.define<CounterMessage, CounterReply, CounterState>(KIND, () => {
    const activation = `${node.id}#${++activations}`
    return {
      receive(message, ctx) {
        if (message.op === 'inc') {
          ctx.state.n = (ctx.state.n ?? 0) + 1
          if (message.seq !== undefined)
            ctx.state.seqs = [...(ctx.state.seqs ?? []), message.seq].slice(-SEQS_KEPT)
        }
        ctx.reply({ n: ctx.state.n ?? 0, on: node.id, seqs: ctx.state.seqs, activation })
      },
    }
  })
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
