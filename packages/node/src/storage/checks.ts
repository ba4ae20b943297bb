import { TroupeError } from '@troupe/core'

/** @internal Refuses a duration that is not a finite number of milliseconds above 0. */
export function assertDuration(name: string, ms: number): void {
  if (typeof ms !== 'number' || !(ms > 0) || !Number.isFinite(ms)) {
    throw new TroupeError('BAD_ARGUMENT', `bad ${name} ${String(ms)}: expected a finite number > 0`)
  }
}

/** @internal Refuses a revision that is not an integer from 0 up. */
export function assertRevision(revision: number): void {
  if (!Number.isSafeInteger(revision) || revision < 0) {
    throw new TroupeError('BAD_ARGUMENT', `bad revision ${String(revision)}: expected an integer >= 0`)
  }
}
