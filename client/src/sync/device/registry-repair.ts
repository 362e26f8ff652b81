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
import { registryReadOf, type RegistryRead } from './registry-read'

/**
 * Sends the relay the registry entries it lost that this device signed; resolves with how many.
 * `read`: the relay's registry as the caller's pass read it (registry-read.ts); told it moved
 * once anything was sent, or refused with a 409, so that what reads it next reads it again.
 */
export async function representRegistry(spaceId: string, env: DeviceEnvironment, read?: RegistryRead): Promise<number> {
  const stored = await storedPractice(spaceId, env)
  const relay = relayOf(stored, env)
  const registryRead = read ?? registryReadOf(stored, env)
  // The relay's chain first: read, it is kept here when it is the longer (readPracticeDevicesOf).
  const served = (await registryRead.get())?.entries ?? []
  const kept = await registryOf(env).chain(spaceId)
  if (served.length >= kept.length) return 0
  // The relay's chain must be the start of ours, entry for entry (the signatures make them unique).
  if (!served.every((entry, seq) => JSON.stringify(entry) === JSON.stringify(kept[seq]))) return 0
  let sent = 0
  try {
    for (let seq = served.length; seq < kept.length; seq++) {
      const { statement } = readStatement(kept[seq], seq)
      if (statement.by !== stored.deviceId) break
      // A change sent with its key grant goes to /grants with it (key-grants-sync.ts): not re-sent here.
      if (statement.op === 'change' && statement.grant !== undefined) break
      // 409: another administrator sent it (or something else) meanwhile; the next pass reads again.
      const answer = await relay.postDeviceEntry(kept[seq])
      if (answer === 'conflict') {
        registryRead.moved()
        break
      }
      sent++
    }
  } finally {
    if (sent > 0) registryRead.moved()
  }
  return sent
}
