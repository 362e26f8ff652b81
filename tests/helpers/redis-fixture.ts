/** The vitest side of tests/helpers/redis-server.ts (which the bench, outside vitest, uses too). */
import { afterAll, afterEach, beforeAll } from 'vitest'
import { startRedisServer, type RedisServer } from './redis-server'

/**
 * The per-file fixture: one Redis for the file's tests (started in beforeAll), running again after
 * each test (a test may stop it), and a list of cleanups run after each test, newest first.
 */
export function useRedisServer(): { readonly redis: RedisServer; readonly cleanups: (() => Promise<void> | void)[] } {
  let redis: RedisServer | null = null
  const cleanups: (() => Promise<void> | void)[] = []
  beforeAll(async () => {
    redis = await startRedisServer()
  })
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
    await redis?.start()
  })
  afterAll(async () => {
    await redis?.dispose()
  })
  return {
    get redis() {
      if (!redis) throw new Error('Redis starts in beforeAll: use it inside a test')
      return redis
    },
    cleanups,
  }
}
