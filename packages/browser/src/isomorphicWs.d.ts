/**
 * isomorphic-ws as a page sees it: its browser build exports the host's
 * WebSocket, or null where there is none. The package's own types are ws's,
 * which would pull Node's types into this browser-only build (where a stray
 * `Buffer` or `process` must fail typecheck), so `paths` in tsconfig.json
 * points the import here instead.
 */
declare const WebSocket: typeof globalThis.WebSocket | null
export default WebSocket
