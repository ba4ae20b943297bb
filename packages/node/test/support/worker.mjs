// A cluster node in its own process, steered by its parent over IPC. Used by the
// integration tests: real processes, real sockets, SIGKILL for real.
// It runs the built package (npm test builds first).
import { createNode } from '@troupe/node'

const send = (message) => process.send?.(message)
let node
/** Per sender node: the numbers received, to check order and count duplicates. */
const received = new Map()

process.on('message', async (command) => {
  try {
    send({ reply: command.ask, ...(await handle(command)) })
  } catch (error) {
    send({ reply: command.ask, error: String(error?.stack ?? error) })
  }
})

async function handle(command) {
  switch (command.cmd) {
    case 'start': {
      node = await createNode(command.options)
      // spawned right after createNode: gets what was held for this node while it was away
      node.spawn('log', {
        receive(msg) {
          const list = received.get(msg.from) ?? []
          list.push(msg.seq)
          received.set(msg.from, list)
        },
      })
      node.spawn('echo', { receive: (msg, ctx) => ctx.reply(msg) })
      for (const event of ['member-up', 'member-down', 'member-left']) {
        node.on(event, (m) => send({ event, id: m.id, incarnation: m.incarnation, at: Date.now() }))
      }
      node.on('deadletter', (d) => send({ event: 'deadletter', to: d.to, reason: d.reason }))
      return { url: node.url }
    }
    case 'stream': {
      // `count` numbered messages to `to`, `perTick` every `tickMs`, honouring backpressure
      const { to, count, perTick, tickMs } = command
      void (async () => {
        for (let seq = 0; seq < count; ) {
          for (let i = 0; i < perTick && seq < count; i++, seq++) {
            if (!node.send(to, { from: node.id, seq })) await node.drain(to)
          }
          await new Promise((resolve) => setTimeout(resolve, tickMs))
        }
        send({ event: 'streamed', to })
      })()
      return {}
    }
    case 'received':
      return { received: Object.fromEntries(received) }
    case 'members':
      return { members: node.members() }
    case 'metrics':
      return { metrics: node.metrics() }
    case 'ask':
      return { answer: await node.ask(command.to, command.message, { timeoutMs: command.timeoutMs }) }
    case 'close':
      await node.close()
      return {}
    default:
      throw new Error(`unknown command ${command.cmd}`)
  }
}
