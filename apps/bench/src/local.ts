/**
 * Local messaging: Troupe's `send` → handler and `ask` round trips, next to a
 * plain eventemitter3 emit loop doing the same work in the same process.
 */
import { createNode } from '@troupe/core'
import { EventEmitter } from 'eventemitter3'
import { formatRate, median, perSecond, printTable } from './shared/stats.js'

const MESSAGES = 2_000_000
const BURST = 8_192 // below the default mailbox capacity, so no message is dropped
const ASKS = 200_000
const RUNS = 5

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

async function troupeSend(byAddress: boolean): Promise<number> {
  const node = await createNode({ id: 'bench' })
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

export async function benchLocal(): Promise<void> {
  console.log(
    `\n## Local messaging (median of ${RUNS} runs; ${MESSAGES.toLocaleString()} messages, ${ASKS.toLocaleString()} asks)\n`,
  )
  const emit = await median(RUNS, emitLoop)
  const send = await median(RUNS, () => troupeSend(false))
  const sendByAddress = await median(RUNS, () => troupeSend(true))
  const ask = await median(RUNS, troupeAsk)
  printTable([
    ['workload', 'rate', 'emit loop / this'],
    ['eventemitter3 emit → listener', formatRate(emit), '1.00×'],
    ['troupe ref.send → handler', formatRate(send), `${(emit / send).toFixed(2)}×`],
    [
      'troupe node.send(address) → handler',
      formatRate(sendByAddress),
      `${(emit / sendByAddress).toFixed(2)}×`,
    ],
    ['troupe ask round trip (sequential)', formatRate(ask), `${(emit / ask).toFixed(2)}×`],
  ])
  console.log(`\ntarget: ref.send within 3× of the emit loop — ${emit / send <= 3 ? 'met' : 'NOT met'}`)
}
