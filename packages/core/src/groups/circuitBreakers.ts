import type { Clock } from '../clock.js'
import { DEFAULTS } from '../defaults.js'

/** When asks to a node fail fast. */
export interface CircuitBreakerOptions {
  /** Consecutive failed asks (timeouts, node down or unreachable) that open a node's circuit. @default 5 */
  failures?: number
  /** How long an open circuit fails asks at once, before one trial ask may go. @default 5_000 */
  coolDownMs?: number
}

/**
 * A node's circuit: `closed` (asks go), `open` (asks fail at once with
 * `CIRCUIT_OPEN` until the cool-down ends), `half-open` (one trial ask is
 * out; its outcome closes or opens the circuit again).
 */
export type CircuitState = 'closed' | 'open' | 'half-open'

/** A node's circuit, as `node.metrics().circuits` reports it. */
export interface CircuitMetrics {
  state: CircuitState
  /** Consecutive failures counted so far. */
  failures: number
  /** Times the circuit opened. */
  opened: number
}

interface Circuit extends CircuitMetrics {
  /** When an open circuit lets a trial through. */
  retryAt: number
}

/**
 * One circuit breaker per node asked: after `failures` asks in a row to a node
 * fail without an answer, asks to it fail fast for `coolDownMs`, then one
 * trial goes; an answer closes the circuit. A node that comes back up starts
 * closed.
 * @internal
 */
export class CircuitBreakers {
  private readonly circuits = new Map<string, Circuit>()
  private readonly threshold: number
  private readonly coolDownMs: number

  constructor(
    private readonly clock: Clock,
    options: CircuitBreakerOptions | undefined,
  ) {
    this.threshold = options?.failures ?? DEFAULTS.circuitBreaker.failures
    this.coolDownMs = options?.coolDownMs ?? DEFAULTS.circuitBreaker.coolDownMs
  }

  /** Whether an ask to `node` may go now; the first one after a cool-down is the trial. */
  allow(node: string): boolean {
    const circuit = this.circuits.get(node)
    if (circuit === undefined || circuit.state === 'closed') return true
    if (circuit.state === 'half-open' || this.clock.now() < circuit.retryAt) return false
    circuit.state = 'half-open'
    return true
  }

  /** Whether `node`'s circuit would refuse an ask now (without taking the trial). */
  isOpen(node: string): boolean {
    const circuit = this.circuits.get(node)
    return circuit !== undefined && circuit.state !== 'closed' && this.clock.now() < circuit.retryAt
  }

  /** `node` answered. */
  succeeded(node: string): void {
    const circuit = this.circuits.get(node)
    if (circuit === undefined) return
    if (circuit.opened === 0) this.circuits.delete(node)
    else {
      circuit.state = 'closed'
      circuit.failures = 0
    }
  }

  /** An ask to `node` got no answer. */
  failed(node: string): void {
    let circuit = this.circuits.get(node)
    if (circuit === undefined) {
      circuit = { state: 'closed', failures: 0, opened: 0, retryAt: 0 }
      this.circuits.set(node, circuit)
    }
    circuit.failures++
    if (circuit.state === 'half-open' || (circuit.state === 'closed' && circuit.failures >= this.threshold)) {
      circuit.state = 'open'
      circuit.opened++
      circuit.retryAt = this.clock.now() + this.coolDownMs
    }
  }

  /** `node` is up again (or gone for good): its history no longer counts. */
  reset(node: string): void {
    this.circuits.delete(node)
  }

  metrics(): Record<string, CircuitMetrics> {
    const out = Object.create(null) as Record<string, CircuitMetrics>
    for (const [node, { state, failures, opened }] of this.circuits) out[node] = { state, failures, opened }
    return out
  }
}
