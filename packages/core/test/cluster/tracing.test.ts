import { SpanKind, trace } from '@opentelemetry/api'
import {
  InMemorySpanExporter,
  NodeTracerProvider,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-node'
import { memoryStorage, type Node } from '@troupe/core'
import { openTelemetry } from '@troupe/core/otel'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { type MemoryCluster, memoryCluster, settled } from './harness.js'

const exporter = new InMemorySpanExporter()
const provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
beforeAll(() => {
  provider.register()
})
afterAll(async () => {
  await provider.shutdown()
  trace.disable()
})

let cluster: MemoryCluster | undefined
afterEach(async () => {
  await cluster?.closeAll()
  cluster = undefined
  exporter.reset()
})

/** A hub, a client behind it, and a second hub, all tracing. */
async function threeNodes(): Promise<{ c: MemoryCluster; hub: Node; tab: Node; worker: Node }> {
  const c = memoryCluster()
  cluster = c
  const tracing = openTelemetry()
  const hub = await c.start('hub', [], { tracing })
  const worker = await c.start('worker', ['hub'], { tracing })
  const tab = await c.start('tab', ['hub'], { role: 'client', tracing })
  await c.run(300)
  return { c, hub, tab, worker }
}

const spanNamed = (spans: ReadableSpan[], name: string): ReadableSpan => {
  const found = spans.find((span) => span.name === name)
  if (found === undefined) throw new Error(`no span "${name}" in ${spans.map((s) => s.name).join(', ')}`)
  return found
}
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId

describe('tracing', () => {
  it('keeps one trace from a client through its hub to an actor, and on to what that actor asks', async () => {
    const { c, tab, worker } = await threeNodes()
    worker.spawn('store', { receive: (_m, ctx) => ctx.reply('stored') })
    worker.spawn('api', {
      async receive(message, ctx) {
        ctx.reply(await ctx.ask('store@worker', message))
      },
    })
    const tracer = trace.getTracer('test')
    const answer = tracer.startActiveSpan('click', async (root) => {
      try {
        return await tab.ask('api@worker', 'save')
      } finally {
        root.end()
      }
    })
    await c.run(500)
    expect(await answer).toBe('stored')
    const spans = exporter.getFinishedSpans()
    const root = spanNamed(spans, 'click')
    const client = spanNamed(spans, 'ask api@worker')
    const server = spanNamed(spans, 'handle api@worker')
    const innerClient = spanNamed(spans, 'ask store@worker')
    const innerServer = spanNamed(spans, 'handle store@worker')
    expect(new Set(spans.map((s) => s.spanContext().traceId))).toEqual(new Set([root.spanContext().traceId]))
    expect([client.kind, server.kind, innerClient.kind, innerServer.kind]).toEqual([
      SpanKind.CLIENT,
      SpanKind.SERVER,
      SpanKind.CLIENT,
      SpanKind.SERVER,
    ])
    expect(parentOf(client)).toBe(root.spanContext().spanId)
    expect(parentOf(server)).toBe(client.spanContext().spanId)
    expect(parentOf(innerClient)).toBe(server.spanContext().spanId)
    expect(parentOf(innerServer)).toBe(innerClient.spanContext().spanId)
  })

  it('carries a large traced message whole, its trace written after the body', async () => {
    const { c, tab, worker } = await threeNodes()
    worker.spawn('echo', { receive: (m, ctx) => ctx.reply(m) })
    const large = 'x'.repeat(5_000)
    const asked = trace.getTracer('test').startActiveSpan('big', (root) => {
      const both = [tab.ask('echo@worker', large), tab.ask('echo@worker', 'small')]
      root.end()
      return both
    })
    expect(await settled(c, asked)).toEqual([large, 'small'])
    expect(spanNamed(exporter.getFinishedSpans(), 'handle echo@worker').spanContext().traceId).toBe(
      spanNamed(exporter.getFinishedSpans(), 'big').spanContext().traceId,
    )
  })

  it('gives a send a PRODUCER span and its handler a CONSUMER span; fan-outs link to one span', async () => {
    const { c, tab, worker } = await threeNodes()
    for (const name of ['a', 'b']) worker.spawn(name, { started: (ctx) => ctx.join('g'), receive() {} })
    tab.group('g')
    await c.run(300)
    trace.getTracer('test').startActiveSpan('tick', (root) => {
      tab.send('a@worker', 'hello')
      tab.group('g').broadcast('all')
      root.end()
    })
    await c.run(500)
    const spans = exporter.getFinishedSpans()
    const producer = spans.filter((s) => s.name === 'send a@worker')
    const consumer = spans.filter((s) => s.name === 'receive a@worker')
    expect(producer.map((s) => s.kind)).toEqual([SpanKind.PRODUCER, SpanKind.PRODUCER])
    expect(consumer.map((s) => s.kind)).toEqual([SpanKind.CONSUMER, SpanKind.CONSUMER])
    const fanOut = spanNamed(spans, 'broadcast g')
    const linked = spans.filter((s) => s.links.some((l) => l.context.spanId === fanOut.spanContext().spanId))
    expect(linked.map((s) => s.name).sort()).toEqual(['send a@worker', 'send b@worker'])
  })

  it('traces an ask to an entity to the handler of its activation, wherever it lives', async () => {
    const c = memoryCluster()
    cluster = c
    const tracing = openTelemetry()
    const storage = memoryStorage({ clock: c.clock })
    const hub = await c.start('hub', [], { tracing, storage })
    hub.define('counter', () => ({ receive: (_m, ctx) => ctx.reply('ok') }))
    const tab = await c.start('tab', ['hub'], { role: 'client', tracing })
    await c.run(300)
    const answer = trace.getTracer('test').startActiveSpan('click', (root) => {
      const asked = tab.entity('counter', 'k').ask('inc')
      root.end()
      return asked
    })
    await c.run(500)
    expect(await answer).toBe('ok')
    const spans = exporter.getFinishedSpans()
    const client = spanNamed(spans, 'ask entity:counter:k')
    const server = spans.find((s) => s.kind === SpanKind.SERVER)
    expect(server?.name).toMatch(/^handle entity:counter/)
    expect(parentOf(server!)).toBe(client.spanContext().spanId)
    expect(server!.spanContext().traceId).toBe(spanNamed(spans, 'click').spanContext().traceId)
  })

  it('skips the hooks while no SDK is registered, and traces once one is, without a new node', async () => {
    trace.disable()
    try {
      const c = memoryCluster()
      cluster = c
      const tracing = openTelemetry()
      const node = await c.start('solo', [], { tracing })
      node.spawn('sink', { receive() {} })
      node.send('sink@solo', 1)
      expect(tracing.dormant).toBe(true) // for the rest of this turn, sends do not call the hooks
      await c.run(10)
      expect(tracing.dormant).toBe(false) // looked at again on the next turn
      provider.register()
      await trace.getTracer('test').startActiveSpan('outer', async (outer) => {
        node.send('sink@solo', 2)
        outer.end()
      })
      await c.run(50)
      expect(exporter.getFinishedSpans().map((span) => span.name)).toContain('send sink@solo')
    } finally {
      provider.register()
    }
  })

  it('creates nothing and sends nothing outside a trace', async () => {
    const { c, tab, worker } = await threeNodes()
    let active: unknown = 'not run'
    worker.spawn('probe', {
      receive() {
        active = trace.getActiveSpan()
      },
    })
    tab.send('probe@worker', 1)
    await c.run(300)
    expect(active).toBeUndefined()
    expect(exporter.getFinishedSpans()).toEqual([])
  })
})
