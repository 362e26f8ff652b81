/**
 * The entry point as an operator runs it: a child process on TOURNEE_PORT=0 that prints one JSON
 * `listening` line with its real port, serves, and exits cleanly on SIGTERM.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { afterEach, describe, expect, inject, it } from 'vitest'
import { adminQuery, freshDatabase } from '../../tests/helpers/postgres-server'
import { POSTGRES_SCHEMA_VERSION } from './storage/postgres-migrations'
import { randomBytes, randomId, toBase64Url } from '../../shared/src/crypto/base64url'
import { AUTH_SUBPROTOCOL_PREFIX, SUBPROTOCOL } from '../../shared/src/protocol/constants'
import { TEST_ROOM_ID, upgradeStatus } from './test-support/sync-test-client'

const mainPath = fileURLToPath(new URL('./main.ts', import.meta.url))
const children: ChildProcess[] = []
const dirs: string[] = []
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL')
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true })
})

function launch(env: Record<string, string>): { child: ChildProcess; lines: string[]; port: Promise<number> } {
  const dataDir = mkdtempSync(join(tmpdir(), 'tournee-main-'))
  dirs.push(dataDir)
  const child = spawn(process.execPath, ['--import', 'tsx', mainPath], {
    env: { ...process.env, NODE_ENV: 'test', TOURNEE_PORT: '0', TOURNEE_DATA_DIR: dataDir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.push(child)
  const lines: string[] = []
  const stderr: string[] = []
  child.stderr!.on('data', (chunk: Buffer) => stderr.push(chunk.toString()))
  const port = new Promise<number>((resolve, reject) => {
    // 'close', not 'exit': the process may exit before its last stderr lines are read.
    child.once('close', (code) => reject(new Error(`relay exited ${code}: ${stderr.join('')}`)))
    createInterface({ input: child.stdout! }).on('line', (line) => {
      lines.push(line)
      const parsed = JSON.parse(line) as { event?: string; port?: number }
      if (parsed.event === 'listening' && typeof parsed.port === 'number') resolve(parsed.port)
    })
  })
  return { child, lines, port }
}

describe('tsx relay/src/main.ts', () => {
  it('prints the listening line, serves, logs no credential, and stops on SIGTERM', async () => {
    const { child, lines, port: portPromise } = launch({})
    const port = await portPromise
    expect(port).toBeGreaterThan(0)
    expect(lines[0]).toMatch(/^\{"level":"info","event":"listening","port":\d+,/)
    // Who may create a practice, whose X-Forwarded-For is believed, who may read /metrics.
    expect(JSON.parse(lines[0]!)).toMatchObject({ enrolment: 'local', trustedProxies: 0, metricsAccess: 'local' })

    const base = `http://127.0.0.1:${port}`
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok', storage: 'sqlite' })
    const spaceId = randomId()
    const credential = toBase64Url(randomBytes(32))
    expect((await fetch(`${base}/v1/spaces/${spaceId}`, { method: 'PUT', headers: { authorization: `Bearer ${credential}` } })).status).toBe(201)
    const wrong = toBase64Url(randomBytes(32))
    expect(await upgradeStatus(`ws://127.0.0.1:${port}/v1/sync/${spaceId}/${TEST_ROOM_ID}?credential=${wrong}`, [SUBPROTOCOL, AUTH_SUBPROTOCOL_PREFIX + wrong])).toBe(401)

    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    const all = lines.join('\n')
    expect(all).toContain('"event":"upgrade_refused"')
    expect(all).not.toContain(credential)
    expect(all).not.toContain(wrong)
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow()
  })

  it('stores in PostgreSQL when told, says so in its listening line and /healthz, and never logs the database URL', async () => {
    const adminUrl = inject('postgresAdminUrl')
    const url = new URL(await freshDatabase(adminUrl, 'main'))
    // A password the server does not ask for (trust), so that the test can look for it in the logs.
    url.password = 'not-in-any-log'
    const { child, lines, port: portPromise } = launch({ TOURNEE_STORAGE: 'postgres', TOURNEE_DATABASE_URL: url.toString() })
    const port = await portPromise
    expect(JSON.parse(lines[0]!)).toMatchObject({ storage: 'postgres', dataDir: null })
    const base = `http://127.0.0.1:${port}`
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok', storage: 'postgres' })
    const credential = toBase64Url(randomBytes(32))
    expect((await fetch(`${base}/v1/spaces/${randomId()}`, { method: 'PUT', headers: { authorization: `Bearer ${credential}` } })).status).toBe(201)
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
    child.kill('SIGTERM')
    expect(await exited).toBe(0)
    expect(lines.join('\n')).not.toContain('not-in-any-log')
    // Another node on a database a newer relay migrated refuses to start, saying why.
    await adminQuery(url.toString(), `INSERT INTO schema_migrations (version, name) VALUES (${POSTGRES_SCHEMA_VERSION + 1}, 'newer')`)
    const { port: refused } = launch({ TOURNEE_STORAGE: 'postgres', TOURNEE_DATABASE_URL: url.toString() })
    await expect(refused).rejects.toThrow(new RegExp(`exited 1: .*schema version ${POSTGRES_SCHEMA_VERSION + 1}, newer than this relay's ${POSTGRES_SCHEMA_VERSION}`))
  })

  it('refuses to start on an invalid configuration, naming the variable', async () => {
    const { port } = launch({ TOURNEE_PORT: 'eighty' })
    await expect(port).rejects.toThrow(/exited 2: .*TOURNEE_PORT: must be a whole number/)
  })
})
