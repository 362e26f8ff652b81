/**
 * Pairing a device without any secret typed, shown or sent in clear (issue 19; protocol in
 * shared/src/devices/pairing-wire.ts, docs/sync-protocol.md « Pairing a device »):
 *
 *   joining device                        relay mailbox                 administrator's device
 *   makes its key pairs; opens a pairing → code (10 chars, 10 min)
 *   shows the code and a QR code                                      ← the person types the code,
 *                                                                       or scans the QR (code + keys)
 *                                          ← claim with its keys ─────── gets the joining keys
 *   sees the admin keys → shows           both screens show the same 6 digits (confirmation-code.ts)
 *   the 6-digit code                                                  ← the person compares, accepts
 *                                          ← sealed payload ──────────── seals the pairing payload
 *   opens it with the confirmed keys                                     to the joining keys
 *   → joins (device.ts, joinPractice)
 *
 * A scanned QR code (shared/src/devices/pairing-qr.ts) is stronger than a typed code: the
 * administrator's device then knows the joining keys first-hand and refuses a claim whose keys the
 * relay changed (PairingFailure.KeysMismatch), before the person is even asked to compare digits.
 * The digits are shown either way: they also check the admin keys the joining device received.
 *
 * A pairing that is refused, expires, or whose sealed payload does not open with the keys the
 * screens confirmed ends with a named PairingError, and the joining device has stored nothing:
 * joinPractice runs only once the payload opened and the relay accepted its credential.
 */
import { confirmationCode } from '../../../../shared/src/devices/confirmation-code'
import { publicKeysOf, type DeviceIdentity, type DevicePublicKeys } from '../../../../shared/src/devices/device-identity'
import { openPairing, PairingSealError, sealPairing } from '../../../../shared/src/devices/pairing-seal'
import { encodePairingQr, type PairingQr } from '../../../../shared/src/devices/pairing-qr'
import { normalizePairingCode, PAIRING_TTL_MS } from '../../../../shared/src/devices/pairing-wire'
import { PairingCodeError } from '../../../../shared/src/space/pairing-code'
import { PairingClient } from '../relay/pairing-client'
import { normalizeRelayUrl } from '../relay/relay-url'
import { ReconnectPolicy } from '../rooms/reconnect-policy'
import { browserEnvironment, deviceIdentityOf, wrappableIdentity, getPairingCode, joinPractice, type DeviceEnvironment, type OpenPractice } from './device'
import { PairingError, PairingFailure } from './pairing-errors'
import { addPracticeDevice, PRACTITIONER_GRANT, type DeviceGrantOptions } from './practice-devices'

export { PairingError, PairingFailure }

/** How often the joining device asks the relay where its pairing is, until an administrator claims it. */
export const PAIRING_POLL_MS = 1000
/**
 * Then, while the person compares the digits and accepts: the practice opens a quarter of a
 * second after the tap at most, for a few requests a second during the seconds a comparison takes.
 */
export const CLAIMED_POLL_MS = 250

/**
 * The longest wait between two polls while the relay cannot answer (backoff from the poll period,
 * with jitter): a node restarts in about a second, a pairing lasts ten minutes.
 */
export const UNAVAILABLE_MAX_DELAY_MS = 10_000

export interface JoiningWait {
  /** Called once, when an administrator's device claimed the pairing: the 6 digits to show. */
  onConfirmation?: (code: string) => void
  /**
   * Called with true when a poll found no node able to answer (unreachable, 5xx, 429) and the
   * device will ask again, with false when the relay answers again: what the screen says meanwhile.
   */
  onRelayUnavailable?: (unavailable: boolean) => void
  signal?: AbortSignal
  /** Both poll periods (tests); default PAIRING_POLL_MS, then CLAIMED_POLL_MS once claimed. */
  pollMs?: number
  /** How the device waits between polls (tests record the waits); a timer otherwise. */
  sleep?: (ms: number, signal: AbortSignal | undefined) => Promise<void>
}

/** A joining device's open pairing: the code to show, and the wait for an administrator. */
export class JoiningPairing {
  private admin: DevicePublicKeys | null = null

  private constructor(
    readonly code: string,
    readonly expiresAt: number,
    private readonly client: PairingClient,
    private readonly identity: DeviceIdentity,
    /** This device's public keys, which the QR code carries beside the code. */
    readonly keys: DevicePublicKeys,
    private readonly env: DeviceEnvironment,
    /** When, on this device's clock (env.now), the pairing has expired for sure. */
    private readonly giveUpAt: number,
  ) {}

