import type { Address } from '../address.js'
import { DEFAULTS } from '../defaults.js'
import { queueMicrotask, yieldToHost } from '../host.js'
import type { ActorHost } from './actorHost.js'
import { Ref } from './actorRef.js'
import type { Behavior, BehaviorSource } from './behavior.js'
import { Context } from './context.js'
import type { Letter } from './letter.js'
import { Mailbox } from './mailbox.js'
import type { SpawnOptions } from './spawnOptions.js'
import { type SupervisionStrategy, Supervisor } from './supervision.js'

/** A failure of an actor, emitted as the node's `actor-error` event. */
export interface ActorErrorEvent {
  /** The failing actor. */
  readonly address: Address
  readonly error: unknown
  /** Where it failed: handling a message, or in a lifecycle hook. */
  readonly phase: 'receive' | 'started' | 'stopped'
  /** The message being handled, for phase `receive`. */
  readonly message: unknown
  /** What supervision did about it (`none` for a failing `stopped` hook). */
  readonly action: SupervisionStrategy | 'none'
}

type Status = 'starting' | 'running' | 'stopping' | 'stopped'

const isPromiseLike = (value: unknown): value is PromiseLike<unknown> =>
  typeof (value as PromiseLike<unknown> | undefined)?.then === 'function'

/**
 * One running actor: its mailbox, its current behavior, its children, and the
 * loop that hands it one message at a time.
 * @internal
 */
export class ActorCell {
  readonly ref: Ref
  readonly children = new Set<ActorCell>()
  private behavior: Behavior | undefined
  private readonly mailbox: Mailbox<Letter>
  private readonly supervisor: Supervisor
  private status: Status = 'starting'
  /** True while a run is scheduled, running, or waiting on a handler's promise. */
  private active = true
  private stopRequested = false
  private resolveStopped!: () => void
  readonly stopped = new Promise<void>((resolve) => {
    this.resolveStopped = resolve
  })

  constructor(
    readonly host: ActorHost,
    readonly name: string,
    private readonly source: BehaviorSource,
    options: SpawnOptions | undefined,
    readonly parent: ActorCell | undefined,
  ) {
    this.ref = new Ref(host, `${name}@${host.id}`, name, host.id)
    this.ref.cell = this
    this.mailbox = new Mailbox(options?.mailbox?.capacity ?? DEFAULTS.mailboxCapacity)
    this.supervisor = new Supervisor(options?.supervision, host.clock)
    queueMicrotask(() => void this.boot())
  }

  get address(): Address {
    return this.ref.address
  }

  get isStopped(): boolean {
    return this.status === 'stopped'
  }

  /** Messages waiting in the mailbox. */
  get depth(): number {
    return this.mailbox.size
  }

  /** True when a message sent now would overflow the mailbox. */
  get isFull(): boolean {
    return this.mailbox.size >= this.mailbox.capacity
  }

  /** Queues a letter; overflow and letters for a stopping actor become dead letters. */
  enqueue(letter: Letter): boolean {
    if (this.status === 'stopping' || this.status === 'stopped') {
      this.host.deadLetter(letter, 'stopped')
      return false
    }
    if (!this.mailbox.push(letter)) {
      this.host.deadLetter(letter, 'queue-full')
      return false
    }
    if (!this.active) {
      this.active = true
      queueMicrotask(this.run)
    }
    return true
  }

  become(behavior: Behavior): void {
    this.behavior = behavior
  }

  /** Stops after the current message; resolves once stopped. Idempotent. */
  stop(): Promise<void> {
    if (!this.stopRequested) {
      this.stopRequested = true
      if (!this.active) {
        this.active = true
        queueMicrotask(this.run)
      }
    }
    return this.stopped
  }

  private readonly run = (): void => {
    if (this.status !== 'running') return // boot or restart calls run again when done
    let budget = this.host.throughput
    for (;;) {
      if (this.stopRequested) {
        void this.finishStop()
        return
      }
      if (budget-- === 0) {
        yieldToHost(this.run)
        return
      }
      const letter = this.mailbox.shift()
      if (letter === undefined) {
        this.active = false
        return
      }
      let result: unknown
      try {
        const tracing = letter.trace === undefined ? undefined : this.host.tracing
        result =
          tracing === undefined
            ? this.behavior!.receive(letter.message, new Context(this, letter))
            : tracing.incoming(letter.askId === 0 ? 'send' : 'ask', this.address, letter.trace!, () =>
                this.behavior!.receive(letter.message, new Context(this, letter)),
              )
      } catch (error) {
        this.onReceiveFailure(error, letter)
        return
      }
      if (isPromiseLike(result)) {
        result.then(this.run, (error: unknown) => this.onReceiveFailure(error, letter))
        return
      }
    }
  }

  private onReceiveFailure(error: unknown, letter: Letter): void {
    const action = this.supervisor.decide()
    this.host.actorError({ address: this.address, error, phase: 'receive', message: letter.message, action })
    if (letter.askId !== 0) this.host.failAsk(letter, error)
    if (action === 'restart') {
      void this.restart()
      return
    }
    if (action === 'stop') this.stopRequested = true
    // a fresh microtask, not a direct call: a handler failing on every message must not grow the stack
    queueMicrotask(this.run)
  }

  /** Makes the behavior and runs `started`, then the mailbox. */
  private async boot(): Promise<void> {
    try {
      this.behavior = typeof this.source === 'function' ? this.source() : this.source
      await this.behavior.started?.(new Context(this, undefined))
    } catch (error) {
      const action = this.behavior === undefined ? 'stop' : this.supervisor.decide()
      this.host.actorError({ address: this.address, error, phase: 'started', message: undefined, action })
      if (action === 'restart') return this.restart()
      if (action === 'stop') this.stopRequested = true
    }
    this.status = 'running'
    this.run()
  }

  private async restart(): Promise<void> {
    this.status = 'starting'
    await this.stopChildren()
    await this.callStopped()
    this.behavior = undefined
    return this.boot()
  }

  private async finishStop(): Promise<void> {
    if (this.status === 'stopping' || this.status === 'stopped') return
    this.status = 'stopping'
    await this.stopChildren()
    await this.callStopped()
    this.status = 'stopped'
    this.host.unregister(this)
    for (const letter of this.mailbox.drain()) this.host.deadLetter(letter, 'stopped')
    this.resolveStopped()
  }

  private async stopChildren(): Promise<void> {
    await Promise.all([...this.children].map((child) => child.stop()))
  }

  private async callStopped(): Promise<void> {
    try {
      await this.behavior?.stopped?.(new Context(this, undefined))
    } catch (error) {
      this.host.actorError({
        address: this.address,
        error,
        phase: 'stopped',
        message: undefined,
        action: 'none',
      })
    }
  }
}
