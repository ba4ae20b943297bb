// The e2e test page: one Troupe browser node, steered by the specs through `window.tab`.
import { createNode, isTroupeError } from '@troupe/browser'
import type {
  AskResult,
  ConnectionState,
  DeadLetterInfo,
  MemberEventInfo,
  SpanInfo,
  TabApi,
} from '../support/tabApi.js'

type BrowserNode = Awaited<ReturnType<typeof createNode>>

let node: BrowserNode | undefined
const recorders = new Map<string, unknown[]>()
const deadLetters: DeadLetterInfo[] = []
const states: ConnectionState[] = []
const memberEvents: MemberEventInfo[] = []
const status = document.getElementById('status')

const started = (): BrowserNode => {
  if (node === undefined) throw new Error('window.tab.start() has not been called')
  return node
}

const tab: TabApi = {
  async start(seeds, id, traced) {
    if (node !== undefined) throw new Error('window.tab.start() called twice')
    const tracing = traced === true ? await startTracing() : undefined
    const created = await createNode({
      seeds,
      ...(id === undefined ? {} : { id }),
      ...(tracing === undefined ? {} : { tracing }),
    })
    node = created
    created.on('connection', (state: ConnectionState) => {
      states.push(state)
      if (status !== null) status.textContent = state
    })
    created.on('deadletter', (d) => {
      deadLetters.push({ to: d.to, from: d.from, reason: d.reason, message: d.message })
    })
    for (const event of ['member-up', 'member-down', 'member-left'] as const) {
      created.on(event, (m) => memberEvents.push({ event, id: m.id, incarnation: m.incarnation }))
    }
    return created.id
  },
  spawnRecorder(name) {
    const list: unknown[] = []
    recorders.set(name, list)
    started().spawn(name, { receive: (msg) => void list.push(msg) })
  },
  spawnEcho(name) {
    started().spawn(name, { receive: (msg, ctx) => ctx.reply(msg) })
  },
  received: (name) => recorders.get(name) ?? [],
  send: (to, message, options) => started().send(to, message, options),
  sendNumbered(to, first, count, options) {
    const n = started()
    let accepted = 0
    for (let seq = first; seq < first + count; seq++) if (n.send(to, { from: n.id, seq }, options)) accepted++
    return accepted
  },
  ask: (to, message, options) => askResult(started().ask(to, message, options)),
  async tracedAsk(name, to, message) {
    const { trace } = await import('@opentelemetry/api')
    const result = await trace.getTracer('tab').startActiveSpan(name, async (root) => {
      // the ask starts before the first await: the root span is the active one
      const asked = askResult(started().ask(to, message))
      root.end()
      return asked
    })
    return { result, spans: spansFinished() }
  },
  deadLetters: () => deadLetters,
  states: () => states,
  connectionState: () => started().connectionState,
  memberEvents: () => memberEvents,
  members: () =>
    started()
      .members()
      .map((m) => ({ ...m })),
  metrics: () => started().metrics(),
  close: () => started().close(),
}

async function askResult(asked: Promise<unknown>): Promise<AskResult> {
  try {
    return { ok: true, value: await asked }
  } catch (error) {
    return isTroupeError(error)
      ? { ok: false, code: error.code, reason: error.reason, message: error.message }
      : { ok: false, code: undefined, reason: undefined, message: String(error) }
  }
}

let spansFinished: () => SpanInfo[] = () => []

/** Registers the OpenTelemetry web SDK, keeping finished spans in memory; returns the node's tracing. */
async function startTracing() {
  const { WebTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = await import(
    '@opentelemetry/sdk-trace-web'
  )
  const { openTelemetry } = await import('@troupe/core/otel')
  const exporter = new InMemorySpanExporter()
  new WebTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).register()
  spansFinished = () =>
    exporter.getFinishedSpans().map((span) => ({
      name: span.name,
      kind: span.kind,
      traceId: span.spanContext().traceId,
      spanId: span.spanContext().spanId,
      parentSpanId: span.parentSpanContext?.spanId,
    }))
  return openTelemetry()
}

window.tab = tab
if (status !== null) status.textContent = 'ready'
