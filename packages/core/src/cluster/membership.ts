import type { MemberRecord } from '../wire/envelope.js'

/** A member of the cluster, as `node.members()` lists it. */
export type Member = MemberRecord

/** The membership events a node emits. */
export type MemberEventName = 'member-up' | 'member-down' | 'member-left'

const alive = (m: MemberRecord | undefined) =>
  m !== undefined && (m.status === 'up' || m.status === 'suspect')

/**
 * This node's member table: every node is its own directory. Hubs hold every
 * member; a browser client knows those its hub tells it of. Status changes
 * become `member-up` / `member-down` / `member-left` events.
 * @internal
 */
export class Membership {
  private readonly table = new Map<string, MemberRecord>()

  constructor(
    readonly self: MemberRecord,
    private readonly onEvent: (event: MemberEventName, member: Member) => void,
    /** Called with every record that changed, to spread by gossip. */
    private readonly onChange: (member: Member) => void,
  ) {}

  get(id: string): MemberRecord | undefined {
    return id === this.self.id ? this.self : this.table.get(id)
  }

  /** Every member, this node first. */
  list(): Member[] {
    return [this.self, ...this.table.values()]
  }

  others(): IterableIterator<MemberRecord> {
    return this.table.values()
  }

  /** Records what this node saw itself (a link's handshake, its failure detector, a bye). */
  observe(record: MemberRecord): void {
    const previous = this.table.get(record.id)
    if (previous !== undefined && sameRecord(previous, record)) return
    this.table.set(record.id, record)
    this.onChange(record)
    const sameProcess = previous?.incarnation === record.incarnation
    if (record.status === 'up' && !(sameProcess && alive(previous))) this.onEvent('member-up', record)
    else if (record.status === 'down' && sameProcess && alive(previous)) this.onEvent('member-down', record)
    else if (record.status === 'left' && !(sameProcess && previous?.status === 'left'))
      this.onEvent('member-left', record)
  }

  /**
   * Takes a record from `source`'s gossip. A newer incarnation always wins. For
   * the same incarnation, this node's own view of a peer it links to wins;
   * otherwise the hub a client sits behind (or, for a client node, its own hub)
   * is believed, and anyone is believed that a member left or went down.
   */
  merge(record: MemberRecord, source: string, observesDirectly: (id: string) => boolean): void {
    if (record.id === this.self.id) return
    const known = this.table.get(record.id)
    const newer = known === undefined || record.incarnation > known.incarnation
    const stale = known !== undefined && record.incarnation < known.incarnation
    const authoritative = record.via === source || this.self.role === 'client'
    const gone = record.status === 'down' || record.status === 'left'
    if (newer || (!stale && !observesDirectly(record.id) && (authoritative || gone))) this.observe(record)
  }
}

function sameRecord(a: MemberRecord, b: MemberRecord): boolean {
  return (
    a.incarnation === b.incarnation &&
    a.status === b.status &&
    a.role === b.role &&
    a.via === b.via &&
    a.url === b.url
  )
}
