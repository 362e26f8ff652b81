/**
 * vitest globalSetup: one PostgreSQL server for the whole run (tests/helpers/postgres-server.ts),
 * its admin URL handed to the test files through `inject('postgresAdminUrl')`. A server that
 * cannot start fails the run: PostgreSQL is part of what `npm test` checks, never skipped.
 */
import type { TestProject } from 'vitest/node'
import { startPostgresServer } from './postgres-server'

declare module 'vitest' {
  export interface ProvidedContext {
    postgresAdminUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const server = await startPostgresServer()
  project.provide('postgresAdminUrl', server.adminUrl)
  return () => server.stop()
}
