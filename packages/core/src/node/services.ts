import { DEFAULTS } from '../defaults.js'
import type { GroupsNode } from '../groups/groups.js'
import { clusterSettings, type NodeOptions } from '../nodeOptions.js'
import type { EntitiesNode } from '../placement/entities.js'
import { encodeValue } from '../wire/values.js'
import { type DeathWatchNode, WATCH_ACTOR } from './deathWatch.js'
import type { TroupeNode } from './node.js'

// What the node's services (entities, groups, death watch) are given of it: each sees only what it needs.

/** @internal */
export function entitiesNodeOf(node: TroupeNode, options: NodeOptions): EntitiesNode {
  return {
    id: node.id,
    tracing: node.tracing,
    incarnation: node.incarnation,
    clock: node.clock,
    storage: options.storage,
    asks: node.asks,
    leaseMs: options.entityLeaseMs ?? DEFAULTS.entityLeaseMs,
    maxStateBytes: options.link?.maxMessageBytes ?? DEFAULTS.link.maxMessageBytes,
    holdTtlMs: node.holdTtlMs,
    askTimeoutMs: node.askTimeoutMs,
    unknownKindGraceMs: DEFAULTS.unknownNodeGraceMs,
    hostsOf: (kind) => node.hostsOf(kind),
    isAlive: (id) => id === node.id || node.standing(id) === 'up',
    fallback: () => node.cluster?.hubId(),
    hostKind: (kind, clients) => node.cluster?.hostKind(kind, clients),
    spawnActivation: (name, behavior) =>
      node.actors.cellOf(node.actors.spawn(name, behavior, undefined, undefined)),
    route: (letter, ttlMs) => {
      const ref = node.resolve(letter.to)
      if (ref.nodeId === node.id) node.sendLocal(ref, letter)
      else node.sendRemote(letter, encodeValue(letter.message), ttlMs)
    },
    reply: (letter, value) => node.reply(letter, value, letter.to),
    fail: (letter, error) => {
      if (error.reason !== undefined) node.deadLetter(letter, error.reason, error.message)
      else node.failAsk(letter, error)
    },
    deadLetter: (letter, reason, detail) => node.deadLetter(letter, reason, detail),
  }
}

/** @internal */
export function groupsNodeOf(node: TroupeNode, options: NodeOptions): GroupsNode {
  return {
    id: node.id,
    incarnation: node.incarnation,
    clock: node.clock,
    askTimeoutMs: node.askTimeoutMs,
    graceMs: DEFAULTS.unknownNodeGraceMs,
    isClient: options.transport !== undefined && clusterSettings(options).cluster.role === 'client',
    random: options.random ?? Math.random,
    isUp: (id) => id === node.id || node.standing(id) === 'up',
    publish: (list, touched) => node.cluster?.publishGroups(list, touched),
    watch: () => node.cluster?.watchGroups(),
    mailboxDepth: (name) => node.actors.depthOf(name),
    reportedLoad: (id, name) => node.cluster?.reportedLoad(id, name) ?? 0,
    refuses: (id) => node.breakers?.isOpen(id) === true,
    ref: (address) => node.ref(address),
    send: (address, message, sendOptions, fanOut) =>
      node.send(address, message, sendOptions, undefined, fanOut),
    ask: (address, message, askOptions, fanOut) => node.ask(address, message, askOptions, undefined, fanOut),
    fanOut: (kind, group) => node.tracing?.fanOut(kind, group),
    deadLetter: (letter, reason, detail) => node.deadLetter(letter, reason, detail),
  }
}

/** @internal */
export function deathWatchNodeOf(node: TroupeNode): DeathWatchNode {
  return {
    id: node.id,
    ref: (address) => node.ref(address),
    isAlive: (name) => node.actors.depthOf(name) !== undefined,
    gone: (id) => {
      const standing = node.standing(id)
      return standing === 'down' || standing === 'left' ? standing : undefined
    },
    tell: (id, message) => node.send(`${WATCH_ACTOR}@${id}`, message),
    deliver: (watcher, message) => node.send(watcher, message),
    refused: (letter, detail) => node.deadLetter(letter, 'queue-full', detail),
  }
}
