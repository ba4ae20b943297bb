// A cluster node in its own process, steered by its parent over IPC (see nodeWorker.ts): real
// processes, real sockets, SIGKILL for real. It runs the built @troupe/node (`npm test` builds first).
//
// Every node has a recorder `log` (it keeps each message in order, or with `logFile` writes
// `from run seq` lines to that file) and an `echo` actor, both spawned right after createNode so
// they get what was held for this node while it was away. It reports member events and dead letters.
import { openSync, writeSync } from 'node:fs'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createNode, natsStorage, sqliteStorage } from '@troupe/node'

const send = (message) => process.send?.(message)
let node
/** Per recorder name: every message it received, in order. */
const recorders = new Map()
/** The stream started by 'stream', while it runs. */
let streaming

process.on('message', async (command) => {
  try {
    send({ reply: command.ask, ...(await handle(command)) })
  } catch (error) {
    send({ reply: command.ask, error: String(error?.stack ?? error) })
  }
})

const spawnRecorder = (name) => {
  const list = []
  recorders.set(name, list)
  node.spawn(name, { receive: (msg) => void list.push(msg) })
}

const delay = (ms) => new Promise((resolve) => setTimeout(resolve, ms))

async function handle(command) {
  switch (command.cmd) {
    case 'start': {
      // `clientHosts` (client id -> the Host header its connection must carry) makes this hub admit only
      // those clients, each only through that address, and refuse others with 4503 (they try another hub);
      // hubs get in with the hub secret, before this hook is asked
      // `sqlite` (a file) gives the node SQLite storage, `nats` ({ servers, bucket, leaseTtlMs }) NATS
      // storage, and `counter` defines the `counter` entity kind:
      // its state is { n }, 'inc' adds one, and every message is answered with n and this node's id
      const { options, logFile, clientHosts, sqlite, nats, counter } = command
      const authenticate =
        clientHosts === undefined
          ? undefined
          : ({ nodeId, role, request }) => {
              if (role === 'hub') return false
              if (clientHosts[nodeId] === request.headers?.host) return nodeId
              throw new Error(`client "${nodeId}" is not admitted here`)
            }
      const storage =
        sqlite !== undefined ? sqliteStorage(sqlite) : nats !== undefined ? natsStorage(nats) : undefined
      node = await createNode({
        ...options,
        ...(authenticate === undefined ? {} : { authenticate }),
        ...(storage === undefined ? {} : { storage }),
      })
      if (counter === true) {
        node.define('counter', (key) => ({
          started: () => send({ event: 'activated', key, at: Date.now() }),
          receive(msg, ctx) {
            if (msg === 'inc') ctx.state.n = (ctx.state.n ?? 0) + 1
            ctx.reply({ n: ctx.state.n ?? 0, on: node.id })
          },
        }))
      }
      if (logFile === undefined) spawnRecorder('log')
      else {
        // a write(2) per message: a SIGKILL right after loses nothing it handled
        const fd = openSync(logFile, 'a')
        node.spawn('log', { receive: (msg) => void writeSync(fd, `${msg.from} ${msg.run} ${msg.seq}\n`) })
      }
      node.spawn('echo', { receive: (msg, ctx) => ctx.reply(msg) })
      for (const event of ['member-up', 'member-down', 'member-left']) {
        node.on(event, (m) =>
          send({ event, id: m.id, incarnation: m.incarnation, via: m.via, at: Date.now() }),
        )
      }
      node.on('deadletter', (d) =>
        send({
          event: 'deadletter',
          to: d.to,
          from: d.from,
          reason: d.reason,
          message: d.message,
          at: Date.now(),
        }),
      )
      return { url: node.url, incarnation: node.members()[0]?.incarnation }
    }
    case 'spawnRecorder':
      spawnRecorder(command.name)
      return {}
    case 'stream': {
      // `{ from, run, seq }` to every target, `perTick` each every `tickMs`, seq counting per target from 0,
      // honouring backpressure; until `count` per target (then a 'streamed' event) or until 'streamStop'.
      // Reports the counts sent so far (a 'sent' event) every 200 ms
      const { targets, perTick, tickMs, ttlMs, count = Number.POSITIVE_INFINITY, run = 0 } = command
      if (streaming !== undefined) throw new Error('already streaming')
      const state = { stop: false, sent: Object.fromEntries(targets.map((to) => [to, 0])) }
      streaming = state
      const options = ttlMs === undefined ? undefined : { ttlMs }
      void (async () => {
        let reported = 0
        while (!state.stop && targets.some((to) => state.sent[to] < count)) {
          for (const to of targets) {
            for (let i = 0; i < perTick && !state.stop && state.sent[to] < count; i++) {
              const seq = state.sent[to]
              state.sent[to] = seq + 1
              if (!node.send(to, { from: node.id, run, seq }, options)) await node.drain(to)
            }
          }
          if (Date.now() - reported >= 200) {
            reported = Date.now()
            send({ event: 'sent', run, sent: { ...state.sent }, at: reported })
          }
          await delay(tickMs)
        }
        if (!state.stop) {
          streaming = undefined
          send({ event: 'streamed', run, sent: { ...state.sent }, at: Date.now() })
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
    case 'spawnGroupMembers': {
      // actors `names` joining group `group`; each reports a 'job' event when a message arrives, then answers
      // `{ by: <its address>, job }` after `holdMs` (default at once)
      const { group, names, holdMs = 0 } = command
      for (const name of names) {
        const by = `${name}@${node.id}`
        node.spawn(name, {
          started: (ctx) => ctx.join(group),
          async receive(msg, ctx) {
            send({ event: 'job', by, job: msg?.job, at: Date.now() })
            if (holdMs > 0) await delay(holdMs)
            ctx.reply({ by, job: msg?.job })
          },
        })
      }
      return {}
    }
    case 'sendNumbered': {
      const { to, first, count, ttlMs } = command
      let accepted = 0
      for (let seq = first; seq < first + count; seq++) {
        if (node.send(to, { from: node.id, seq }, ttlMs === undefined ? undefined : { ttlMs })) accepted++
      }
      return { accepted }
    }
    case 'received': {
      // every message recorder `name` got, or with `from` only the seqs of the numbered ones from that node
      const list = recorders.get(command.name ?? 'log') ?? []
      if (command.from === undefined) return { received: list }
      return { received: list.filter((m) => m?.from === command.from).map((m) => m.seq) }
    }
    case 'askEntity':
      try {
        const ref = node.entity(command.kind, command.key)
        return {
          result: { ok: true, value: await ref.ask(command.message, { timeoutMs: command.timeoutMs }) },
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
    case 'memory': {
      if (command.gc) {
        setFlagsFromString('--expose-gc')
        runInNewContext('gc')()
      }
      return { memory: process.memoryUsage() }
    }
    case 'close':
      await node.close()
      return {}
    default:
      throw new Error(`unknown command ${command.cmd}`)
  }
}
