import { type ClientSummary, DEAD_LETTER_REASONS, type LinkMetrics, type NodeMetrics } from '@troupe/core'
import type { Reading } from './reading.js'

/** Label values of one series. */
export type Labels = Readonly<Record<string, string>>

/**
 * One value read from a node. For a counter, `value` is a running total that
 * only grows while `source` lives (a link's counter starts again at 0 when the
 * link is made anew); the registry gets the increase since the last scrape, per
 * source, added to the series `labels` names (several sources may feed one
 * series: the links to clients, summed).
 */
export interface Sample {
  readonly labels: Labels
  readonly value: number
  /** What `value` counts from: '' for node-wide totals, the peer's id for per-link ones. */
  readonly source?: string
}

/**
 * A Troupe metric read from `node.metrics()` and `node.members()` at scrape
 * time. Adding a figure of `NodeMetrics` to the export is one entry here.
 * @internal
 */
export interface Figure {
  readonly name: string
  readonly help: string
  /** `counter` for counts that only grow, `gauge` for levels. */
  readonly type: 'counter' | 'gauge'
  readonly labelNames?: readonly string[]
  /** The samples now; a gauge sums the samples that share labels. */
  samples(reading: Reading): Iterable<Sample>
  /** For figures a node may not report (older cores): registered only when this says the node has it. */
  present?(metrics: NodeMetrics): boolean
}

const NO_LABELS: Labels = {}
const PEER_LABELS = ['peer_role', 'peer'] as const
const ROLES = ['hub', 'client'] as const
const STATUSES = ['up', 'suspect', 'down', 'left'] as const

const total = (name: string, help: string, read: (m: NodeMetrics) => number): Figure => ({
  name,
  help,
  type: 'counter',
  samples: (r) => [{ labels: NO_LABELS, value: read(r.metrics), source: '' }],
})

const level = (name: string, help: string, read: (m: NodeMetrics) => number): Figure => ({
  name,
  help,
  type: 'gauge',
  samples: (r) => [{ labels: NO_LABELS, value: read(r.metrics) }],
})

/** A per-link figure: one series per hub peer, one sum for client peers. */
const perLink = (
  name: string,
  help: string,
  type: Figure['type'],
  read: (link: LinkMetrics) => number | undefined,
  hubsOnly = false,
): Figure => ({
  name,
  help,
  type,
  labelNames: PEER_LABELS,
  *samples(r) {
    for (const [id, link] of Object.entries(r.metrics.peers)) {
      const labels = r.peer(id)
      const value = read(link)
      if (value === undefined || (hubsOnly && labels.peer_role !== 'hub')) continue
      yield { labels, value, source: id }
    }
  },
})

/**
 * What a hub's clients report of themselves (`LinkMetrics.reported`, sent
 * with their heartbeats), summed over the clients connected now: one scrape
 * of a hub sees its tabs.
 */
const fromClients = (
  name: string,
  help: string,
  type: Figure['type'],
  read: (summary: ClientSummary) => number,
): Figure => ({
  name,
  help,
  type,
  *samples(r) {
    for (const [id, link] of Object.entries(r.metrics.peers))
      if (link.connected && link.reported !== undefined)
        yield { labels: NO_LABELS, value: read(link.reported), source: id }
  },
})

/** A figure of the end-to-end streams, per destination node: one series per hub, one sum for clients. */
const perStream = (
  name: string,
  help: string,
  read: (stream: NodeMetrics['streams'][string]) => number,
): Figure => ({
  name,
  help,
  type: 'gauge',
  labelNames: PEER_LABELS,
  *samples(r) {
    for (const [id, stream] of Object.entries(r.metrics.streams))
      yield { labels: r.peer(id), value: read(stream) }
  },
})

