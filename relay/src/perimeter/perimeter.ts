/**
 * Per-address limits: what one client address (client-address.ts) may cost the relay, decided
 * before anything else is looked at. One owner for the per-address state; callers ask, act on the
 * verdict, and report what happened.
 *
 *   failed credentials   a bucket of `burst` failures per address, refilled at `perMinute`. A wrong
 *                        space credential (HTTP Authorization or WebSocket upgrade), enrolment secret
 *                        or metrics token takes one; a right one takes none. While the bucket is
 *                        empty, every request of the address that carries a credential is answered
 *                        429 with Retry-After before its credential is checked: guessing costs the
 *                        guesser time, not the relay work. The bucket refills by itself, so a device
 *                        that waits Retry-After is let in again: nobody is locked out for good.
 *   connections          open sync sockets per address (upgrades in progress included); past it,
 *                        an upgrade is answered 429.
 *   space creations      a bucket of `burst` creations per address, refilled at `perHour`; a PUT
 *                        that finds the space already there (a retry) gives its token back.
 *
 * Checks in flight: a credential check takes time (a storage lookup, on PostgreSQL a round trip),
 * so requests sent together all pass `beforeCredential` before the first failure is counted. An
 * address whose allowance is full is not held back (a practice's devices open their rooms
 * together, and it has not failed lately); once it has failed, it may have no more checks in
 * flight on this node than it has failures left, so a burst of guesses costs what the bucket says.
 *
 * Several nodes (TOURNEE_REDIS_URL): the failure and creation buckets live in Redis
 * (shared-allowances.ts), so an address's allowance is the same whichever node it reaches. When
 * Redis does not answer, each node decides on its own buckets, which it keeps in step all along:
 * limits then hold per node (N nodes: N times the allowance) rather than being lifted, and no
 * honest device is locked out because Redis is away. Open sockets are counted per node always: a
 * socket is a node's resource, and a count in Redis would outlive a node that died holding some.
 *
 * Local clients (this machine, not forwarded) are not limited: the operator's own tools, the
 * tests, a practice's own browser on `npm start`.
 *
 * Memory is bounded: one entry per address, at most `maxTrackedAddresses` of them. An entry whose
 * buckets are full and that holds no socket is idle (forgetting it changes nothing) and is dropped
 * as soon as it is the oldest; past the bound, the least recently seen entries without open
 * sockets are dropped, idle or not (their failures forgotten: an attacker with more addresses than
 * the bound gets a fresh burst on each, which is what those addresses would have had anyway).
 *
 * Every refusal is counted (tournee_perimeter_refusals_total{reason}) and logged at most once a
 * minute per address and reason (an attack must not turn into a flood of log lines); the line
 * holds the address key and the reason, never a credential.
 */
import { errorFields, type Logger } from '../log'
import type { CredentialSurface, RelayMetrics } from '../metrics/relay-metrics'
import { refilled } from '../rooms/token-bucket'
import { resolveClient, type Client, type ClientSource } from './client-address'
import type { BucketAnswer, BucketName, BucketOp, BucketSpec, SharedAllowances } from './shared-allowances'

export interface PerimeterConfig {
  /** Proxies in front of the relay whose X-Forwarded-For is believed (TOURNEE_TRUST_PROXY); 0: none. */
  trustedProxies: number
  failedCredentials: { burst: number; perMinute: number }
  spaceCreations: { burst: number; perHour: number }
  maxConnectionsPerAddress: number
  maxTrackedAddresses: number
}

export const DefaultPerimeter: PerimeterConfig = {
  trustedProxies: 0,
  // 20 wrong answers at once (a device retrying with an old credential, a person mistyping the
  // enrolment secret), then one every 10 s: 8,640 a day, nothing against 256-bit credentials.
  failedCredentials: { burst: 20, perMinute: 6 },
  // A practice is created once; a few in a row covers a person trying again.
  spaceCreations: { burst: 5, perHour: 6 },
  // A device holds a socket per open room (main, the months it shows, a few for its background
  // pass: ~10–30); a practice of 10 devices behind one address (the practice's own network) fits.
  maxConnectionsPerAddress: 512,
  // ~200 bytes each: 2 MB at most.
  maxTrackedAddresses: 10_000,
}

