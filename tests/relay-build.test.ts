/**
 * The relay's production build (relay/build.ts): `npm run build:relay` bundles it into
 * relay/dist/main.js, which plain `node` runs — no tsx, no TypeScript — and which imports only
 * packages a production install (`npm ci --omit=dev`) has.
 */
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { randomBytes, randomId, toBase64Url } from '../shared/src/crypto/base64url'
import { buildRelay, packageOf } from '../relay/build'
import { SyncTestClient } from '../relay/src/test-support/sync-test-client'
import { testEntry, type TestEntry } from '../relay/src/test-support/test-entries'
import { waitFor } from '../relay/src/test-support/wait-for'
import { startRelayProcess, type RelayProcess } from './helpers/relay-process'

const repoRoot = fileURLToPath(new URL('..', import.meta.url))
const packageJson = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')) as {
  scripts: Record<string, string>
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
}

const cleanups: (() => Promise<void> | void)[] = []
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
})

describe('the production build of the relay', () => {
  it('imports from node_modules only packages of "dependencies", and no build tool', async () => {
    const outDir = mkdtempSync(join(tmpdir(), 'tournee-relay-build-'))
    cleanups.push(() => rmSync(outDir, { recursive: true, force: true }))
    const built = await buildRelay(outDir)
    // The relay's own runtime: if none were found, the bundle swallowed them (or nothing was built).
    expect(built.packages).toEqual(expect.arrayContaining(['ws', 'yjs', 'better-sqlite3', 'hono']))
    for (const specifier of built.packages) {
      expect(packageJson.dependencies, `${specifier} is imported by relay/dist`).toHaveProperty([packageOf(specifier)])
    }
    // Build-only tools stay out of a production install.
    for (const tool of ['tsx', 'esbuild', 'vite', 'typescript']) {
      expect(packageJson.dependencies).not.toHaveProperty([tool])
      expect(packageJson.devDependencies).toHaveProperty([tool])
    }
    expect(packageJson.scripts['start:relay']).toMatch(/^NODE_ENV=production node .*relay\/dist\/main\.js$/)
  })

  it('`npm run build:relay` makes a relay that node runs: /healthz, a practice, a stored update', async () => {
    await promisify(execFile)('npm', ['run', 'build:relay'], { cwd: repoRoot })
    const relay: RelayProcess = await startRelayProcess({ compiled: true })
    cleanups.push(() => relay.dispose())

    const health = await fetch(`${relay.url}/healthz`)
    expect(health.status).toBe(200)
    expect(await health.json()).toMatchObject({ status: 'ok', storage: 'sqlite' })

    // SQLite's native addon, hono's routes, ws and yjs, as the bundle loads them from node_modules.
    const spaceId = randomId()
    const credential = toBase64Url(randomBytes(32))
    const created = await fetch(`${relay.url}/v1/spaces/${spaceId}`, { method: 'PUT', headers: { authorization: `Bearer ${credential}` } })
    expect(created.status).toBe(201)
    const device = await SyncTestClient.connect(relay.url, spaceId, credential)
    cleanups.push(() => device.destroy())
    device.doc.getArray<TestEntry>('entries').push([testEntry('compiled')])
    await waitFor(() => expect(device.ackCovers()).toBe(true))
  })
})
