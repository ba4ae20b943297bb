/**
 * The Troupe inspector: `<troupe-inspector>`, a framework-free web component
 * that shows a tab's node (members, links, queues, dead letters) and, through
 * the `troupe.inspector` actor that `@troupe/inspector/serve` puts on a hub,
 * the hub, live.
 *
 * @packageDocumentation
 */
import type { TroupeInspector } from './element.js'

export { defineInspector, INSPECTOR_TAG, type InspectorSource, type TroupeInspector } from './element.js'
export {
  type DeadLetterRow,
  INSPECTOR_ACTOR,
  type InspectorRequest,
  type LinkRow,
  type MemberRow,
  type NodeView,
  type Rows,
  type StreamRow,
} from './protocol.js'
export { type Readable, type ReadOptions, readNode } from './readNode.js'

declare global {
  interface HTMLElementTagNameMap {
    'troupe-inspector': TroupeInspector
  }
}
