/**
 * Tracing over OpenTelemetry: `createNode({ tracing: openTelemetry() })`.
 * Needs `@opentelemetry/api` (a peer dependency) and, for spans to be
 * recorded, an SDK the app registers; without one nothing is created.
 *
 * @packageDocumentation
 */
import {
  type Context,
  context,
  createTraceState,
  isSpanContextValid,
  type Link,
  ProxyTracerProvider,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type Tracer,
  trace,
} from '@opentelemetry/api'
import { queueMicrotask } from './host.js'
import type { FanOutSpan, OutgoingSpan, Tracing } from './tracing/tracing.js'

/** Options of {@link openTelemetry}. */
export interface OpenTelemetryOptions {
  /** The tracer's name. @default 'troupe' */
  tracerName?: string
}

/** W3C `traceparent`: version 00, 32 hex trace id, 16 hex span id, 2 hex flags. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/

/**
 * A {@link Tracing} over `@opentelemetry/api`. Within an active span, a send
 * makes a PRODUCER span and an ask a CLIENT span (ended when it is answered),
 * and the message carries their W3C context (`traceparent`, and `tracestate`
 * if any) — written and read here, so it works without a registered
 * propagator. The handler on the receiving node runs in a CONSUMER (send) or
 * SERVER (ask) span, the child of the sender's, and is the active span while
 * it runs, so what it sends stays in the trace. A group's `broadcast` and
 * `askAll` make one span its messages link to. Outside any span nothing is
 * created and messages carry nothing.
 *
 * @example
 * ```ts
 * import { createNode } from '@troupe/core'
 * import { openTelemetry } from '@troupe/core/otel'
 *
 * const node = await createNode({ id: 'n1', tracing: openTelemetry() })
 * await node.close()
 * ```
 */
export function openTelemetry(options: OpenTelemetryOptions = {}): Tracing {
  const name = options.tracerName ?? 'troupe'
  // looked up on use: the app may register its SDK after making the node
  const tracer = (): Tracer => trace.getTracer(name)
  const fanOuts = new WeakMap<FanOutSpan, Span>()
  // whether an SDK is registered, looked up once per turn of the event loop: without one, a send costs
  // one check (the API's own look-ups would cost a fast local send a third of its time)
  let sdk: boolean | undefined
  const lookUpSdk = (): boolean => {
    const provider = trace.getTracerProvider()
    sdk = !(provider instanceof ProxyTracerProvider) || provider.getDelegateTracer(name) !== undefined
    hooks.dormant = !sdk
    queueMicrotask(() => {
      sdk = undefined
      hooks.dormant = false
    })
    return sdk
  }
  const sdkRegistered = (): boolean => sdk ?? lookUpSdk()

  // apart from the check, so that what every send calls stays small enough to be inlined
  const startOutgoing = (
    kind: 'send' | 'ask',
    to: string,
    fanOut: FanOutSpan | undefined,
  ): OutgoingSpan | undefined => {
    const active = trace.getSpan(context.active())
    const group = fanOut === undefined ? undefined : fanOuts.get(fanOut)
    if (active === undefined && group === undefined) return undefined
    const links: Link[] = group === undefined ? [] : [{ context: group.spanContext() }]
    const span = tracer().startSpan(`${kind} ${to}`, {
      kind: kind === 'ask' ? SpanKind.CLIENT : SpanKind.PRODUCER,
      links,
      attributes: messagingAttributes(kind === 'ask' ? 'ask' : 'send', to),
    })
    const spanContext = span.spanContext()
    if (!isSpanContextValid(spanContext)) {
      span.end()
      return undefined
    }
    return {
      context: format(spanContext),
      end(error?: unknown) {
        if (error !== undefined) failed(span, error)
        span.end()
      },
    }
  }

  const hooks: Tracing & { dormant: boolean } = {
    dormant: false,
    outgoing: (kind, to, fanOut) => (sdkRegistered() ? startOutgoing(kind, to, fanOut) : undefined),

    incoming(kind, to, carried, handle) {
      if (!sdkRegistered()) return handle()
      const parent = parse(carried)
      if (parent === undefined) return handle()
      const parentContext = trace.setSpanContext(ROOT_CONTEXT, parent)
      const span = tracer().startSpan(
        `${kind === 'ask' ? 'handle' : 'receive'} ${to}`,
        {
          kind: kind === 'ask' ? SpanKind.SERVER : SpanKind.CONSUMER,
          attributes: messagingAttributes(kind === 'ask' ? 'process' : 'receive', to),
        },
        parentContext,
      )
      return runIn(trace.setSpan(parentContext, span), span, handle)
    },

    fanOut(kind, group) {
      if (!sdkRegistered() || trace.getSpan(context.active()) === undefined) return undefined
      const span = tracer().startSpan(`${kind} ${group}`, {
        kind: SpanKind.PRODUCER,
        attributes: { 'messaging.system': 'troupe', 'messaging.destination.name': `group:${group}` },
      })
      if (!isSpanContextValid(span.spanContext())) {
        span.end()
        return undefined
      }
      const handle: FanOutSpan = { end: () => span.end() }
      fanOuts.set(handle, span)
      return handle
    },
  }
  return hooks
}

function messagingAttributes(operation: string, to: string): Record<string, string> {
  return {
    'messaging.system': 'troupe',
    'messaging.operation.name': operation,
    'messaging.destination.name': to,
  }
}

/** Runs `handle` with `span` active; ends the span when it returns, or when the promise it returns settles. */
function runIn<T>(active: Context, span: Span, handle: () => T): T {
  return context.with(active, () => {
    let result: T
    try {
      result = handle()
    } catch (error) {
      failed(span, error)
      span.end()
      throw error
    }
    if (isPromiseLike(result)) {
      result.then(
        () => span.end(),
        (error: unknown) => {
          failed(span, error)
          span.end()
        },
      )
    } else span.end()
    return result
  })
}

function failed(span: Span, error: unknown): void {
  if (error instanceof Error) span.recordException(error)
  span.setStatus({
    code: SpanStatusCode.ERROR,
    message: error instanceof Error ? error.message : String(error),
  })
}

function format(spanContext: SpanContext): string {
  const flags = (spanContext.traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0')
  const parent = `00-${spanContext.traceId}-${spanContext.spanId}-${flags}`
  const state = spanContext.traceState?.serialize()
  return state === undefined || state === '' ? parent : `${parent} ${state}`
}

/** The span context a message carried; undefined if it is not a valid `traceparent`. */
function parse(carried: string): SpanContext | undefined {
  const space = carried.indexOf(' ')
  const match = TRACEPARENT.exec(space === -1 ? carried : carried.slice(0, space))
  if (match === null) return undefined
  const spanContext: SpanContext = {
    traceId: match[1]!,
    spanId: match[2]!,
    traceFlags: Number.parseInt(match[3]!, 16),
    isRemote: true,
    ...(space === -1 ? {} : { traceState: createTraceState(carried.slice(space + 1)) }),
  }
  return isSpanContextValid(spanContext) ? spanContext : undefined
}

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function'