  /** The text of the QR code this device shows (shared/src/devices/pairing-qr.ts). */
  qrText(): string {
    return encodePairingQr({ code: this.code, joining: this.keys })
  }

  /** Makes this device's key pairs and opens a pairing on the relay at `relayUrl`. */
  static async open(relayUrl: string, env: DeviceEnvironment = browserEnvironment): Promise<JoiningPairing> {
    const client = new PairingClient({ relayUrl: normalizeRelayUrl(relayUrl), ...(env.fetchImpl ? { fetchImpl: env.fetchImpl } : {}) })
    const identity = await wrappableIdentity(env)
    const keys = await publicKeysOf(identity)
    const { code, expiresAt } = await client.open(keys)
    // The relay's expiresAt is on the relay's clock: this device gives up on its own, counting
    // the pairing's lifetime from now.
    const giveUpAt = (env.now ?? Date.now)() + PAIRING_TTL_MS
    return new JoiningPairing(code, expiresAt, client, identity, keys, env, giveUpAt)
  }

  /**
   * Until an administrator accepts (then joins and resolves), refuses, or the pairing expires.
   *
   * A relay that cannot answer for a while (a node restarting behind the proxy, its storage
   * refused, this address throttled) does not end the pairing, which lives in the relay's storage
   * and is answered by whichever node is up: the device asks again, after the relay's Retry-After
   * or a backoff from the poll period (UNAVAILABLE_MAX_DELAY_MS at most), until the pairing's own
   * expiry (PAIRING_TTL_MS after it opened, on this device's clock), then fails as expired.
   */
  async wait(options: JoiningWait = {}): Promise<OpenPractice> {
    const now = this.env.now ?? Date.now
    const pause = options.sleep ?? sleep
    const backoff = new ReconnectPolicy({ baseDelayMs: options.pollMs ?? PAIRING_POLL_MS, maxDelayMs: UNAVAILABLE_MAX_DELAY_MS })
    let unavailable = false
    for (;;) {
      if (options.signal?.aborted) {
        await this.client.cancel(this.code)
        throw new PairingError(PairingFailure.Cancelled, 'Pairing cancelled on this device')
      }
      const state = await this.client.state(this.code)
      if (state.state === 'unavailable') {
        const left = this.giveUpAt - now()
        if (left <= 0) throw new PairingError(PairingFailure.Expired, 'The pairing expired while the relay could not be reached')
        if (!unavailable) options.onRelayUnavailable?.(true)
        unavailable = true
        const delay = state.retryAfterMs ?? backoff.nextDelay()
        await pause(Math.min(delay, left), options.signal)
        continue
      }
      if (unavailable) options.onRelayUnavailable?.(false)
      unavailable = false
      backoff.reset()
      switch (state.state) {
        case 'waiting':
          break
        case 'claimed':
          await this.confirm(state.admin, options)
          break
        case 'sealed':
          await this.confirm(state.admin, options)
          return this.join(state.sealed)
        case 'refused':
          throw new PairingError(PairingFailure.Refused, "The administrator's device refused this pairing")
        case 'gone':
          throw new PairingError(PairingFailure.Expired, 'The pairing expired, or another device collected it')
      }
      await pause(options.pollMs ?? (this.admin === null ? PAIRING_POLL_MS : CLAIMED_POLL_MS), options.signal)
    }
  }

  /** Gives up: the relay forgets the pairing. */
  cancel(): Promise<void> {
    return this.client.cancel(this.code)
  }

  /**
   * The admin keys are those of the first claim this device saw: a relay that shows one key to
   * compare and seals with another is caught here, before anything is opened.
   */
  private async confirm(admin: DevicePublicKeys, options: JoiningWait): Promise<void> {
    if (this.admin === null) {
      this.admin = admin
      options.onConfirmation?.(await confirmationCode(this.code, admin, this.keys))
      return
    }
    if (this.admin.agree !== admin.agree || this.admin.sign !== admin.sign) {
      throw new PairingError(PairingFailure.Tampered, 'The relay changed the administrator keys during the pairing')
    }
  }

