// A tab with a Troupe node and a <troupe-inspector> for it. Query: `hub` (the hub's URL), `id` (the tab's
// node id), `limit` (the inspector's rows). `window.tab` is the node, for the tests to drive.
import { createNode } from '@troupe/browser'
import { defineInspector } from '@troupe/inspector'

const params = new URLSearchParams(location.search)
const status = document.getElementById('status') as HTMLElement
const tab = await createNode({ id: params.get('id') ?? undefined, seeds: [params.get('hub') ?? ''] })
Object.assign(globalThis, { tab })
defineInspector()
const inspector = document.createElement('troupe-inspector')
inspector.refreshMs = 250
const limit = params.get('limit')
if (limit !== null) inspector.limit = Number(limit)
inspector.node = tab
document.body.append(inspector)
status.textContent = 'started'
