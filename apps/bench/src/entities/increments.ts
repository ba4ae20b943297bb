/**
 * The caller's side of the failover run: one loop of sequential `inc` asks per
 * key, running through every kill and restart. Each answer is checked against
 * the last (a count must grow by exactly one: anything else is a gap or a
 * repeat), and, while a kill is armed, the first answer for each of the
 * victim's keys from another node is noted: the end of that key's failover.
 */
import { errorText, machineNow, sleep, waitUntil } from '../shared/time.js'
import type { CounterAsk } from './askLoops.js'

interface KeyState {
  /** The `seq` of the last increment sent, and of the last one answered. */
  sent: number
  answeredSeq: number
  lastCount: number
  lastActivation: string | undefined
  lastOn: string
  /** Wall clock of the last answer. */
  lastAt: number
  /** While armed: when another node than the victim first answered (wall clock). */
  takenOverAt: number | undefined
}

/** What the loops saw, over the whole run. */
export interface IncrementSummary {
  answers: number
  failures: number
  firstFailure: string | null
  /** Answers whose count skipped ahead (an increment lost or unreported). */
  gaps: number
  /** Answers whose count did not grow (an increment applied twice, or state lost). */
  repeats: number
  /** The first gaps and repeats: the key, the count before, the count answered, who answered and when. */
  anomalies: Array<{
    key: string
    before: number
    answered: number
    on: string
    at: number
    /** The `seq` of this ask and of the last one answered; the last `seq`s the entity says it applied. */
    seq: number
    lastAnsweredSeq: number
    applied: number[] | undefined
    /** The activation that answered this ask, and the one that answered the one before. */
    activation: string | undefined
    lastActivation: string | undefined
  }>
}

const MAX_ANOMALIES = 50

/** Sequential increment loops over a fixed set of keys, with failover watches. */
export class IncrementLoops {
  private readonly state = new Map<string, KeyState>()
  private readonly summary: IncrementSummary = {
    answers: 0,
    failures: 0,
    firstFailure: null,
    gaps: 0,
    repeats: 0,
    anomalies: [],
  }
  private armed: { victim: string; keys: string[]; watched: Set<string> } | undefined
  private stopped = false
  private readonly loops: Promise<void>[]

  /** Starts a loop per key; the keys must be new (their counts start at 1). `ask` must time out by itself. */
  constructor(
    private readonly ask: CounterAsk,
    keys: readonly string[],
  ) {
    for (const key of keys)
      this.state.set(key, {
        sent: 0,
        answeredSeq: 0,
        lastCount: 0,
        lastActivation: undefined,
        lastOn: '',
        lastAt: 0,
        takenOverAt: undefined,
      })
    this.loops = keys.map((key) => this.loop(key))
  }

  /** Watches `keys` (owned by `victim`, about to be killed) for their first answer from another node. */
  arm(victim: string, keys: string[]): void {
    for (const key of keys) this.keyState(key).takenOverAt = undefined
    this.armed = { victim, keys, watched: new Set(keys) }
  }

  /**
   * Resolves, once every armed key has been answered by another node than the
   * victim, with each key's time from `killedAt` (wall clock) to that answer;
   * null for a key still waiting after `maxMs`.
   */
  async awaitTakeover(killedAt: number, maxMs: number): Promise<Record<string, number | null>> {
    const armed = this.armed
    if (armed === undefined) throw new Error('awaitTakeover: nothing armed')
    const states = armed.keys.map((key) => this.keyState(key))
    const giveUpAt = performance.now() + maxMs
    await waitUntil(
      () => states.every((s) => s.takenOverAt !== undefined) || performance.now() > giveUpAt,
      10,
    )
    this.armed = undefined
    return Object.fromEntries(
      armed.keys.map((key, i) => {
        const at = states[i]!.takenOverAt
        return [key, at === undefined ? null : at - killedAt]
      }),
    )
  }

  /** Resolves true once every key has answered from `expected[key]` since this call; false after `maxMs`. */
  async awaitOwners(expected: Record<string, string>, maxMs: number): Promise<boolean> {
    const since = machineNow()
    const giveUpAt = performance.now() + maxMs
    const settled = () =>
      Object.entries(expected).every(([key, owner]) => {
        const s = this.keyState(key)
        return s.lastAt > since && s.lastOn === owner
      })
    await waitUntil(() => settled() || performance.now() > giveUpAt, 10)
    return settled()
  }

  /** The last node to answer for each key. */
  owners(): Record<string, string> {
    return Object.fromEntries([...this.state].map(([key, s]) => [key, s.lastOn]))
  }

  /** Stops the loops (each after its ask in flight) and resolves with what they saw. */
  async stop(): Promise<IncrementSummary> {
    this.stopped = true
    await Promise.all(this.loops)
    return { ...this.summary, anomalies: [...this.summary.anomalies] }
  }

  private keyState(key: string): KeyState {
    const s = this.state.get(key)
    if (s === undefined) throw new Error(`no increment loop for key "${key}"`)
    return s
  }

  private async loop(key: string): Promise<void> {
    const s = this.keyState(key)
    while (!this.stopped) {
      try {
        const seq = ++s.sent
        const { n, on, seqs, activation } = await this.ask(key, 'inc', seq)
        const at = machineNow()
        this.summary.answers++
        if (n > s.lastCount + 1) this.summary.gaps++
        else if (n <= s.lastCount) this.summary.repeats++
        if (n !== s.lastCount + 1 && this.summary.anomalies.length < MAX_ANOMALIES)
          this.summary.anomalies.push({
            key,
            before: s.lastCount,
            answered: n,
            on,
            at,
            seq,
            lastAnsweredSeq: s.answeredSeq,
            applied: seqs,
            activation,
            lastActivation: s.lastActivation,
          })
        s.answeredSeq = seq
        s.lastActivation = activation
        s.lastCount = n
        s.lastOn = on
        s.lastAt = at
        if (this.armed?.watched.has(key) && on !== this.armed.victim) s.takenOverAt ??= at
      } catch (error) {
        this.summary.failures++
        this.summary.firstFailure ??= `${key}: ${errorText(error)}`
        await sleep(50)
      }
    }
  }
}
