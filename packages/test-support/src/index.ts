/**
 * Helpers shared by the repository's tests (vitest and Playwright alike). The
 * test seed is a separate entry, `@troupe/test-support/seed`, so that only the
 * files that use it print a replay command when they fail.
 *
 * @packageDocumentation
 */
export {
  type AskResult,
  forkNodeWorker,
  type MemoryPeaks,
  type NodeWorker,
  type ProbeResult,
  type SpanInfo,
  type StartedNodeWorker,
  type StreamOptions,
  startNodeWorker,
  type WorkerAuthenticate,
  type WorkerEvent,
  type WorkerInternals,
  type WorkerMember,
  type WorkerMemory,
} from './nodeWorker.js'
export { freePort, type ReservedPorts, reservePorts } from './ports.js'
export { type StaticServer, type StaticServerOptions, serveStatic } from './staticServer.js'
export { createTcpProxy, type TcpProxy, type TcpProxyOptions } from './tcpProxy.js'
export { sleep, type WaitForOptions, waitFor } from './waitFor.js'
