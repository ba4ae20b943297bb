import { TroupeError } from '../errors.js'

/** A group name: 1–64 letters, digits, `_ . : -`. */
export const GROUP_NAME = /^[A-Za-z0-9_.:-]{1,64}$/
/** Most group memberships (group and actor pairs) one node may have. */
export const MAX_GROUP_ENTRIES = 4_096
/** Most group memberships a hub takes from one client (a tab cannot fill a hub's directory). */
export const MAX_CLIENT_GROUP_ENTRIES = 64
/** Most groups a client may watch. */
export const MAX_WATCHED_GROUPS = 64

/** Throws a `BAD_ADDRESS` error unless `name` is a valid group name. */
export function assertGroupName(name: string): void {
  if (typeof name !== 'string' || !GROUP_NAME.test(name)) {
    throw new TroupeError(
      'BAD_ADDRESS',
      `bad group name ${JSON.stringify(name)}: use 1-64 letters, digits, "_", ".", ":" or "-"`,
    )
  }
}