export const PerimeterRefusal = {
  /** Too many failed credentials from this address: 429 before the credential is checked. */
  FailedCredentials: 'failed_credentials',
  /** This address already holds maxConnectionsPerAddress sync sockets. */
  Connections: 'connections',
  /** This address created spaces faster than spaceCreations allows. */
  SpaceCreations: 'space_creations',
  /** A space creation from beyond this machine, on a relay with no enrolment secret and not opened. */
  EnrolmentClosed: 'enrolment_closed',
  /** /metrics from beyond this machine, with no TOURNEE_METRICS_TOKEN set. */
  MetricsNotLocal: 'metrics_not_local',
} as const
export type PerimeterRefusal = (typeof PerimeterRefusal)[keyof typeof PerimeterRefusal]

export interface Refused {
  readonly ok: false
  readonly reason: PerimeterRefusal
  /** Whole seconds, at least 1: the Retry-After of a 429. */
  readonly retryAfterSeconds: number
}
export type Reservation = { readonly ok: true; release(): void } | Refused
/**
 * A credential check let through: `failed` when the credential was refused (it costs the address
 * one failure), `passed` otherwise (a right credential, or a request that checked none). One of
 * the two, once; either ends the check's time in flight.
 */
export type CredentialCheck = { readonly ok: true; failed(surface: CredentialSurface): Promise<void>; passed(): void } | Refused

/** What a refused client reads (HTTP body, upgrade refusal): what happened and when to try again. */
export function describeRefusal(refused: Refused): string {
  const wait = `retry in ${refused.retryAfterSeconds} s`
  switch (refused.reason) {
    case PerimeterRefusal.FailedCredentials:
      return `Too many refused credentials from this address: ${wait}`
    case PerimeterRefusal.Connections:
      return `This address already holds as many sync connections as the relay allows: close some, or ${wait}`
    case PerimeterRefusal.SpaceCreations:
      return `Too many practices created from this address: ${wait}`
    default:
      return `Refused for this address: ${wait}`
  }
}

/** A full socket allowance frees at no known time: a hint for the device's backoff. */
export const CONNECTIONS_RETRY_AFTER_SECONDS = 30
const LOG_INTERVAL_MS = 60_000
const NO_OP = (): void => undefined

interface Bucket {
  tokens: number
  at: number
}
interface AddressEntry {
  failures: Bucket
  creations: Bucket
  connections: number
  /** Credential checks of the address let through on this node and not finished. */
  checking: number
  /** When a refusal of this address was last logged, by reason. */
  logged: Partial<Record<PerimeterRefusal, number>>
}

export interface PerimeterDeps {
  readonly config: PerimeterConfig
  readonly logger: Logger
  readonly metrics: RelayMetrics
  /** The buckets every node shares (Redis); absent: this node's alone. */
  readonly shared?: SharedAllowances
  readonly now?: () => number
}

/** How often, at most, a node says that it decides alone because Redis does not answer. */
const SHARED_DOWN_LOG_INTERVAL_MS = 60_000

export class Perimeter {
  private readonly entries = new Map<string, AddressEntry>()
  private readonly now: () => number
  private readonly failureRate: number
  private readonly creationRate: number
  private readonly failureSpec: BucketSpec
  private readonly creationSpec: BucketSpec
  private warnedUntrustedForwarding = false
  private sharedDownLoggedAt = -Infinity

  constructor(private readonly deps: PerimeterDeps) {
    this.now = deps.now ?? Date.now
    this.failureRate = deps.config.failedCredentials.perMinute / 60
    this.creationRate = deps.config.spaceCreations.perHour / 3600
    this.failureSpec = { burst: deps.config.failedCredentials.burst, perSecond: this.failureRate }
    this.creationSpec = { burst: deps.config.spaceCreations.burst, perSecond: this.creationRate }
  }

