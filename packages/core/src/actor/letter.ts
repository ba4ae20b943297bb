import type { Address } from '../address.js'

/**
 * A message on its way to or waiting in a mailbox.
 * @internal
 */
export interface Letter {
  readonly to: Address
  readonly from: Address | undefined
  readonly message: unknown
  /** The ask this message belongs to, on node `origin`; 0 when it is not an ask. */
  readonly askId: number
  /** The node it was sent from. */
  readonly origin: string
  /** The trace context it carries (see `Tracing`), if it was sent within a trace. */
  readonly trace?: string | undefined
}
