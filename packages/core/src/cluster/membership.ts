import type { MemberRecord } from '../wire/envelope.js'

/** A member of the cluster, as `node.members()` lists it. */
export type Member = MemberRecord

/** The membership events a node emits. */
export type MemberEventName = 'member-up' | 'member-down' | 'member-left'

const alive = (m: MemberRecord | undefined) =>
  m !== undefined && (m.status === 'up' || m.status === 'suspect')

/** What the table tells its owner. @internal */
export interface MembershipEvents {
  /** A member's status changed in a way users hear of. */
  event(name: MemberEventName, member: Member): void
  /** A row changed (to spread by gossip). */
  changed(member: Member): void
  /** A row was dropped: the member left, or stayed down past retention. */
  freed(member: Member): void
}

/**
 * This node's member table: every node is its own directory. Hubs hold every
 * member of the cluster (clients of other hubs included); a client holds the
 * hubs and the nodes it talks to. Rows of members that left, or stayed down
 * past `retentionMs`, are dropped, so a hub's table does not grow with every
 * tab that ever connected. (A client that left is dropped at once: it said
 * goodbye, its process is over. Hub rows stay: a hub's id is never a client's.)
 * @internal
 */
export class Membership {
  private readonly table = new Map<string, MemberRecord>()
  /** Rows that are down or left, with the clock time they became so: the ones `expire` looks at. */
  private readonly fading = new Map<string, number>()
  /** Members by the entity kinds they host. */
  private readonly byKind = new Map<string, Set<string>>()
  /** The other hubs: a hub's table holds thousands of clients and a handful of hubs. */
  private readonly hubIds = new Set<string>()
  /**
   * Rows another hub gave for a client this node still had a link to (so its
   * own view won): the client is behind that hub now, if this link drops.
   */
  private readonly elsewhere = new Map<string, { record: MemberRecord; at: number }>()

  constructor(
    readonly self: MemberRecord,
    private readonly events: MembershipEvents,
  ) {}

  get(id: string): MemberRecord | undefined {
    return id === this.self.id ? this.self : this.table.get(id)
  }

  get size(): number {
    return this.table.size + 1
  }

  /** Every member, this node first. */
  list(): Member[] {
    return [this.self, ...this.table.values()]
  }

  others(): IterableIterator<MemberRecord> {
    return this.table.values()
  }

  /** Every hub, this node first if it is one; without walking the clients. */
  hubs(): MemberRecord[] {
    const hubs = this.self.role === 'hub' ? [this.self] : []
    for (const id of this.hubIds) hubs.push(this.table.get(id)!)
    return hubs
  }

  /** Records what this node saw itself (a link's handshake, its failure detector, a bye). */
  observe(record: MemberRecord, now: number): void {
    const previous = this.table.get(record.id)
    if (previous !== undefined && sameRecord(previous, record)) return
    this.table.set(record.id, record)
    if (record.role === 'hub') this.hubIds.add(record.id)
    else this.hubIds.delete(record.id)
    this.indexKinds(record.id, previous?.kinds ?? [], record.kinds)
    if (alive(record)) this.fading.delete(record.id)
    else if (!this.fading.has(record.id) || alive(previous)) this.fading.set(record.id, now)
    this.events.changed(record)
    const sameProcess = previous?.incarnation === record.incarnation
    if (record.status === 'up' && !(sameProcess && alive(previous))) this.events.event('member-up', record)
    else if (record.status === 'down' && sameProcess && alive(previous))
      this.events.event('member-down', record)
    else if (record.status === 'left' && !(sameProcess && previous?.status === 'left'))
      this.events.event('member-left', record)
  }

