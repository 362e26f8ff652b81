/**
 * (r) Key rotation on revocation (issue 19, « Revocation »), on the shared practice's relay:
 *
 *   revoke → rotated   an administrator revokes one device of a practice of DEVICES devices (ten
 *                      practitioners with two devices each, two secretaries): the registry entry,
 *                      then the new epoch sealed to every remaining device, signed, checked and
 *                      stored by the relay, and its own seal fetched back. What the person waits for.
 *   re-encryption      the practice's data moving to the new epoch: every doc of the shared practice
 *                      compacted on A under the newest epoch (compaction is where old-epoch
 *                      ciphertext goes away; the app does it doc by doc as it compacts anyway).
 *
 * The practice is the bench's shared one (`--practitioners`, `--years`; its size is in the row):
 * the 10 practitioners × 10 years is `--practitioners=10 --years=10` (about 18 minutes of
 * set-up; figures in docs/performance.md « (14) »). Re-encryption is compactions, linear in the
 * bytes. Runs last: it leaves the shared practice at a later epoch.
 */
import { addPracticeDevice, revokePracticeDevice } from '../../../client/src/sync/device/practice-devices'
import { DeviceRegistry } from '../../../client/src/sync/device/registry'
import { makeDeviceIdentity, publicKeysOf } from '../../../shared/src/devices/device-identity'
import { DeviceRole } from '../../../shared/src/devices/registry-chain'
import type { Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'
import { median } from '../stats'

/** Devices of the practice besides A: 10 practitioners' tablets and phones (A is one), two secretaries. */
const PRACTITIONER_DEVICES = 19
const SECRETARY_DEVICES = 2

export const keyRotation: Scenario = {
  id: 'key-rotation',
  async run({ options, log, practice, detail }: BenchContext): Promise<Row[]> {
    const p = await practice()
    const spaceId = p.a.record.spaceId
    const added: string[] = []
    for (let i = 0; i < PRACTITIONER_DEVICES + SECRETARY_DEVICES; i++) {
      const role = i < PRACTITIONER_DEVICES ? DeviceRole.Practitioner : DeviceRole.Secretariat
      const grant = await addPracticeDevice(spaceId, await publicKeysOf(await makeDeviceIdentity()), { role, admin: false, until: null }, p.envA)
      if (grant) added.push(grant.deviceId)
    }
    const runs = Math.max(3, Math.min(options.runs, 5))
    const revokeMs: number[] = []
    for (let run = 0; run < runs; run++) {
      const started = performance.now()
      await revokePracticeDevice(spaceId, added[run]!, p.envA)
      revokeMs.push(performance.now() - started)
      log(`  (r) revoke → new epoch sealed to ${added.length - run} devices and published: ${Math.round(revokeMs[run]!)} ms`)
    }
    const held = await new DeviceRegistry(p.envA.idbPrefix).heldEpochs(spaceId)

    const docs = [...p.plaintext.keys()]
    const bytes = [...p.plaintext.values()].reduce((n, u) => n + u.byteLength, 0)
    const started = performance.now()
    for (const docId of docs) await p.a.space.compact(docId)
    await p.a.space.whenAcknowledged(120_000)
    const reencryptMs = performance.now() - started
    log(`  (r) ${docs.length} docs (${Math.round(bytes / 1024)} KiB of plaintext) compacted under epoch ${held.at(-1)?.epoch}: ${Math.round(reencryptMs)} ms`)
    detail('key-rotation', { devices: added.length + 1, revokeMs, epochs: held.map((e) => e.epoch), docs: docs.length, plaintextBytes: bytes, reencryptMs })

    const scenario = `r. key rotation on revocation (${added.length + 1} devices)`
    return [
      { scenario, metric: 'revoke → new epoch sealed to every remaining device and published', unit: 'ms', ours: median(revokeMs), floor: null, stat: `median of ${runs}`, samples: { ours: revokeMs } },
      { scenario, metric: `re-encryption: every doc compacted under the new epoch (${docs.length} docs, ${Math.round(bytes / 1024)} KiB plaintext)`, unit: 'ms', ours: reencryptMs, floor: null, stat: 'single measurement' },
    ]
  },
}
