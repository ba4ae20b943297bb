import { type StartedNodeWorker, startNodeWorker } from '@troupe/test-support'

/** Options passed to `@troupe/node`'s `createNode` in the hub process (`id` and `listen` are set for you). */
export interface HubOptions {
  /** @default 0: a free port */
  port?: number
  seeds?: string[]
  advertiseUrl?: string
  [option: string]: unknown
}

/** A hub: a `@troupe/node` node listening on 127.0.0.1, in a worker process, with a `log` recorder and an `echo` actor. */
export interface Hub extends StartedNodeWorker {
  readonly port: number
}

/** Forks a hub process and starts its node. */
export async function startHub(id: string, options: HubOptions = {}): Promise<Hub> {
  const { port = 0, ...rest } = options
  const worker = await startNodeWorker(id, { listen: { host: '127.0.0.1', port }, ...rest })
  return Object.assign(worker, { port: Number(new URL(worker.url).port) })
}
