/**
 * zod (pinned in package.json) compiles its object parsers with `new Function` when it may. Under
 * the app's Content-Security-Policy it may not (no 'unsafe-eval': relay/src/app/security-headers.ts),
 * so zod parses without compiling either way; but it finds that out by trying a `new Function('')`
 * in a try/catch, and the browser still reports the refusal as a violation of the policy, on every
 * load. Told it is jitless, zod never tries.
 *
 * zod decides when a schema is built, at module load: this module is the page's first import
 * (main.tsx), before any module that defines a schema. The decode worker imports no zod.
 */
import { z } from 'zod'

z.config({ jitless: true })
