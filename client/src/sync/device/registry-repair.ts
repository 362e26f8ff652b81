/**
 * A relay restored from a backup older than the last changes of the practice's device registry
 * (docs/relay.md, « Backups ») holds a shorter chain than the devices: a device paired after the
 * backup is unknown to it (its credential refused), and — what matters most — a device revoked
 * after the backup is admitted again. The devices keep their longer chain (practice-signers.ts
 * never takes a shorter one), so an administrator's device, coming online, sends the relay back
 * the entries it lacks.
 *
 * The relay takes an entry only from the device that signed it (relay/src/app/devices.ts), and
 * only in order: this device sends, from the relay's length on, the entries it signed itself, and
 * stops at the first one another administrator signed (that device sends it, and what follows,
 * when it comes online). Nothing is sent when the relay's chain is not a prefix of the one kept
 * here: that is not a rollback but another history, which the person sees in « Appareils ».
 *
 * The key epoch a re-sent revocation calls for is published again next, with the secrets its
 * administrator made when it first rotated (key-epochs-sync.ts, ensureKeyEpoch).
 */
import { readStatement } from '../../../../shared/src/devices/registry-chain'
import type { DeviceEnvironment } from './device'
import { relayOf, storedPractice } from './key-epochs-sync'
import { registryOf } from './registry'

/** Sends the relay the registry entries it lost that this device signed; resolves with how many. */
export async function representRegistry(spaceId: string, env: DeviceEnvironment): Promise<number> {
  const stored = await storedPractice(spaceId, env)
  const kept = await registryOf(env).chain(spaceId)
  const relay = relayOf(stored, env)
  const served = await relay.getDeviceEntries()
  if (served.length >= kept.length) return 0
  // The relay's chain must be the start of ours, entry for entry (the signatures make them unique).
  if (!served.every((entry, seq) => JSON.stringify(entry) === JSON.stringify(kept[seq]))) return 0
  let sent = 0
  for (let seq = served.length; seq < kept.length; seq++) {
    const { statement } = readStatement(kept[seq], seq)
    if (statement.by !== stored.deviceId) break
    // A change sent with its key grant goes to /grants with it (key-grants-sync.ts): not re-sent here.
    if (statement.op === 'change' && statement.grant !== undefined) break
    // 409: another administrator sent it (or something else) meanwhile; the next pass reads again.
    if ((await relay.postDeviceEntry(kept[seq])) === 'conflict') break
    sent++
  }
  return sent
}
