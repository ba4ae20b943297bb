/** Version of the wire protocol, exchanged in the handshake. */
export const PROTOCOL_VERSION = 2

/** Envelope type codes: the first element of every envelope on the wire. */
export const ENVELOPE_CODES = {
  HELLO: 1,
  WELCOME: 2,
  MESSAGE: 3,
  ACK: 4,
  HEARTBEAT: 5,
  GOSSIP: 6,
  BYE: 7,
  REPLY: 8,
  DEAD: 9,
  UNREACHABLE: 10,
  SKIP: 11,
  REFUSED: 12,
  HOSTS: 13,
  GROUPS: 14,
  WATCH_GROUPS: 15,
} as const
