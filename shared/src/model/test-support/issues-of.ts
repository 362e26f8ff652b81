/** Test support: the `{ path, code }` issues of the ValidationError that `run` throws. */
import { ValidationError } from '../validation'

export function issuesOf(run: () => unknown): { path: string; code: string }[] {
  try {
    run()
  } catch (error) {
    if (error instanceof ValidationError) return error.issues.map(({ path, code }) => ({ path, code }))
    throw error
  }
  throw new Error('expected a ValidationError')
}
