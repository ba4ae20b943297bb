/**
 * The test API the e2e page (`app/main.ts`) puts on `window.tab`, shared by the
 * page and the specs. Everything crossing `page.evaluate` is plain data.
 */

import type { Node } from '@troupe/browser'
import type { SpanInfo } from '@troupe/test-support'

export type { SpanInfo }

/** What the browser node reports as its `'connection'` event: `'connecting' | 'online' | 'offline'`, .... */
export type ConnectionState = Node['connectionState']

/** A numbered message, as the tabs and the hub workers send them: `seq` counts per sender. */
export interface Numbered {
  from: string
  seq: number
}

/** A `deadletter` event, as plain data. */
export interface DeadLetterInfo {
  to: string
  from: string | undefined
  reason: string
  message: unknown
}

/** A membership event seen by a node. */
export interface MemberEventInfo {
  event: 'member-up' | 'member-down' | 'member-left'
  id: string
  incarnation: number
}

/** A member table row, as plain data. */
export interface MemberInfo {
  id: string
  role: string
  status: string
  incarnation: number
  via: string | undefined
  url: string | undefined
}

/** How an ask ended: the reply, or the error's code and reason. */
export type AskResult =
  | { ok: true; value: unknown }
  | { ok: false; code: string | undefined; reason: string | undefined; message: string }

export interface TabApi {
  /**
   * Starts the tab's node with these seeds; resolves with its id. `traced`:
   * the page registers the OpenTelemetry web SDK (spans kept in memory) and
   * the node traces with `openTelemetry()`.
   */
  start(seeds: string[], id?: string, traced?: boolean): Promise<string>
  /** Asks `to` inside a new root span named `name`; resolves with the answer and every span finished here. */
  tracedAsk(name: string, to: string, message: unknown): Promise<{ result: AskResult; spans: SpanInfo[] }>
  /** An actor that keeps every message it receives (see {@link TabApi.received}). */
  spawnRecorder(name: string): void
  /** An actor that answers every message with the message itself. */
  spawnEcho(name: string): void
  /** What the recorder `name` has received, in order. */
  received(name: string): unknown[]
  send(to: string, message: unknown, options?: { ttlMs?: number }): boolean
  /** Sends `{ from: <this node's id>, seq }` for `seq` = `first` … `first + count - 1`; returns how many `send`s returned true. */
  sendNumbered(to: string, first: number, count: number, options?: { ttlMs?: number }): number
  ask(to: string, message: unknown, options?: { timeoutMs?: number }): Promise<AskResult>
  deadLetters(): DeadLetterInfo[]
  /** Every `'connection'` state the node emitted, in order. */
  states(): ConnectionState[]
  /** The node's `connectionState` now. */
  connectionState(): ConnectionState
  memberEvents(): MemberEventInfo[]
  members(): MemberInfo[]
  metrics(): unknown
  close(): Promise<void>
}

declare global {
  interface Window {
    tab: TabApi
  }
}
