// A hub (a @troupe/node node that listens) in its own process, steered by the e2e specs over IPC
// (see hubs.ts). It runs the built @troupe/node: build the packages before the e2e run.
import { createNode } from '@troupe/node'

const send = (message) => process.send?.(message)
let node
/** Per recorder actor: every message it received, in order. */
const recorders = new Map()

const spawnRecorder = (name) => {
  const list = []
  recorders.set(name, list)
  node.spawn(name, { receive: (msg) => void list.push(msg) })
}

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
      // spawned right after createNode, before any other await: they get what was held for this node
      spawnRecorder('log')
      node.spawn('echo', { receive: (msg, ctx) => ctx.reply(msg) })
      for (const event of ['member-up', 'member-down', 'member-left']) {
        node.on(event, (m) => send({ event, id: m.id, incarnation: m.incarnation, via: m.via }))
      }
      node.on('deadletter', (d) => send({ event: 'deadletter', to: d.to, from: d.from, reason: d.reason }))
      return { url: node.url }
    }
    case 'sendNumbered': {
      const { to, first, count, ttlMs } = command
      let accepted = 0
      for (let seq = first; seq < first + count; seq++) {
        if (node.send(to, { from: node.id, seq }, ttlMs === undefined ? undefined : { ttlMs })) accepted++
      }
      return { accepted }
    }
    case 'received':
      return { received: recorders.get(command.name) ?? [] }
    case 'ask':
      try {
        return {
          result: {
            ok: true,
            value: await node.ask(command.to, command.message, { timeoutMs: command.timeoutMs }),
          },
        }
      } catch (error) {
        return {
          result: {
            ok: false,
            code: error?.code,
            reason: error?.reason,
            message: String(error?.message ?? error),
          },
        }
      }
    case 'members':
      return { members: node.members() }
    case 'metrics':
      return { metrics: node.metrics() }
    case 'close':
      await node.close()
      return {}
    default:
      throw new Error(`unknown command ${command.cmd}`)
  }
}
