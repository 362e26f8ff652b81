/**
 * Creating a space can be restricted to people who know the relay's enrolment secret
 * (TOURNEE_ENROLMENT_SECRET), so a relay on the internet is not free storage for strangers.
 */
import { timingSafeEqualStrings } from './constant-time'

/** `missing` maps to HTTP 401, `wrong` to 403. */
export type EnrolmentVerdict = 'open' | 'granted' | 'missing' | 'wrong'

export function checkEnrolment(secret: string | null, presented: string | undefined): EnrolmentVerdict {
  if (secret === null) return 'open'
  if (presented === undefined || presented === '') return 'missing'
  return timingSafeEqualStrings(presented, secret) ? 'granted' : 'wrong'
}
