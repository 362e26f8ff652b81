/**
 * One read of the practice's device registry from the relay, verified and kept here
 * (practice-devices.ts readPracticeDevices), shared by everything one moment does with it. An
 * open practice coming online (device.ts, its online pass) needs the registry up to four times:
 * for this device's role and key grant (role-change.ts), and on an administrator's device for the
 * locums whose end passed (practice-devices.ts revokeEndedLocums), the entries a restored relay
 * lacks (registry-repair.ts) and the key epoch a revocation calls for (key-epochs-sync.ts
 * ensureKeyEpoch); opening it, to check the seals of epochs it lacks and a grant addressed to it.
 * Each is handed the same read: the relay is asked once, and the chain verified once.
 *
 * The read is made when first asked for (a pass that needs none asks nothing). What changes the
 * registry on the relay during the pass — an entry this device appended, or a 409 that says
 * another device did — calls `moved`, and the next to ask reads it again. A read that fails is
 * not kept either: the next to ask tries again.
 */
import type { DeviceEnvironment } from './device'
import { readPracticeDevicesOf, type PracticeDevices } from './practice-devices'
import type { StoredPractice } from './registry'

export class RegistryRead {
  private reading: Promise<PracticeDevices | null> | null = null
  /** The answer once a read resolved (null: the practice has no registry); undefined before. */
  private answer: PracticeDevices | null | undefined = undefined

  constructor(private readonly load: () => Promise<PracticeDevices | null>) {}

  /** The registry (null in a practice that has none), read at the first call, the same after. */
  get(): Promise<PracticeDevices | null> {
    if (this.reading !== null) return this.reading
    const reading = this.load().then(
      (devices) => {
        if (this.reading === reading) this.answer = devices
        return devices
      },
      (error: unknown) => {
        if (this.reading === reading) this.reading = null
        throw error
      },
    )
    this.reading = reading
    return reading
  }

  /**
   * The registry if it was read already, without asking the relay; undefined when it was not
   * (or moved since): what decides whether a request is worth making, never a reason for one.
   */
  inHand(): PracticeDevices | null | undefined {
    return this.answer
  }

  /** The registry changed on the relay under this read (appended here, or a 409): the next `get` reads it again. */
  moved(): void {
    this.reading = null
    this.answer = undefined
  }
}

/** A read of the practice's registry, not made yet: what one moment (an online pass, an opening) hands round. */
export function registryReadOf(stored: Pick<StoredPractice, 'spaceId' | 'relayUrl' | 'credential'>, env: DeviceEnvironment): RegistryRead {
  return new RegistryRead(() => readPracticeDevicesOf(stored, env))
}
