import { afterEach, describe, expect, it, vi } from 'vitest'

afterEach(() => {
  vi.restoreAllMocks()
  vi.resetModules()
})

describe('zod-jitless', () => {
  it('makes zod parse objects without ever trying new Function (which the CSP reports)', async () => {
    await import('./zod-jitless')
    const { z } = await import('zod')
    expect(z.config().jitless).toBe(true)
    const made: unknown[] = []
    const OriginalFunction = globalThis.Function
    vi.spyOn(globalThis, 'Function').mockImplementation(function (this: unknown, ...args: string[]) {
      made.push(args)
      return OriginalFunction(...args)
    } as unknown as FunctionConstructor)
    const schema = z.object({ name: z.string(), visits: z.array(z.object({ at: z.number() })) })
    for (let i = 0; i < 3; i++) expect(schema.safeParse({ name: 'Vasseur', visits: [{ at: i }] }).success).toBe(true)
    expect(made).toEqual([])
  })
})
