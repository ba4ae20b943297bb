// A tour of the local actor runtime: spawn, send, ask, supervision, dead letters.
import { createNode } from '@troupe/core'

const node = await createNode({ id: 'demo' })
node.on('deadletter', (d) =>
  console.log(`  dead letter to ${d.to}: ${JSON.stringify(d.message)} (${d.reason})`),
)
node.on('actor-error', (e) => console.log(`  ${e.address} failed: ${e.error.message} → ${e.action}`))

console.log('1. a printer actor, sent to by ref and by address')
const printer = node.spawn('printer', { receive: (msg) => console.log(`  printer got: ${msg.text}`) })
printer.send({ text: 'hello by ref' })
node.send('printer@demo', { text: 'hello by address' })
await node.ask('printer@demo', { text: 'and an ask nobody answers' }, { timeoutMs: 100 }).catch((e) => {
  console.log(`  ask rejected: ${e.code} — ${e.message}`)
})

console.log('2. a counter whose state resets when it restarts after a failure')
const counter = node.spawn('counter', () => {
  let count = 0
  return {
    receive(msg, ctx) {
      if (msg === 'boom') throw new Error('boom')
      if (msg === 'inc') count++
      if (msg === 'get') ctx.reply(count)
    },
  }
})
counter.send('inc')
counter.send('inc')
console.log(`  count = ${await counter.ask('get')}`)
counter.send('boom')
console.log(`  count after restart = ${await counter.ask('get')}`)

console.log('3. messages nobody can take')
node.send('ghost@demo', 'anyone there?')
await node.ask('ghost@demo', 'still nobody?').catch((e) => console.log(`  ask rejected at once: ${e.code}`))

console.log('4. metrics', JSON.stringify(node.metrics()))
await node.close()
console.log('closed')
