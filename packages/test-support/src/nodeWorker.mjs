// A cluster node in its own process, steered by its parent over IPC (see nodeWorker.ts): real
// processes, real sockets, SIGKILL for real. It runs the built @troupe/node (`npm test` builds first).
//
// Every node has a recorder `log` (it keeps each message in order, or with `logFile` writes
// `from run seq` lines to that file) and an `echo` actor, both spawned right after createNode so
// they get what was held for this node while it was away. It reports member events and dead letters.
import { openSync, writeSync } from 'node:fs'
import { monitorEventLoopDelay } from 'node:perf_hooks'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { createNode, natsStorage, sqliteStorage } from '@troupe/node'

const send = (message) => process.send?.(message)
let node
/** Per recorder name: every message it received, in order. */
const recorders = new Map()
/** The stream started by 'stream', while it runs. */
let streaming
/** Per sink name (see 'spawnSink'): how many messages it handled. */
const sinks = new Map()

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

/** How the ask `ask()` makes ended, as plain data: its reply, or its error's code, reason and message. */
async function outcomeOf(ask) {
  try {
    return { ok: true, value: await ask() }
  } catch (error) {
    return { ok: false, code: error?.code, reason: error?.reason, message: String(error?.message ?? error) }
  }
}

/**
 * The `authenticate` hook a hub gets from `start`'s `authenticate` option (hooks cannot cross IPC):
 * - `{ mode: 'any' }`: every token gets in, as a principal named by the token (or the node id): a naive app;
 * - `{ mode: 'delay', delayMs }`: the same, answered after `delayMs`;
 * - `{ mode: 'never' }`: never answers.
 */
function authenticateFor(spec) {
  if (spec === undefined) return undefined
  const principal = ({ nodeId, token }) => token ?? `user-${nodeId}`
  switch (spec.mode) {
    case 'any':
      return principal
    case 'delay':
      return async (request) => {
        await delay(spec.delayMs)
        return principal(request)
      }
    case 'never':
      return () => new Promise(() => {})
    default:
      throw new Error(`unknown authenticate mode ${spec.mode}`)
  }
}

/** Figures of `samples` (sorted here): count, median, 95th percentile and max. */
function summary(samples) {
  const sorted = [...samples].sort((a, b) => a - b)
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
  return { count: sorted.length, p50: at(0.5), p95: at(0.95), max: sorted.at(-1) }
}

/** The running memory sampler (see 'memorySampler'). */
let sampler
/** The running latency probe (see 'probe'). */
let probing

