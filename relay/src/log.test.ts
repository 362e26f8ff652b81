import { describe, expect, it } from 'vitest'
import { createLogger, errorFields, type LogFields } from './log'

function capture(level: 'debug' | 'info' | 'warn' | 'error' = 'debug') {
  const lines: string[] = []
  const logger = createLogger({ level, write: (line) => lines.push(line), now: () => new Date(0) })
  return { logger, lines }
}

describe('createLogger', () => {
  it('writes one JSON object per line, level and event first', () => {
    const { logger, lines } = capture()
    logger.info('listening', { port: 8080 })
    expect(lines).toEqual(['{"level":"info","event":"listening","port":8080,"time":"1970-01-01T00:00:00.000Z"}'])
  })

  it('drops every field that is not on the allow-list', () => {
    const { logger, lines } = capture()
    const leaky = {
      spaceId: 'AbCdEfGhIjKlMnOpQrStUv',
      credential: 'SECRET',
      'sec-websocket-protocol': 'tournee-auth.SECRET',
      url: '/v1/sync/x?token=SECRET',
      frame: 'SECRET',
    } as unknown as LogFields
    logger.warn('upgrade_refused', leaky)
    expect(lines[0]).not.toContain('SECRET')
    expect(JSON.parse(lines[0]!)).toMatchObject({ spaceId: 'AbCdEfGhIjKlMnOpQrStUv' })
  })

  it('filters by level', () => {
    const { logger, lines } = capture('warn')
    logger.debug('a')
    logger.info('b')
    logger.warn('c')
    logger.error('d')
    expect(lines.map((line) => (JSON.parse(line) as { event: string }).event)).toEqual(['c', 'd'])
  })

  it('describes errors by name and message only', () => {
    class StorageBroke extends Error {
      override name = 'StorageBroke'
    }
    expect(errorFields(new StorageBroke('disk full'))).toEqual({ errorName: 'StorageBroke', errorMessage: 'disk full' })
  })
})