  private async join(sealed: string): Promise<OpenPractice> {
    const admin = this.admin!
    let payload: string
    try {
      const bytes = await openPairing({ pairingId: this.code, own: this.identity, ownRole: 'joining', ownKeys: this.keys, peerKeys: admin }, sealed)
      payload = new TextDecoder('utf-8', { fatal: true }).decode(bytes)
    } catch (error) {
      if (error instanceof PairingSealError || error instanceof TypeError) {
        throw new PairingError(PairingFailure.Tampered, 'The sealed pairing does not open with the confirmed keys', { cause: error })
      }
      throw error
    }
    try {
      return await joinPractice(payload, this.env, this.identity)
    } catch (error) {
      // It opened with the confirmed keys, so an administrator sealed it; a payload this app cannot
      // read is from a newer or broken app, and still nothing is stored.
      if (error instanceof PairingCodeError) throw new PairingError(PairingFailure.Tampered, 'The sealed pairing holds no practice this app can read', { cause: error })
      throw error
    }
  }
}

/** An administrator's device holding a claimed pairing: the 6 digits to compare, then accept or refuse. */
export interface ClaimedPairing {
  readonly code: string
  /** Whether the joining keys were checked against a scanned QR code, not only taken from the relay. */
  readonly scanned: boolean
  readonly confirmation: string
  /**
   * Seals the keys the role reads to the new device (default: an administrator praticien). `admin`:
   * it may add and revoke devices too (a praticien only); `until`: a locum's end of access (ms).
   */
  accept(options?: Partial<DeviceGrantOptions>): Promise<void>
  refuse(): Promise<void>
}

/** What accepting a pairing takes: the practice's space and credential, an identity, and the payload to seal. */
export interface PairingAuthority {
  relayUrl: string
  spaceId: string
  credential: string
  identity: DeviceIdentity
  /**
   * The pairing payload (space/pairing-code.ts) for the device of `joining` keys, made only once
   * the person accepts (in a practice with a registry, the device is added to it then).
   */
  payload(joining: DevicePublicKeys, options: DeviceGrantOptions): Promise<string>
}

/**
 * Claims a pairing for the practice this device is paired with: the code a person typed, or the
 * QR code the camera read (decoded by shared/src/devices/pairing-qr.ts), whose keys the claim must match.
 */
export async function claimPairing(spaceId: string, typedOrScanned: string | PairingQr, env: DeviceEnvironment = browserEnvironment): Promise<ClaimedPairing> {
  const { identity, credential, relayUrl } = await deviceIdentityOf(spaceId, env)
  const payload = async (joining: DevicePublicKeys, options: DeviceGrantOptions) => {
    const grant = await addPracticeDevice(spaceId, joining, options, env)
    return getPairingCode(spaceId, env, grant ?? undefined)
  }
  return claimPairingAs({ relayUrl, spaceId, credential, identity, payload }, typedOrScanned, env.fetchImpl)
}

/** The same, from what accepting takes rather than from this device's registry (benchmarks seed without one). */
export async function claimPairingAs(authority: PairingAuthority, typedOrScanned: string | PairingQr, fetchImpl?: typeof fetch): Promise<ClaimedPairing> {
  const scanned = typeof typedOrScanned === 'string' ? null : typedOrScanned
  const code = typeof typedOrScanned === 'string' ? normalizePairingCode(typedOrScanned) : typedOrScanned.code
  if (code === null) throw new PairingError(PairingFailure.UnknownCode, 'A pairing code is 10 letters and digits')
  const client = new PairingClient({ relayUrl: authority.relayUrl, ...(fetchImpl ? { fetchImpl } : {}) })
  const space = { spaceId: authority.spaceId, credential: authority.credential }
  const adminKeys = await publicKeysOf(authority.identity)
  const joiningKeys = await client.claim(space, code, adminKeys)
  if (scanned !== null && (joiningKeys.agree !== scanned.joining.agree || joiningKeys.sign !== scanned.joining.sign)) {
    // The relay is the suspect here, so its answer to the refusal does not matter: the refusal
    // only spares the joining device a wait (a lying relay can withhold it, and the code expires).
    await client.refuse(space, code).catch(() => undefined)
    throw new PairingError(PairingFailure.KeysMismatch, 'The relay answered the claim with joining keys other than those of the scanned QR code')
  }
  const confirmation = await confirmationCode(code, adminKeys, joiningKeys)
  return {
    code,
    scanned: scanned !== null,
    confirmation,
    async accept(options = {}) {
      const payload = new TextEncoder().encode(await authority.payload(joiningKeys, { ...PRACTITIONER_GRANT, ...options }))
      const sealed = await sealPairing({ pairingId: code, own: authority.identity, ownRole: 'admin', ownKeys: adminKeys, peerKeys: joiningKeys }, payload)
      await client.seal(space, code, sealed)
    },
    refuse: () => client.refuse(space, code),
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
    function done() {
      clearTimeout(timer)
      signal?.removeEventListener('abort', done)
      resolve()
    }
  })
}
