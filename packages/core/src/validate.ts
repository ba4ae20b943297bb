import { TroupeError } from './errors.js'

/** @internal */
export function assertPositiveNumber(name: string, value: number): void {
  if (typeof value !== 'number' || !(value > 0) || !Number.isFinite(value)) {
    throw new TroupeError('BAD_ARGUMENT', `bad ${name} ${String(value)}: expected a finite number > 0`)
  }
}

/** @internal */
export function assertPositiveInteger(name: string, value: number): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new TroupeError('BAD_ARGUMENT', `bad ${name} ${String(value)}: expected an integer > 0`)
  }
}
