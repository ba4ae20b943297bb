/**
 * The processes of a capacity run and what they are told: its configuration,
 * the hub and client processes, and the time budgets that bound each step.
 */
import { type Child, startChild } from '../shared/child.js'
import type { ClientsHandlers } from './clientsChild.js'
import type { HubHandlers } from './hubChild.js'
import type { CapacityStack } from './stacks.js'

const CLIENT_FLAGS = ['--max-old-space-size=8192']

/** What a run does; see `benchCapacity` for the environment variables. */
export interface ScenarioConfig {
  stack: CapacityStack
  clients: number
  processes: number
  /** Connections in flight per client process. */
  concurrency: number
  idleSeconds: number
  latencySeconds: number
  backgroundRate: number
  askRate: number
  dropClients: number
  churnPerSecond: number
  churnSeconds: number
  hubCpu: number | undefined
  /** A `taskset` list of cores for the client processes. */
  clientCpu: string | undefined
}

/** The processes of a run. */
export interface ScenarioProcesses {
  hub: Child<HubHandlers>
  clients: Child<ClientsHandlers>[]
  /** Processes a step started for itself; stopped with the others, even if the step overran. */
  extra: Child<ClientsHandlers>[]
  url: string
}

/** Starts a clients process named `name`, pinned like every clients process. */
export function startClientsChild(name: string, config: ScenarioConfig): Child<ClientsHandlers> {
  return startChild<ClientsHandlers>({
    module: new URL('./clientsChild.ts', import.meta.url),
    name,
    cpu: config.clientCpu,
    raiseOpenFiles: true,
    nodeFlags: CLIENT_FLAGS,
  })
}

/** Time to start connecting `clients`: 30 s, plus 20 ms a client; none is started later. */
export const connectBudgetMs = (clients: number) => 30_000 + clients * 20

/** A connect step's bound: the connect budget, plus the timeout of connections still in flight at its end. */
export const stepBudgetMs = (clients: number) => connectBudgetMs(clients) + 40_000
