/**
 * The relay's production build (`npm run build:relay`): relay/src/main.ts and everything of
 * relay/ and shared/ it imports, bundled by esbuild into one ES module, `relay/dist/main.js`,
 * which `node` runs (`npm run start:relay`) — no TypeScript at run time, no tsx.
 *
 * Packages stay outside the bundle (`packages: 'external'`): they load from node_modules as they
 * are, better-sqlite3's native addon included, and each must be a `dependencies` entry of
 * package.json, so that a production install (`npm ci --omit=dev`) has them. build.test.ts checks it.
 */
import { build } from 'esbuild'
import { rmSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const relayDir = fileURLToPath(new URL('.', import.meta.url))

export const RELAY_DIST = join(relayDir, 'dist')

export interface RelayBuild {
  /** The file `node` runs. */
  readonly entry: string
  /** Packages the bundle imports from node_modules (`ws`, `hono/cors`…), `node:` modules aside. */
  readonly packages: readonly string[]
}

export async function buildRelay(outDir: string = RELAY_DIST): Promise<RelayBuild> {
  rmSync(outDir, { recursive: true, force: true })
  const entry = join(outDir, 'main.js')
  const result = await build({
    entryPoints: [join(relayDir, 'src/main.ts')],
    outfile: entry,
    bundle: true,
    platform: 'node',
    format: 'esm',
    // package.json's engines: Node ≥ 20.19.
    target: 'node20',
    packages: 'external',
    // Stack traces of a production relay point at the TypeScript source.
    sourcemap: true,
    metafile: true,
    logLevel: 'warning',
  })
  const imports = Object.values(result.metafile.outputs).flatMap((output) => output.imports)
  const packages = [...new Set(imports.filter((i) => i.external && !i.path.startsWith('node:')).map((i) => i.path))].sort()
  return { entry, packages }
}

/** The package a bare import names: `hono/cors` → `hono`, `@hono/node-server/serve-static` → `@hono/node-server`. */
export function packageOf(specifier: string): string {
  const parts = specifier.split('/')
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const built = await buildRelay()
  process.stdout.write(`Relay built: ${built.entry} (run it with \`npm run start:relay\`)\n`)
}