  /** The client of a request; the first request forwarded by an untrusted proxy is logged once. */
  client(source: ClientSource): Client {
    const client = resolveClient(source, this.deps.config.trustedProxies)
    if (client.untrustedForwarding && !this.warnedUntrustedForwarding) {
      this.warnedUntrustedForwarding = true
      // Every client then looks like the proxy: they share one address's limits.
      this.deps.logger.warn('forwarded_without_trust_proxy', { address: client.key })
    }
    return client
  }

  /**
   * Before a credential is checked: the check, to be ended with `failed` or `passed`, or the 429
   * to answer (the address has no failure left, or as many checks in flight as it has left).
   */
  async beforeCredential(client: Client): Promise<CredentialCheck> {
    if (client.local) return { ok: true, failed: (surface) => this.credentialFailed(client, surface), passed: NO_OP }
    const { burst } = this.deps.config.failedCredentials
    const tokens = (await this.bucket(client.key, 'failures', 'peek')).level
    const entry = this.entry(client.key)
    if (tokens < 1 || (tokens < burst && entry.checking >= Math.floor(tokens))) {
      return this.refuse(client, PerimeterRefusal.FailedCredentials, Math.max(1, Math.ceil((1 - tokens) / this.failureRate)), entry)
    }
    entry.checking++
    let ended = false
    const end = (): void => {
      if (ended) return
      ended = true
      entry.checking--
    }
    return {
      ok: true,
      failed: (surface) => {
        end()
        return this.credentialFailed(client, surface)
      },
      passed: () => {
        end()
        this.dropIfIdle(client.key, entry)
      },
    }
  }

  /** A credential was refused: it takes one from the address's failure bucket. */
  async credentialFailed(client: Client, surface: CredentialSurface): Promise<void> {
    this.deps.metrics.credentialFailures.inc({ surface })
    if (client.local) return
    const { level } = await this.bucket(client.key, 'failures', 'take')
    // The failure that empties the bucket is the one worth a line: the address is throttled now.
    if (level < 1) this.deps.logger.warn('address_throttled', { address: client.key, reason: PerimeterRefusal.FailedCredentials, surface })
  }

  /** A sync socket for this address, released when it closes; or the 429 to answer. */
  openConnection(client: Client): Reservation {
    if (client.local) return { ok: true, release: NO_OP }
    const entry = this.entry(client.key)
    if (entry.connections >= this.deps.config.maxConnectionsPerAddress) {
      return this.refuse(client, PerimeterRefusal.Connections, CONNECTIONS_RETRY_AFTER_SECONDS, entry)
    }
    entry.connections++
    let released = false
    return {
      ok: true,
      release: () => {
        if (released) return
        released = true
        entry.connections--
        this.dropIfIdle(client.key, entry)
      },
    }
  }

  /** One space creation for this address; `release()` gives it back when nothing was created. */
  async reserveSpaceCreation(client: Client): Promise<Reservation> {
    if (client.local) return { ok: true, release: NO_OP }
    const taken = await this.bucket(client.key, 'creations', 'take-if-one')
    if (!taken.applied) {
      return this.refuse(client, PerimeterRefusal.SpaceCreations, Math.ceil((1 - taken.level) / this.creationRate), this.entry(client.key))
    }
    let released = false
    return {
      ok: true,
      release: () => {
        if (released) return
        released = true
        void this.bucket(client.key, 'creations', 'give').then(() => {
          const entry = this.entries.get(client.key)
          if (entry !== undefined) this.dropIfIdle(client.key, entry)
        })
      },
    }
  }

  /** A refusal decided elsewhere (enrolment closed, metrics not local): counted and logged alike. */
  refused(client: Client, reason: PerimeterRefusal): void {
    this.refuse(client, reason, 0, client.local ? undefined : this.entry(client.key))
  }

  /** Addresses held in memory now (tournee_perimeter_tracked_addresses). */
  trackedAddresses(): number {
    return this.entries.size
  }

