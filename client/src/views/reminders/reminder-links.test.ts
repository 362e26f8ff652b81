import { describe, expect, it } from 'vitest'
import { mailtoHref, smsHref } from './reminder-links'

const body = 'Bonjour Jeanne, rappel : rendez-vous le mardi 24 novembre à 9 h 30. Merci & à demain #2'

describe('reminder links', () => {
  it('prefills an SMS to the stored number, the body encoded, in each platform’s form', () => {
    expect(smsHref('06 12 34 56 78', 'Bonjour', 'android')).toBe('sms:0612345678?body=Bonjour')
    expect(smsHref('+33612345678', 'Bonjour', 'apple')).toBe('sms:+33612345678&body=Bonjour')
    const href = smsHref('0612345678', body, 'other')
    expect(decodeURIComponent(href.slice(href.indexOf('body=') + 5))).toBe(body)
    expect(href).not.toContain(' ')
    expect(href).not.toContain('#')
  })

  it('prefills an e-mail with subject and body', () => {
    const href = mailtoHref('jeanne.dupont@example.fr', 'Rappel de rendez-vous', body)
    const url = new URL(href)
    expect(url.protocol).toBe('mailto:')
    expect(url.pathname).toBe('jeanne.dupont@example.fr')
    expect(url.searchParams.get('subject')).toBe('Rappel de rendez-vous')
    expect(url.searchParams.get('body')).toBe(body)
  })
})