  /**
   * Takes a record from `source`'s gossip; true when it contradicts this
   * node's own live link to that client (the source should hear this node's
   * row). A newer incarnation always wins. For
   * the same incarnation, this node's own view of a peer it links to wins;
   * otherwise the hub a client sits behind (or, for a client node, its own hub)
   * is believed, and anyone is believed that a member left or went down, but
   * for a hub that lost a client another hub has since reported alive.
   */
  merge(
    record: MemberRecord,
    source: string,
    observesDirectly: (id: string) => boolean,
    now: number,
  ): boolean {
    if (record.id === this.self.id) return false
    const known = this.table.get(record.id)
    const newer = known === undefined || record.incarnation > known.incarnation
    const stale = known !== undefined && record.incarnation < known.incarnation
    const authoritative = record.via === source || this.self.role === 'client'
    const gone = record.status === 'down' || record.status === 'left'
    // a hub's bad news of its own link to a client that another hub has since said is alive behind it: the
    // client moved on, and that other hub speaks for it now (and will tell when it is gone)
    const movedOn =
      !newer &&
      this.self.role === 'hub' &&
      record.via === source &&
      known.via !== source &&
      alive(known) &&
      (record.status === 'suspect' || record.status === 'down')
    if (movedOn) return false
    if (newer || (!stale && !observesDirectly(record.id) && (authoritative || gone))) {
      this.observe(record, now)
      return false
    }
    if (!stale && record.via === source && record.status === 'up' && record.role === 'client') {
      this.elsewhere.set(record.id, { record, at: now })
      // the source claims a client this node sees live itself: it should hear this node's view back
      return known?.via === this.self.id && known.status === 'up'
    }
    if (known !== undefined && !stale && record.id === source) {
      // a node telling of itself: what it hosts and where it listens are its word; its status is ours to judge
      this.observe({ ...known, kinds: record.kinds, url: record.url ?? known.url }, now)
    }
    return false
  }

  /** Where another hub said client `id` is, since `since`, while this node had a link to it (see {@link merge}). */
  elsewhereSince(id: string, since: number): MemberRecord | undefined {
    const seen = this.elsewhere.get(id)
    if (seen === undefined || seen.at < since) return undefined
    this.elsewhere.delete(id)
    return seen.record
  }

  /** This node's own row changed (its URL, the kinds it hosts): spread it. */
  updateSelf(fields: Partial<Pick<MemberRecord, 'url' | 'kinds'>>): void {
    Object.assign(this.self, fields)
    this.events.changed(this.self)
  }

  /** The members that host entities of `kind` and are up or suspect, this node first if it does. */
  hostsOf(kind: string): string[] {
    const hosts = this.self.kinds.includes(kind) ? [this.self.id] : []
    for (const id of this.byKind.get(kind) ?? []) if (alive(this.table.get(id))) hosts.push(id)
    return hosts
  }

  private indexKinds(id: string, before: readonly string[], after: readonly string[]): void {
    for (const kind of before) {
      if (after.includes(kind)) continue
      const ids = this.byKind.get(kind)
      ids?.delete(id)
      if (ids?.size === 0) this.byKind.delete(kind)
    }
    for (const kind of after) {
      const ids = this.byKind.get(kind)
      if (ids === undefined) this.byKind.set(kind, new Set([id]))
      else ids.add(id)
    }
  }

  /** Drops rows of clients that left, and of clients down for `retentionMs`. */
  expire(now: number, retentionMs: number): void {
    for (const [id, since] of this.fading) {
      const record = this.table.get(id)
      if (record === undefined || alive(record)) {
        this.fading.delete(id)
        continue
      }
      // hub rows stay (hub ids stay reserved); a client that left has ended for good
      if (record.role === 'hub') continue
      if (record.status === 'left' || now - since >= retentionMs) this.forget(id)
    }
  }

  /** Drops a row now. */
  forget(id: string): void {
    const record = this.table.get(id)
    this.fading.delete(id)
    if (record === undefined) return
    this.table.delete(id)
    this.hubIds.delete(id)
    this.elsewhere.delete(id)
    this.indexKinds(id, record.kinds, [])
    this.events.freed(record)
  }
}

function sameRecord(a: MemberRecord, b: MemberRecord): boolean {
  return (
    a.incarnation === b.incarnation &&
    a.status === b.status &&
    a.role === b.role &&
    a.via === b.via &&
    a.url === b.url &&
    a.principal === b.principal &&
    a.kinds.length === b.kinds.length &&
    a.kinds.every((kind, i) => b.kinds[i] === kind)
  )
}
