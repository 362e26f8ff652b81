/**
 * What the device registry says of this device's role while its practice is open, read once from
 * the relay each time role-watch.ts asks (a new key epoch, a clinical room refused), or taken from
 * the online pass's read when the practice came online (registry-read.ts: the other steps of that
 * pass use the same read):
 *
 *   narrowed  the registry made it secretary while it holds the clinical tier (role-downgrade.ts):
 *             the app closes the practice, which drops that tier, and opens it again
 *   widened   the registry made it praticien or remplaçant while it lacks the clinical tier, with
 *             the key grant that change names (key-grants-sync.ts): the grant is taken and its keys
 *             kept here, then the app closes the practice and opens it again with them — the
 *             clinical rooms open, and the notice says so once (role-notice.ts)
 *
 * One fetch of the registry and one verification serve both, and the grant is fetched only when
 * one can help (key-grants-sync.ts grantCanHelp): a reconnect of a device whose role did not move
 * costs one request, shared with the rest of its online pass. A grant that gives raw secrets to wrap and widens nothing is kept as well
 * (the re-grant), and is no change of role.
 */
import { KeyGrantError } from '../../../../shared/src/devices/key-grant'
import type { DeviceEnvironment } from './device'
import type { EpochRings } from './key-epochs-sync'
import { receiveKeyGrant } from './key-grants-sync'
import { registryOf } from './registry'
import { registryReadOf, type RegistryRead } from './registry-read'
import { narrowingRead, type RoleNarrowing } from './role-downgrade'

/** A change of this device's role: its new role, a locum's end, the notice; `widened` when it now reads the clinical tier. */
export interface RoleChange extends RoleNarrowing {
  readonly widened: boolean
}

/**
 * Reads the registry (verified, kept: practice-devices.ts) and says how it changed this device's
 * role, taking the grant of a widening. `read`: the registry as the caller's moment read it (the
 * online pass's, registry-read.ts); none: read now.
 */
export async function checkRoleChange(spaceId: string, env: DeviceEnvironment, rings?: EpochRings, read?: RegistryRead): Promise<RoleChange | null> {
  const stored = await registryOf(env).get(spaceId)
  if (stored === undefined || !stored.identity) return null
  const registryRead = read ?? registryReadOf(stored, env)
  const devices = await registryRead.get()
  if (devices === null) return null
  const narrowing = await narrowingRead(stored, devices, env)
  if (narrowing !== null) return { ...narrowing, widened: false }
  // While open: a grant that only gives secrets to wrap is asked for where a passkey would wrap them (grantCanHelp).
  const received = await receiveKeyGrant(stored, env, { rings, read: registryRead, open: true }).catch((error: unknown) => {
    // A grant that does not check changes nothing (and is read again at the next check).
    if (!(error instanceof KeyGrantError)) throw error
    console.warn('Could not take the key grant', error.refusal)
    return null
  })
  if (received === null || !received.widened || received.notice === null) return null
  return { role: received.statement.role, until: received.until, notice: received.notice, widened: true }
}
