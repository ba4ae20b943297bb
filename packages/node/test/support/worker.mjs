// A cluster node in its own process, steered by its parent over IPC. Used by the
// integration tests: real processes, real sockets, SIGKILL for real.
// It runs the built package (npm test builds first).
import { openSync, writeSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createNode } from '@troupe/node'

const send = (message) => process.send?.(message)
let node
/** Per sender node: the numbers received, to check order and count duplicates. */
const received = new Map()
/** The stream started by 'streamStart', while it runs. */
let streaming
/** The file descriptor 'startLogged' writes its log to. */
let logFd

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
    case 'startLogged': {
      // like 'start', but the log actor writes every message it handles to `logFile` at once (a write(2), so
      // a SIGKILL right after loses nothing it handled), and dead letters are reported with the message.
      // `clientHosts` (client id -> the Host header its connection must carry) makes this hub admit only
      // those clients, each only through that address, and refuse others with 4503 (they try another hub)
      const { options, logFile, clientHosts } = command
      const authenticate =
        clientHosts === undefined
          ? undefined
          : ({ nodeId, role, request }) => {
              if (role === 'hub' || clientHosts[nodeId] === request.headers?.host) return nodeId
              throw new Error(`client "${nodeId}" is not admitted here`)
            }
      node = await createNode({ ...options, ...(authenticate === undefined ? {} : { authenticate }) })
      logFd = openSync(logFile, 'a')
      // spawned right after createNode: gets what was held for this node while it was away
      node.spawn('log', {
        receive(msg) {
          writeSync(logFd, `${msg.from} ${msg.run} ${msg.seq}\n`)
        },
      })
      node.spawn('echo', { receive: (msg, ctx) => ctx.reply(msg) })
      for (const event of ['member-up', 'member-down', 'member-left']) {
        node.on(event, (m) => send({ event, id: m.id, incarnation: m.incarnation, at: Date.now() }))
      }
      node.on('deadletter', (d) =>
        send({ event: 'deadletter', to: d.to, reason: d.reason, message: d.message, at: Date.now() }),
      )
      return { url: node.url, incarnation: node.members()[0]?.incarnation }
    }
    case 'streamStart': {
      // `{ from, run, seq }` to every target, `perTick` each every `tickMs`, until 'streamStop'; seq counts per
      // target from 0. Honours backpressure. Reports the counts sent so far (a 'sent' event) every 200 ms
      const { targets, perTick, tickMs, ttlMs, run = 0 } = command
      if (streaming !== undefined) throw new Error('already streaming')
      const state = { stop: false, sent: Object.fromEntries(targets.map((to) => [to, 0])) }
      streaming = state
      const options = ttlMs === undefined ? undefined : { ttlMs }
      void (async () => {
        let reported = 0
        while (!state.stop) {
          for (const to of targets) {
            for (let i = 0; i < perTick && !state.stop; i++) {
              const seq = state.sent[to]
              state.sent[to] = seq + 1
              if (!node.send(to, { from: node.id, run, seq }, options)) await node.drain(to)
            }
          }
          if (Date.now() - reported >= 200) {
            reported = Date.now()
            send({ event: 'sent', run, sent: { ...state.sent }, at: reported })
          }
          await new Promise((resolve) => setTimeout(resolve, tickMs))
        }
      })()
      return {}
    }
    case 'streamStop': {
      // the loop checks `stop` before every send, so these counts are final
      const state = streaming
      if (state === undefined) throw new Error('not streaming')
      state.stop = true
      streaming = undefined
      return { sent: { ...state.sent } }
    }
    case 'memory': {
      if (command.gc) {
        setFlagsFromString('--expose-gc')
        runInNewContext('gc')()
      }
      return { memory: process.memoryUsage() }
    }
    default:
      throw new Error(`unknown command ${command.cmd}`)
  }
}
