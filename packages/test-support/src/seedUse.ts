/** Whether the current test file imported the seed (each test file has its own module instances). */
let used = false

/** Called by seed.ts when a test file imports it. */
export function markSeedUsed(): void {
  used = true
}

/** True once the current test file has imported the seed. */
export function seedUsed(): boolean {
  return used
}
