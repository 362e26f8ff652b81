/**
 * Who may create a space (enrol a practice), so that a relay reachable from a network is not free
 * storage for strangers:
 *
 *   TOURNEE_ENROLMENT_SECRET set     the `x-tournee-enrolment` header must equal it, from anywhere
 *                                    (compared in constant time): missing 401, wrong 403
 *   TOURNEE_OPEN_ENROLMENT=1         anyone may (the operator opened it on purpose)
 *   neither (the default)            only from this machine (a local client: loopback, not
 *                                    forwarded by a proxy): `npm start` and a browser on the same
 *                                    computer just work; from elsewhere, 403 `closed`
 *
 * A relay that listens only on loopback and has no proxy in front is reached only from this
 * machine anyway; one that listens beyond it (TOURNEE_HOST=0.0.0.0), or that a proxy exposes,
 * asks for the secret unless its operator opens enrolment explicitly.
 */
import { timingSafeEqualStrings } from './constant-time'

export interface EnrolmentPolicy {
  readonly secret: string | null
  readonly open: boolean
}

/** `missing` maps to HTTP 401, `wrong` and `closed` to 403. */
export type EnrolmentVerdict = 'open' | 'granted' | 'missing' | 'wrong' | 'closed'

/** How the policy reads in the `listening` log line and docs/relay.md. */
export type EnrolmentMode = 'secret' | 'open' | 'local'

export function enrolmentMode(policy: EnrolmentPolicy): EnrolmentMode {
  if (policy.secret !== null) return 'secret'
  return policy.open ? 'open' : 'local'
}

export function checkEnrolment(policy: EnrolmentPolicy, presented: string | undefined, local: boolean): EnrolmentVerdict {
  if (policy.secret !== null) {
    if (presented === undefined || presented === '') return 'missing'
    return timingSafeEqualStrings(presented, policy.secret) ? 'granted' : 'wrong'
  }
  return policy.open || local ? 'open' : 'closed'
}
