/** What the groups benchmark's processes share: the group, its jobs and answers. */

/** The group every worker joins. */
export const GROUP = 'workers'
/** Workers on each hub: `w1@<hub>`, `w2@<hub>`, ... */
export const WORKERS_PER_HUB = 2

/** A job, numbered by the caller. */
export interface Job {
  job: number
}

/** A worker's answer: who did the job. */
export interface JobReply {
  by: string
  job: number
}

/** How the caller reaches the workers: through the group (with a strategy), or each worker by address in turn. */
export type Route = 'group:least-loaded' | 'group:round-robin' | 'direct'