/** Every Troupe metric read from the node at scrape time, in the order they are exported. @internal */
export const FIGURES: readonly Figure[] = [
  {
    name: 'troupe_node_info',
    help: 'Always 1; labels name this node and its role.',
    type: 'gauge',
    labelNames: ['node', 'role'],
    samples: (r) => {
      const self = r.members[0]
      return self === undefined ? [] : [{ labels: { node: self.id, role: self.role }, value: 1 }]
    },
  },
  total(
    'troupe_messages_sent_total',
    'Messages, replies and dead-letter reports sent to other nodes.',
    (m) => m.sent,
  ),
  total(
    'troupe_messages_received_total',
    'Messages and replies received from other nodes, each counted once.',
    (m) => m.received,
  ),
  total('troupe_messages_delivered_total', 'Messages put into local mailboxes.', (m) => m.delivered),
  total(
    'troupe_envelopes_relayed_total',
    'Envelopes this hub passed on between other nodes.',
    (m) => m.relayed,
  ),
  total(
    'troupe_messages_resent_total',
    'Envelopes sent again (a reconnect, a lost frame, a route change).',
    (m) => m.resent,
  ),
  total(
    'troupe_duplicates_dropped_total',
    'Envelopes that arrived a second time and were dropped.',
    (m) => m.duplicatesDropped,
  ),
  total(
    'troupe_out_of_order_dropped_total',
    'Envelopes that arrived ahead of a missing one and were dropped.',
    (m) => m.outOfOrderDropped,
  ),
  {
    name: 'troupe_dead_letters_total',
    help: 'Messages that were not delivered, by reason.',
    type: 'counter',
    labelNames: ['reason'],
    samples: (r) =>
      DEAD_LETTER_REASONS.map((reason) => ({
        labels: { reason },
        value: r.metrics.deadLetters[reason] ?? 0,
        source: '',
      })),
  },
  level('troupe_actors', 'Actors alive on this node.', (m) => m.actors),
  level('troupe_pending_asks', 'Asks waiting for a reply.', (m) => m.pendingAsks),
  level('troupe_clients', 'Clients connected to this hub.', (m) => m.clients),
  fromClients(
    'troupe_client_messages_sent_total',
    "Messages this hub's clients sent to other nodes, as they report it.",
    'counter',
    (c) => c.sent,
  ),
  fromClients(
    'troupe_client_messages_received_total',
    "Messages this hub's clients received from other nodes, as they report it.",
    'counter',
    (c) => c.received,
  ),
  fromClients(
    'troupe_client_dead_letters_total',
    "Dead letters on this hub's clients, as they report them.",
    'counter',
    (c) => c.deadLetters,
  ),
  fromClients('troupe_client_actors', "Actors alive on this hub's clients.", 'gauge', (c) => c.actors),
  fromClients(
    'troupe_client_pending_asks',
    "Asks this hub's clients are waiting on.",
    'gauge',
    (c) => c.pendingAsks,
  ),
  fromClients(
    'troupe_client_held_messages',
    "Messages this hub's clients hold for nodes they cannot reach.",
    'gauge',
    (c) => c.held,
  ),
  level(
    'troupe_queued_messages',
    'Messages sent to other nodes and not yet acknowledged by them.',
    (m) => m.queued,
  ),
  level(
    'troupe_held_messages',
    'Messages waiting for nodes that cannot be reached (the hold queue).',
    (m) => m.held,
  ),
  level('troupe_held_bytes', 'Bytes of the messages in the hold queue.', (m) => m.heldBytes),
  level('troupe_mailbox_messages', 'Messages waiting in local mailboxes.', (m) => m.mailboxes.queued),
  level(
    'troupe_mailbox_max_messages',
    'Messages in the fullest local mailbox.',
    (m) => m.mailboxes.maxQueued,
  ),
  {
    name: 'troupe_members',
    help: "Members in this node's member table, by role and status (a client knows its hubs and the nodes it talks to).",
    type: 'gauge',
    labelNames: ['role', 'status'],
    *samples(r) {
      for (const role of ROLES) for (const status of STATUSES) yield { labels: { role, status }, value: 0 }
      for (const member of r.members) yield { labels: { role: member.role, status: member.status }, value: 1 }
    },
  },
  {
    name: 'troupe_streams_unreachable',
    help: 'Destination nodes with messages waiting that cannot be reached now, by why.',
    type: 'gauge',
    labelNames: ['reason'],
    *samples(r) {
      for (const stream of Object.values(r.metrics.streams)) {
        if (stream.unreachable !== undefined) yield { labels: { reason: stream.unreachable }, value: 1 }
      }
    },
  },
  perStream(
    'troupe_stream_queued_messages',
    'Messages to a destination node not yet acknowledged by it.',
    (s) => s.queued,
  ),
  perStream(
    'troupe_stream_queued_bytes',
    'Bytes of the messages to a destination node not yet acknowledged.',
    (s) => s.queuedBytes,
  ),
  perStream(
    'troupe_stream_in_flight_messages',
    'Messages sent to a destination node and waiting for its ack.',
    (s) => s.inFlight,
  ),
  {
    name: 'troupe_links',
    help: 'Links to peers, by the role of the peer and whether the link is up.',
    type: 'gauge',
    labelNames: ['peer_role', 'state'],
    *samples(r) {
      for (const peer_role of ROLES)
        for (const state of ['up', 'down']) yield { labels: { peer_role, state }, value: 0 }
      for (const [id, link] of Object.entries(r.metrics.peers))
        yield { labels: { peer_role: r.peer(id).peer_role, state: link.connected ? 'up' : 'down' }, value: 1 }
    },
  },
  perLink(
    'troupe_link_up',
    '1 while the link to the hub is connected, else 0.',
    'gauge',
    (l) => (l.connected ? 1 : 0),
    true,
  ),
  perLink(
    'troupe_link_rtt_seconds',
    'Last round-trip time measured on the link to the hub.',
    'gauge',
    (l) => (l.rttMs === undefined ? undefined : l.rttMs / 1_000),
    true,
  ),
  perLink(
    'troupe_link_queued_bytes',
    'Bytes waiting in the link for room in its socket.',
    'gauge',
    (l) => l.queuedBytes,
  ),
  perLink(
    'troupe_link_connects_total',
    'Connections the link has had (1 + reconnects).',
    'counter',
    (l) => l.connects,
  ),
  perLink('troupe_link_frames_sent_total', 'Frames sent on the link.', 'counter', (l) => l.framesOut),
  perLink('troupe_link_frames_received_total', 'Frames received on the link.', 'counter', (l) => l.framesIn),
  perLink('troupe_link_sent_bytes_total', 'Bytes sent on the link.', 'counter', (l) => l.bytesOut),
  perLink('troupe_link_received_bytes_total', 'Bytes received on the link.', 'counter', (l) => l.bytesIn),
  perLink(
    'troupe_link_rejected_envelopes_total',
    'Envelopes from the peer refused (spoofed, forged, or refused by authorize).',
    'counter',
    (l) => l.rejected,
  ),
]
