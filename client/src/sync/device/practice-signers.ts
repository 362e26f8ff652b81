/**
 * Whose signatures this device accepts on envelope entries (shared/src/envelope/entry-signature.ts):
 * the devices of the practice's registry (shared/src/devices/registry-chain.ts), as this device last
 * read and verified it. The chain is kept in the device's registry database (registry.ts, `chains`),
 * so entries verify offline too; it is read again from the relay when an entry names a device this
 * copy does not know (a colleague's new tablet), at most every REFRESH_AFTER_MS, and kept again.
 *
 * A practice whose registry this device has never seen (created before devices had keys) is not
 * enforced: its entries go unsigned. One that has a registry is, from the moment this device holds
 * a copy of it: an entry unsigned, forged, or signed by a device the registry does not know is never
 * applied (envelope.ts). A relay that withholds the registry cannot make a device accept what it
 * could not verify; it can only make a colleague's new device's entries wait — counted, shown.
 */
import { importSigningKey } from '../../../../shared/src/devices/device-identity'
import { verifyRegistry } from '../../../../shared/src/devices/registry-chain'
import type { SignerDirectory } from '../../../../shared/src/envelope/entry-signature'
import { RelayClient } from '../relay/relay-client'
import type { DeviceEnvironment } from './device'
import { registryOf, type StoredPractice } from './registry'

/** An unknown signer makes this device read the registry again at most this often. */
export const REFRESH_AFTER_MS = 5000

type Keys = ReadonlyMap<string, CryptoKey>

interface Known {
  readonly keys: Keys
  /** How many entries the verified chain has. */
  readonly length: number
}

/** What a refresh ends with: what is known, and whether the relay answered with a chain that verifies. */
interface Refreshed {
  readonly known: Known
  readonly answered: boolean
}

/**
 * An entry names a device this copy of the registry does not know, and the registry could not be
 * read again (the relay unreachable, restarting): not a verdict on the entry, which waits.
 */
export class SignersUnavailableError extends Error {
  override name = 'SignersUnavailableError'
}

export class PracticeSigners implements SignerDirectory {
  private kept: Promise<Known> | null = null
  /** Whether keeping the chain may create the device's database (at creation or joining, not later). */
  creates = false
  private refreshedAt = Number.NEGATIVE_INFINITY
  private refreshing: Promise<Refreshed> | null = null
  /** Called when a refresh learnt devices this copy did not know (the envelope retries what waited). */
  onLearned: () => void = () => undefined
  /** An entry is waiting: its signer was not known and the registry could not be read. */
  private waiting = false

  private readonly monotonic: () => number
  private readonly sleep: (ms: number) => Promise<void>

  constructor(
    private readonly stored: Pick<StoredPractice, 'spaceId' | 'relayUrl' | 'credential'>,
    private readonly env: Pick<DeviceEnvironment, 'idbPrefix' | 'fetchImpl'>,
    /** The refresh's pace (tests): a monotonic clock and a wait; default performance.now and a timer. */
    pace: { monotonic?: () => number; sleep?: (ms: number) => Promise<void> } = {},
  ) {
    this.monotonic = pace.monotonic ?? (() => performance.now())
    this.sleep = pace.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)))
  }

  /** Whether this device holds the practice's registry: entries must then be signed. */
  async enforced(): Promise<boolean> {
    return (await this.known()).length > 0
  }

  /** A registered device's signing key, or null when the registry (read again if due) lacks it. */
  async keyOf(deviceId: string): Promise<CryptoKey | null> {
    const key = (await this.known()).keys.get(deviceId)
    if (key) return key
    const { known, answered } = await this.refresh()
    const learnt = known.keys.get(deviceId)
    if (learnt) return learnt
    if (!answered) this.waiting = true
    if (!answered) throw new SignersUnavailableError(`Device ${deviceId} is not in this device's copy of the registry, which could not be read again`)
    return null
  }

  /**
   * Reads the registry from the relay, verifies it, keeps it; resolves with what is known after
   * (the old copy when the relay is unreachable or sends a chain that does not verify). Asked again
   * within REFRESH_AFTER_MS of the last read, it reads once that time is up, and every caller
   * meanwhile waits for that one read: junk naming random devices costs one read per period, and a
   * colleague's new device is known a few seconds later at worst.
   */
  refresh(): Promise<Refreshed> {
    if (this.refreshing) return this.refreshing
    const wait = Math.max(0, this.refreshedAt + REFRESH_AFTER_MS - this.monotonic())
    this.refreshing = (wait > 0 ? this.sleep(wait) : Promise.resolve())
      .then(async () => {
        this.refreshedAt = this.monotonic()
        return { known: await this.fetchChain(), answered: true }
      })
      .catch(async () => ({ known: await this.known(), answered: false }))
      .finally(() => {
        this.refreshing = null
      })
    return this.refreshing
  }

  /**
   * Reads the registry again if an entry is waiting for it (the device back online): nothing
   * otherwise, so that coming online costs no request when every signer was known.
   */
  async retryIfWaiting(): Promise<void> {
    if (!this.waiting) return
    if ((await this.refresh()).answered) this.waiting = false
  }

  private known(): Promise<Known> {
    this.kept ??= registryOf(this.env)
      .chain(this.stored.spaceId)
      .then(async (entries) => ({ keys: await keysOf(this.stored.spaceId, entries), length: entries.length }))
      .catch(() => ({ keys: new Map(), length: 0 }))
    return this.kept
  }

  private async fetchChain(): Promise<Known> {
    const relay = new RelayClient({ relayUrl: this.stored.relayUrl, spaceId: this.stored.spaceId, credential: this.stored.credential, ...(this.env.fetchImpl ? { fetchImpl: this.env.fetchImpl } : {}) })
    const entries = await relay.getDeviceEntries()
    const previous = await this.known()
    // A shorter chain than the one kept is a relay rolling the registry back: keep ours.
    if (entries.length <= previous.length) return previous
    const known = { keys: await keysOf(this.stored.spaceId, entries), length: entries.length }
    await registryOf(this.env).putChain(this.stored.spaceId, entries, { create: this.creates })
    this.kept = Promise.resolve(known)
    this.onLearned()
    return known
  }
}

/** The signing keys of every device a verified chain ever added. Throws if the chain does not verify. */
async function keysOf(spaceId: string, entries: readonly unknown[]): Promise<Keys> {
  if (entries.length === 0) return new Map()
  const state = await verifyRegistry(spaceId, entries)
  const keys = new Map<string, CryptoKey>()
  await Promise.all([...state.devices.values()].map(async (device) => keys.set(device.id, await importSigningKey(device.sign))))
  return keys
}

/**
 * Reads the registry from the relay and keeps it here, verified (after creating or joining a
 * practice: the moments a device is online for sure). Resolves whether it was kept.
 */
export async function keepPracticeChain(stored: Pick<StoredPractice, 'spaceId' | 'relayUrl' | 'credential'>, env: Pick<DeviceEnvironment, 'idbPrefix' | 'fetchImpl'>): Promise<boolean> {
  const signers = new PracticeSigners(stored, env)
  signers.creates = true
  return (await signers.refresh()).known.length > 0
}