async function handle(command) {
  switch (command.cmd) {
    case 'start': {
      // `clientHosts` (client id -> the Host header its connection must carry) makes this hub admit only
      // those clients, each only through that address, and refuse others with 4503 (they try another hub);
      // hubs get in with the hub secret, before this hook is asked
      // `sqlite` (a file) gives the node SQLite storage, `nats` ({ servers, bucket, leaseTtlMs }) NATS
      // storage, and `counter` defines the `counter` entity kind:
      // its state is { n }, 'inc' adds one, and every message is answered with n and this node's id
      // `traced` registers the OpenTelemetry SDK with an in-memory exporter (read with `spans`), traces
      // the node, and spawns `api`, which answers by asking `echo`
      const { options, logFile, clientHosts, sqlite, nats, counter, traced } = command
      const authenticate =
        clientHosts === undefined
          ? authenticateFor(command.authenticate)
          : ({ nodeId, role, request }) => {
              if (role === 'hub') return false
              if (clientHosts[nodeId] === request.headers?.host) return nodeId
              throw new Error(`client "${nodeId}" is not admitted here`)
            }
      const storage =
        sqlite !== undefined ? sqliteStorage(sqlite) : nats !== undefined ? natsStorage(nats) : undefined
      const tracing = traced === true ? await startTracing() : undefined
      node = await createNode({
        ...options,
        ...(tracing === undefined ? {} : { tracing }),
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
      if (traced === true)
        node.spawn('api', { receive: async (msg, ctx) => ctx.reply(await ctx.ask(`echo@${node.id}`, msg)) })
      for (const event of ['member-up', 'member-down', 'member-left']) {
        node.on(event, (m) =>
          send({ event, id: m.id, incarnation: m.incarnation, via: m.via, at: Date.now() }),
        )
      }
      // `quiet`: no event per dead letter (a flood's would swamp the IPC channel); metrics count them
      if (!command.quiet)
        node.on('deadletter', (d) =>
          send({
            event: 'deadletter',
            to: d.to,
            from: d.from,
            reason: d.reason,
            message: d.message,
            detail: d.detail,
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
      return {
        result: await outcomeOf(() =>
          node.entity(command.kind, command.key).ask(command.message, { timeoutMs: command.timeoutMs }),
        ),
      }
    case 'ask':
      return {
        result: await outcomeOf(() =>
          node.ask(command.to, command.message, { timeoutMs: command.timeoutMs }),
        ),
      }
    case 'spawnSlow': {
      // answers every ask after `delayMs`, with `{ slow: message }`
      const { name, delayMs } = command
      node.spawn(name, {
        receive: async (msg, ctx) => {
          await delay(delayMs)
          ctx.reply({ slow: msg })
        },
      })
      return {}
    }
    case 'spawnSink': {
      // a mailbox of `capacity` and a handler that takes `delayMs` per message; 'sinkCount' tells how many it handled
      const { name, capacity, delayMs } = command
      const handled = { count: 0 }
      sinks.set(name, handled)
      node.spawn(
        name,
        {
          receive: async () => {
            await delay(delayMs)
            handled.count++
          },
        },
        { mailbox: { capacity } },
      )
      return {}
    }
    case 'sinkCount':
      return { count: sinks.get(command.name)?.count ?? 0 }
    case 'probe': {
      // `start`: asks `to` one ask at a time (a pause of `intervalMs` between two) until `stop`, which
      // returns the latencies' figures
      if (command.action === 'start') {
        if (probing !== undefined) throw new Error('already probing')
        const { to, intervalMs = 20, timeoutMs = 5_000 } = command
        const state = { stop: false, latencies: [], failures: 0, done: undefined }
        probing = state
        state.done = (async () => {
          while (!state.stop) {
            const started = performance.now()
            try {
              await node.ask(to, 'probe', { timeoutMs })
              state.latencies.push(performance.now() - started)
            } catch {
              state.failures++
            }
            await delay(intervalMs)
          }
        })()
        return {}
      }
      const state = probing
      if (state === undefined) throw new Error('not probing')
      probing = undefined
      state.stop = true
      await state.done
      return { ...summary(state.latencies), failures: state.failures }
    }
    case 'memorySampler': {
      // `start` samples process.memoryUsage() every `everyMs`; `stop` returns the peaks seen meanwhile
      if (command.action === 'start') {
        const peaks = { rss: 0, heapUsed: 0, arrayBuffers: 0, external: 0 }
        const sample = () => {
          const usage = process.memoryUsage()
          for (const key of Object.keys(peaks)) peaks[key] = Math.max(peaks[key], usage[key])
        }
        sample()
        // how long the event loop was held up meanwhile, too: what a flood costs everyone else on the node
        const loop = monitorEventLoopDelay({ resolution: 10 })
        loop.enable()
        sampler = { peaks, loop, timer: setInterval(sample, command.everyMs ?? 20) }
        return {}
      }
      if (sampler === undefined) throw new Error('no memory sampler running')
      clearInterval(sampler.timer)
      const { peaks, loop } = sampler
      loop.disable()
      sampler = undefined
      return {
        peaks: { ...peaks, loopDelayMaxMs: loop.max / 1e6, loopDelayP99Ms: loop.percentile(99) / 1e6 },
      }
    }
    case 'internals': {
      // counts read from the node's private state, for tests that bound what a hub keeps (they fail loudly
      // if the names change); `askIds` are the ids of the asks this node is waiting on
      const delivery = node.delivery
      const receiver = delivery.receiver
      const backlogs = {}
      for (const [origin, stream] of receiver.in) {
        if (stream.backlog !== undefined) backlogs[origin] = stream.backlog.length
      }
      return {
        internals: {
          outStreams: delivery.out.size,
          inStreams: receiver.in.size,
          backlogs,
          backlogBytes: receiver.backlogBytes,
          // links whose queue refused data, with the streams waiting for them to have room again
          blockedLinks: [...delivery.blocked.keys()].map((link) => link.peerId),
          askIds: [...node.asks.pending.keys()],
          members: node.members().length,
        },
      }
    }
    case 'spans':
      return { spans: (spanExporter?.getFinishedSpans() ?? []).map(spanInfo) }
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
    case 'cpu':
      return { cpu: process.cpuUsage() }
    case 'close':
      await node.close()
      return {}
    default:
      throw new Error(`unknown command ${command.cmd}`)
  }
}

let spanExporter

/** Registers the OpenTelemetry SDK, exporting to memory; returns the node's tracing. */
async function startTracing() {
  const { NodeTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import(
    '@opentelemetry/sdk-trace-node'
  )
  const { openTelemetry } = await import('@troupe/core/otel')
  spanExporter = new InMemorySpanExporter()
  new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(spanExporter)] }).register()
  return openTelemetry()
}

/** A finished span as plain data. */
function spanInfo(span) {
  const { traceId, spanId } = span.spanContext()
  return { name: span.name, kind: span.kind, traceId, spanId, parentSpanId: span.parentSpanContext?.spanId }
}
