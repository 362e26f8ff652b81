/**
 * Per-address allowances shared by every node of a multi-node relay, in Redis (TOURNEE_REDIS_URL):
 * the same token buckets as perimeter.ts keeps in memory (`burst` tokens refilled at a rate), one
 * Redis hash per address and bucket, read and changed by one Lua script so that a read, its refill
 * and its change are one atomic step whatever the other nodes do meanwhile:
 *
 *   tournee:perimeter:<bucket>:<address key>   hash { t: tokens, at: ms of t }   bucket ∈ failures | creations
 *
 * A bucket that is full again owes nothing and is deleted; any other expires once it would be full
 * (PEXPIRE), so Redis holds only the addresses that failed lately. The time is the calling node's
 * clock (nodes run NTP, as the fan-out's lag already assumes); a node whose clock is behind the
 * bucket's `at` refills nothing rather than going back in time.
 *
 * Redis is not needed to serve: when it does not answer within ANSWER_TIMEOUT_MS (down, restarting,
 * cut off), the call rejects at once and the perimeter decides on this node's own buckets
 * (« fails to per-node limits »: perimeter.ts).
 */
import { createClient } from 'redis'
import { errorFields, type Logger } from '../log'

export type BucketName = 'failures' | 'creations'
/**
 * `peek` reads; `take` takes one token (never below 0: a failure always counts); `take-if-one` takes
 * one only if one is there (a creation is refused otherwise); `give` puts one back (up to `burst`).
 */
export type BucketOp = 'peek' | 'take' | 'take-if-one' | 'give'

export interface BucketSpec {
  readonly burst: number
  readonly perSecond: number
}

/** What an operation did: whether it applied (only `take-if-one` may not), and the tokens after. */
export interface BucketAnswer {
  readonly applied: boolean
  readonly level: number
}

export interface SharedAllowances {
  apply(bucket: BucketName, key: string, spec: BucketSpec, op: BucketOp, now: number): Promise<BucketAnswer>
  close(): Promise<void>
}

/** Longer than a LAN round trip by far; short enough that a device does not wait on a dead Redis. */
const ANSWER_TIMEOUT_MS = 250

/**
 * KEYS[1] the bucket; ARGV burst, tokens per ms, now (ms), op. Returns { applied 0|1, tokens as text }
 * (Lua numbers come back from Redis as integers: the fraction would be lost).
 */
const BUCKET_SCRIPT = `
local burst = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local now = tonumber(ARGV[3])
local op = ARGV[4]
local stored = redis.call('HMGET', KEYS[1], 't', 'at')
local t = tonumber(stored[1])
local at = tonumber(stored[2])
if t == nil or at == nil then
  t = burst
  at = now
end
if now > at then
  t = math.min(burst, t + (now - at) * rate)
  at = now
end
local applied = 1
if op == 'take' then
  t = math.max(0, t - 1)
elseif op == 'take-if-one' then
  if t >= 1 then t = t - 1 else applied = 0 end
elseif op == 'give' then
  t = math.min(burst, t + 1)
end
if op ~= 'peek' and applied == 1 then
  if t >= burst then
    redis.call('DEL', KEYS[1])
  else
    redis.call('HSET', KEYS[1], 't', tostring(t), 'at', tostring(at))
    redis.call('PEXPIRE', KEYS[1], math.ceil((burst - t) / rate) + 1000)
  end
end
return { applied, tostring(t) }
`

export class RedisUnansweredError extends Error {
  override name = 'RedisUnansweredError'
  constructor() {
    super(`Redis did not answer within ${ANSWER_TIMEOUT_MS} ms: per-address limits fall back to this node's own`)
  }
}

type Client = ReturnType<typeof createClient>

export class RedisAllowances implements SharedAllowances {
  private readonly client: Client
  private closed = false

  constructor(url: string, logger: Logger) {
    const socket = { reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 1000) }
    // No offline queue: while Redis is away a call fails at once and the node decides alone.
    this.client = createClient({ url, socket, disableOfflineQueue: true })
    this.client.on('error', (error: unknown) => {
      if (!this.closed) logger.debug('perimeter_redis_error', errorFields(error))
    })
    this.client.connect().catch((error: unknown) => logger.warn('redis_connect_failed', { reason: 'perimeter', ...errorFields(error) }))
  }

  async apply(bucket: BucketName, key: string, spec: BucketSpec, op: BucketOp, now: number): Promise<BucketAnswer> {
    if (!this.client.isReady) throw new RedisUnansweredError()
    let timer: ReturnType<typeof setTimeout> | undefined
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisUnansweredError()), ANSWER_TIMEOUT_MS)
    })
    try {
      const answer = await Promise.race([
        this.client.eval(BUCKET_SCRIPT, {
          keys: [`tournee:perimeter:${bucket}:${key}`],
          arguments: [String(spec.burst), String(spec.perSecond / 1000), String(now), op],
        }),
        timeout,
      ])
      return readAnswer(answer)
    } finally {
      clearTimeout(timer)
    }
  }

  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    if (!this.client.isOpen) return
    if (!this.client.isReady) {
      this.client.destroy()
      return
    }
    await this.client.close()
  }
}

/** The script's answer, checked: it comes from outside the process. */
function readAnswer(answer: unknown): BucketAnswer {
  if (Array.isArray(answer) && answer.length === 2 && (answer[0] === 0 || answer[0] === 1) && typeof answer[1] === 'string') {
    const level = Number(answer[1])
    if (Number.isFinite(level)) return { applied: answer[0] === 1, level }
  }
  throw new TypeError(`Unexpected answer from the perimeter's Redis script: ${JSON.stringify(answer)}`)
}
