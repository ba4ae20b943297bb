import type { PendingAsks } from '../actor/asks.js'
import type { DeadLetterReason } from '../actor/deadLetter.js'
import type { Letter } from '../actor/letter.js'
import { handlerError, letterOf, replyLetter } from '../delivery/letters.js'
import { TroupeError } from '../errors.js'
import type { DataEnvelope } from '../wire/envelope.js'
import { decodeValue } from '../wire/values.js'

/** What the node's incoming mail needs from it. @internal */
export interface MailHost {
  readonly id: string
  readonly asks: PendingAsks
  /** Whether the mailbox of local actor `name` is full. */
  isFull(name: string): boolean
  deliverLocal(name: string, letter: Letter): void
  deadLetter(letter: Letter, reason: DeadLetterReason, detail?: string): void
  /** Counts a dead letter without reporting it again. */
  countDeadLetter(reason: DeadLetterReason): void
  isHub(node: string): boolean
  /** Whether this node has sent anything to `node`. */
  hasSentTo(node: string): boolean
  /** A ref of this node for an address in a message. */
  refOf(address: string): unknown
}

/**
 * What other nodes' envelopes mean on this node: messages go to mailboxes
 * (their bodies decoded here), replies settle asks (only from the node asked),
 * dead-letter reports fail asks and are reported; and what this node sent
 * that ended undelivered becomes its dead letters.
 * @internal
 */
export class IncomingMail {
  constructor(private readonly host: MailHost) {}

  deliver(envelope: DataEnvelope, force: boolean): boolean {
    switch (envelope.type) {
      case 'skip':
        return true
      case 'message': {
        const { to, from, askId, origin, trace } = envelope
        const name = to.slice(0, to.indexOf('@'))
        if (!force && this.host.isFull(name)) return false
        let message: unknown
        try {
          message = decodeValue(envelope.body, this.host.refOf)
        } catch (error) {
          this.host.deadLetter(
            { to, from, message: undefined, askId, origin },
            'unencodable',
            (error as Error).message,
          )
          return true
        }
        this.host.deliverLocal(name, { to, from, message, askId, origin, trace })
        return true
      }
      case 'reply':
        this.answer(envelope)
        return true
      case 'dead': {
        const target = envelope.to.slice(envelope.to.indexOf('@') + 1)
        // believed from the node the message went to, or from a hub on its way
        if (target !== envelope.origin && !this.host.isHub(envelope.origin)) return true
        if (!this.host.hasSentTo(target)) return true // about nothing this node sent there
        const askId = this.host.asks.nodeOf(envelope.askId) === target ? envelope.askId : 0
        this.host.deadLetter(letterOf(envelope, this.host.id, askId), envelope.reason)
        return true
      }
    }
  }

  undeliverable(envelope: DataEnvelope, reason: DeadLetterReason, detail?: string): void {
    switch (envelope.type) {
      case 'message':
        this.host.deadLetter(letterOf(envelope, this.host.id), reason, detail)
        return
      case 'reply':
        this.host.deadLetter(replyLetter(this.host.id, `$reply@${envelope.dest}`, undefined), reason, detail)
        return
      case 'dead':
        this.host.countDeadLetter(reason) // the report of a dead letter already emitted here
        return
      case 'skip':
        return
    }
  }

  unreachable(node: string, reason: 'down' | 'left' | 'unknown'): void {
    const known = reason !== 'unknown'
    this.host.asks.failTo(
      node,
      () =>
        new TroupeError(
          known ? 'NODE_DOWN' : 'NO_SUCH_NODE',
          known
            ? `node "${node}" is ${reason === 'left' ? 'gone (it left)' : 'down'}`
            : `no node "${node}" in the cluster`,
          { reason: known ? 'node-down' : 'no-such-node' },
        ),
    )
  }

  /** A reply counts only from the node the ask went to. */
  private answer(reply: Extract<DataEnvelope, { type: 'reply' }>): void {
    const asked = this.host.asks.nodeOf(reply.askId)
    if (asked !== reply.origin) {
      const detail =
        asked === undefined ? undefined : `an answer from "${reply.origin}" to an ask to "${asked}"`
      this.host.deadLetter(
        replyLetter(this.host.id, `$reply@${reply.origin}`, undefined),
        'no-reply-target',
        detail,
      )
      return
    }
    let value: unknown
    try {
      value = decodeValue(reply.body, this.host.refOf)
    } catch (error) {
      this.host.asks.fail(
        reply.askId,
        new TroupeError('UNENCODABLE', `the reply could not be read: ${(error as Error).message}`),
      )
      return
    }
    if (reply.failed)
      this.host.asks.fail(reply.askId, handlerError(this.host.asks.addressOf(reply.askId)!, value))
    else this.host.asks.settle(reply.askId, value)
  }
}
