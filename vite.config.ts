import { fileURLToPath } from 'node:url'
import { defineConfig } from 'vitest/config'
import react from '@vitejs/plugin-react'
import { VitePWA } from 'vite-plugin-pwa'
import { PINNED_TEST_DAYS } from './tests/helpers/pinned-days'

const repoRoot = fileURLToPath(new URL('.', import.meta.url))
const relayPort = Number(process.env.TOURNEE_PORT ?? 8080)

/**
 * The suites that test "today" (each holds cases at the test's today, computed against an
 * independent calendar, tests/helpers/calendar-oracle.ts): the rooms a device starts with, the week
 * digest, a series from today, the agenda's ranges, today's home-visit round, and the devices that
 * sync them. `npm test` runs them again at each pinned day (tests/helpers/pinned-days.ts);
 * tests/e2e/pinned-days.test.ts walks the same days in Chromium. One day alone:
 * `npx vitest run --project pinned-2027-03-28`; the whole suite at any day:
 * `TOURNEE_TEST_TODAY=2027-03-28 npx vitest run`.
 */
const DATE_SENSITIVE = [
  'shared/src/space/rooms.test.ts',
  'shared/src/digest/week-digest.test.ts',
  'shared/src/model/series-rule.test.ts',
  'client/src/sync/practice/practice.test.ts',
  'client/src/views/agenda/agenda-range.test.ts',
  'client/src/views/tournee/home-visits.test.ts',
  'tests/practice-rooms.test.ts',
  'tests/week-digest.test.ts',
  'tests/directory-digest.test.ts',
  'tests/digest-poisoning.test.ts',
]

/** The relay's own routes: a service worker never answers them, they always go to the network. */
const RELAY_ROUTES = [/^\/v1\//, /^\/healthz(?:$|[/?])/, /^\/metrics(?:$|[/?])/]

// The client is built into dist/client and served by the relay in production (one process, one
// port). In development `vite` serves the client and proxies the relay's routes (no service worker
// in development: registerSW is a no-op there).
/**
 * The relay's tests that store (routes, sync, bad input and limits): `npm test` runs them again
 * on PostgreSQL in the unit-postgres project, where TOURNEE_TEST_STORAGE=postgres points
 * relay/src/test-support/test-storages.ts at a fresh database of the run's server. One file on
 * PostgreSQL alone: `npx vitest run --project unit-postgres relay/src/server.test.ts`.
 */
const STORAGE_BACKED = [
  'relay/src/server.test.ts',
  'relay/src/app/attachments.test.ts',
  'relay/src/app/create-app.test.ts',
  'relay/src/app/digests.test.ts',
  'relay/src/app/key-epochs.test.ts',
  'relay/src/app/pairings.test.ts',
]

/**
 * The cross-part tests of what the relay refuses and keeps, through a real relay process: run
 * again with the relay process on PostgreSQL (tests/helpers/relay-process.ts) in the
 * integration-postgres project.
 */
const STORAGE_BACKED_INTEGRATION = [
  'tests/relay-bad-input.test.ts',
  'tests/relay-envelope-shape.test.ts',
  'tests/delivered-means-stored.test.ts',
  'tests/relay-perimeter.test.ts',
  'tests/key-grants.test.ts',
]

export default defineConfig({
  root: fileURLToPath(new URL('./client', import.meta.url)),
  plugins: [
    react(),
    VitePWA({
      // A new version waits until the user taps « Mettre à jour » (client/src/app/app-update.ts).
      registerType: 'prompt',
      // Registered from main.tsx through virtual:pwa-register, not by an injected script.
      injectRegister: false,
      // One source for the manifest: client/public/manifest.webmanifest (precached by the glob).
      manifest: false,
      workbox: {
        // The whole app shell, so that a device that opened Tournée once starts with no network.
        globPatterns: ['**/*.{html,js,css,svg,png,webmanifest}'],
        // Client-side routes (the app uses the hash, but a deep link or a bookmark may not).
        navigateFallback: 'index.html',
        navigateFallbackDenylist: RELAY_ROUTES,
        cleanupOutdatedCaches: true,
        // The first install controls the page that installed it (nothing older to replace). An
        // update still waits for skipWaiting, sent only on the user's tap.
        clientsClaim: true,
        // No runtime caching: the practice's data lives in IndexedDB, the relay's routes are live.
        runtimeCaching: [],
        // No sw.js.map beside the service worker (see build.sourcemap).
        sourcemap: false,
      },
    }),
  ],
  build: {
    outDir: fileURLToPath(new URL('./dist/client', import.meta.url)),
    emptyOutDir: true,
    // No source maps in the served app: they would publish the whole source, comments included,
    // and the relay refuses to serve *.map anyway (relay/src/app/static-client.ts). The bench's
    // CPU profiles build with hidden maps of their own (tests/bench/app-build.ts).
    sourcemap: false,
  },
  server: {
    proxy: {
      '/v1': { target: `http://127.0.0.1:${relayPort}`, ws: true },
      '/healthz': `http://127.0.0.1:${relayPort}`,
    },
  },
  test: {
    // Cross-part tests start relay processes and browsers: give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
    projects: [
      {
        root: repoRoot,
        test: {
          name: 'unit',
          environment: 'node',
          include: ['shared/**/*.test.ts', 'relay/**/*.test.ts', 'client/**/*.test.{ts,tsx}'],
          setupFiles: ['tests/helpers/setup-node.ts'],
          // The storage contract and the relay's route tests run on PostgreSQL too.
          globalSetup: ['tests/helpers/postgres-global-setup.ts'],
        },
      },
      {
        root: repoRoot,
        test: {
          name: 'unit-postgres',
          environment: 'node',
          include: STORAGE_BACKED,
          setupFiles: ['tests/helpers/setup-node.ts'],
          globalSetup: ['tests/helpers/postgres-global-setup.ts'],
          env: { TOURNEE_TEST_STORAGE: 'postgres' },
        },
      },
      {
        root: repoRoot,
        test: {
          name: 'integration',
          environment: 'node',
          include: ['tests/*.test.ts'],
          setupFiles: ['tests/helpers/setup-node.ts'],
          globalSetup: ['tests/helpers/postgres-global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      {
        root: repoRoot,
        test: {
          name: 'integration-postgres',
          environment: 'node',
          include: STORAGE_BACKED_INTEGRATION,
          setupFiles: ['tests/helpers/setup-node.ts'],
          globalSetup: ['tests/helpers/postgres-global-setup.ts'],
          env: { TOURNEE_TEST_STORAGE: 'postgres' },
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
      ...PINNED_TEST_DAYS.map((day) => ({
        root: repoRoot,
        test: {
          name: `pinned-${day}`,
          environment: 'node' as const,
          include: DATE_SENSITIVE,
          setupFiles: ['tests/helpers/setup-node.ts'],
          env: { TOURNEE_TEST_TODAY: day },
          testTimeout: 120_000,
        },
      })),
      {
        root: repoRoot,
        test: {
          name: 'e2e',
          environment: 'node',
          include: ['tests/e2e/**/*.test.ts'],
          // One Chromium at a time: two cores, and each test drives two browser contexts.
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 120_000,
        },
      },
    ],
  },
})
