/**
 * (p) Pairing a device (issue 19), the waits a person sees, their own part taken as instant:
 *
 *   claim → digits   the administrator typed the code (claimPairing resolves: its screen shows the
 *                    digits) until the new device shows them too: the new device's poll, every
 *                    second while nobody has claimed (PAIRING_POLL_MS)
 *   accept → open    the administrator taps « ajouter » until the practice is open on the new
 *                    device: the registry entry (chain read and verified, signed, verified again
 *                    and stored by the relay), the seal, the new device's poll (every 250 ms once
 *                    claimed) and the join
 *
 * Beside the second, in the same run: `joinPractice` with the payload already in hand (how a
 * device joined before issue 19, from a pasted code): the part that is not pairing at all.
 * No sync: the practice opens without connecting.
 */
import { getPairingCode, joinPractice, type DeviceEnvironment } from '../../../client/src/sync/device/device'
import { claimPairing, JoiningPairing } from '../../../client/src/sync/device/pairing'
import { readPracticeDevices } from '../../../client/src/sync/device/practice-devices'
import { benchEnvironment, deleteDeviceDatabases } from '../bench-device'
import type { BenchPractice } from '../fixture'
import type { Row } from '../report'
import type { BenchContext, Scenario } from '../scenario'
import { median } from '../stats'

interface Sample {
  digits: number
  accepted: number
  pasted: number
}

/** Only the joining, not the sync: the practice opened on the new device. */
const NO_SYNC: Partial<DeviceEnvironment> = { connect: false }

async function once(p: BenchPractice, run: number): Promise<Sample> {
  const env: DeviceEnvironment = { ...benchEnvironment(`pair-${run}`), ...NO_SYNC }
  const pastedEnv: DeviceEnvironment = { ...benchEnvironment(`paste-${run}`), ...NO_SYNC }
  try {
    const pairing = await JoiningPairing.open(p.relay.url, env)
    let shown: (at: number) => void = () => undefined
    const digitsShown = new Promise<number>((resolve) => (shown = resolve))
    const joined = pairing.wait({ onConfirmation: () => shown(performance.now()) })
    // The person types the code some time after it showed: the new device is mid-poll.
    await new Promise((resolve) => setTimeout(resolve, 300 + 100 * run))
    const claimed = await claimPairing(p.a.record.spaceId, pairing.code, p.envA)
    const claimedAt = performance.now()
    const digits = (await digitsShown) - claimedAt
    const acceptedAt = performance.now()
    await claimed.accept()
    const practice = await joined
    const accepted = performance.now() - acceptedAt
    await practice.space.destroy()

    const pastedStarted = performance.now()
    const pasted = await joinPractice(await getPairingCode(p.a.record.spaceId, p.envA), pastedEnv)
    const pastedMs = performance.now() - pastedStarted
    await pasted.space.destroy()
    return { digits, accepted, pasted: pastedMs }
  } finally {
    await deleteDeviceDatabases(env)
    await deleteDeviceDatabases(pastedEnv)
  }
}

export const pairing: Scenario = {
  id: 'pairing',
  async run({ options, log, practice, detail }: BenchContext): Promise<Row[]> {
    const p = await practice()
    const runs = Math.max(3, Math.min(options.runs, 10))
    const samples: Sample[] = []
    for (let run = 1; run <= runs; run++) {
      const s = await once(p, run)
      samples.push(s)
      log(`  (p) pairing, run ${run}/${runs}: digits on the new device ${Math.round(s.digits)} ms after the claim; accept → open ${Math.round(s.accepted)} ms; payload in hand: ${Math.round(s.pasted)} ms`)
    }
    const registry = await readPracticeDevices(p.a.record.spaceId, p.envA)
    detail('pairing', { samples, registryLength: registry?.state.length ?? 0 })
    const scenario = 'p. pairing a device (person instant, no sync)'
    const stat = `median of ${runs}`
    const m = (f: (s: Sample) => number) => median(samples.map(f))
    return [
      { scenario, metric: 'accept → practice open on the new device (floor: payload in hand)', unit: 'ms', ours: m((s) => s.accepted), floor: m((s) => s.pasted), stat, samples: { ours: samples.map((s) => s.accepted), floor: samples.map((s) => s.pasted) } },
      { scenario, metric: 'claim → the same digits on the new device', unit: 'ms', ours: m((s) => s.digits), floor: null, stat, samples: { ours: samples.map((s) => s.digits) } },
      { scenario, metric: `registry entries verified by each change (chain length at the end)`, unit: 'count', ours: registry?.state.length ?? 0, floor: null, stat: 'single measurement' },
    ]
  },
}