  private refuse(client: Client, reason: PerimeterRefusal, retryAfterSeconds: number, entry: AddressEntry | undefined): Refused {
    this.deps.metrics.perimeterRefusals.inc({ reason })
    const now = this.now()
    const last = entry?.logged[reason]
    if (entry === undefined || last === undefined || now - last >= LOG_INTERVAL_MS) {
      if (entry !== undefined) entry.logged[reason] = now
      this.deps.logger.info('perimeter_refused', { address: client.key, reason, retryAfterSeconds })
    }
    return { ok: false, reason, retryAfterSeconds: Math.max(1, retryAfterSeconds) }
  }

  /**
   * Applies `op` to one of the address's buckets: to this node's own always (so that they are
   * ready when Redis is not), and to the shared one when there is one; the shared one's answer
   * decides while Redis answers, this node's when it does not.
   */
  private async bucket(key: string, name: BucketName, op: BucketOp): Promise<BucketAnswer> {
    const spec: BucketSpec = name === 'failures' ? this.failureSpec : this.creationSpec
    const entry = op === 'peek' ? this.entries.get(key) : this.entry(key)
    const local = entry === undefined ? { applied: true, level: spec.burst } : this.applyLocal(entry, name, spec, op)
    if (this.deps.shared === undefined) return local
    try {
      return await this.deps.shared.apply(name, key, spec, op, this.now())
    } catch (error) {
      const now = this.now()
      if (now - this.sharedDownLoggedAt >= SHARED_DOWN_LOG_INTERVAL_MS) {
        this.sharedDownLoggedAt = now
        this.deps.logger.warn('perimeter_shared_unavailable', errorFields(error))
      }
      return local
    }
  }

  private applyLocal(entry: AddressEntry, name: BucketName, spec: BucketSpec, op: BucketOp): BucketAnswer {
    const tokens = this.level(entry[name], spec.perSecond, spec.burst)
    if (op === 'peek') return { applied: true, level: tokens }
    if (op === 'take-if-one' && tokens < 1) return { applied: false, level: tokens }
    const next = op === 'give' ? Math.min(spec.burst, tokens + 1) : Math.max(0, tokens - 1)
    entry[name] = { tokens: next, at: this.now() }
    return { applied: true, level: next }
  }

  /** The tokens of a bucket now. */
  private level(bucket: Bucket, ratePerSecond: number, burst: number): number {
    return refilled(bucket.tokens, this.now() - bucket.at, ratePerSecond, burst)
  }

  private idle(entry: AddressEntry): boolean {
    const { failedCredentials, spaceCreations } = this.deps.config
    return (
      entry.connections === 0 &&
      entry.checking === 0 &&
      this.level(entry.failures, this.failureRate, failedCredentials.burst) >= failedCredentials.burst &&
      this.level(entry.creations, this.creationRate, spaceCreations.burst) >= spaceCreations.burst
    )
  }

  /** The address's entry, made the most recent; the oldest entries make room. */
  private entry(key: string): AddressEntry {
    const now = this.now()
    let entry = this.entries.get(key)
    if (entry === undefined) {
      const { failedCredentials, spaceCreations } = this.deps.config
      entry = {
        failures: { tokens: failedCredentials.burst, at: now },
        creations: { tokens: spaceCreations.burst, at: now },
        connections: 0,
        checking: 0,
        logged: {},
      }
    } else {
      this.entries.delete(key)
    }
    this.entries.set(key, entry)
    this.evict(key)
    return entry
  }

  /**
   * Oldest first: idle entries go as soon as they are the oldest (two looked at per call, so the
   * table shrinks back after a burst of addresses); past the bound, entries without open sockets
   * go, idle or not. `keep` is the entry being used.
   */
  private evict(keep: string): void {
    let looked = 0
    for (const [key, entry] of this.entries) {
      if (looked++ >= 2) break
      if (key !== keep && this.idle(entry)) this.entries.delete(key)
    }
    if (this.entries.size <= this.deps.config.maxTrackedAddresses) return
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.deps.config.maxTrackedAddresses) break
      if (key !== keep && entry.connections === 0 && entry.checking === 0) this.entries.delete(key)
    }
  }

  private dropIfIdle(key: string, entry: AddressEntry): void {
    if (this.entries.get(key) === entry && this.idle(entry)) this.entries.delete(key)
  }
}
