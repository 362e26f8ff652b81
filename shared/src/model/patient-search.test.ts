import { describe, expect, it } from 'vitest'
import * as Y from 'yjs'
import { addPatient, listPatients, updatePatient, softDeletePatient } from './patients'
import { foldText, parseQuery, PatientSearchIndex, phoneDigits, searchPatients } from './patient-search'
import { alice, bob, exchange, fork, prng, steppingClock } from './test-support'

function names(doc: Y.Doc, query: string, options = {}): string[] {
  return searchPatients(doc, query, options).items.map((p) => `${p.usualName ?? p.birthName} ${p.firstNames}`)
}

function practice(): Y.Doc {
  const doc = new Y.Doc()
  const clock = steppingClock()
  addPatient(doc, { birthName: 'Lefèvre', firstNames: 'Zoé', birthDate: '1958-03-12', phones: ['06 12 34 56 78'] }, alice, clock)
  addPatient(doc, { birthName: 'Lefebvre', firstNames: 'Marc', birthDate: '1971-07-01', nir: '2 55 08 14 168 025 38' }, alice, clock)
  addPatient(doc, { birthName: 'Dupont', usualName: 'Martin', firstNames: 'Jean-Pierre', birthDate: '1958-11-30' }, alice, clock)
  addPatient(doc, { birthName: 'Cœur', firstNames: 'Lætitia', phones: ['+33 1 45 67 89 01'], tags: ['diabète'] }, alice, clock)
  addPatient(doc, { birthName: 'Martin', firstNames: 'Léa', birthDate: '1990-03-12' }, alice, clock)
  addPatient(doc, { birthName: 'Andre', firstNames: 'Martine' }, alice, clock)
  addPatient(doc, { birthName: "D'Arc", firstNames: 'Jeanne', archived: true }, alice, clock)
  return doc
}

describe('normalization', () => {
  it('folds accents, case, ligatures, hyphens and apostrophes', () => {
    expect(foldText('Lefèvre-Œuvray')).toBe('lefevre oeuvray')
    expect(foldText("D'Ÿs  ÆLIS")).toBe('d ys aelis')
    expect(foldText('Zoé')).toBe('zoe')
  })

  it('reads phone numbers in any formatting as national digits', () => {
    expect(phoneDigits('+33 6 12 34 56 78')).toBe('0612345678')
    expect(phoneDigits('0033 (0)6 12')).toBe('0612')
    expect(phoneDigits('06.12.34')).toBe('061234')
    expect(phoneDigits('+49 151')).toBe('49151')
  })

  it('parses dates, numbers and words', () => {
    expect(parseQuery('12/03/1958')).toEqual([{ kind: 'date', day: 12, month: 3, year: 1958 }])
    expect(parseQuery('1958-03-12')).toEqual([{ kind: 'date', day: 12, month: 3, year: 1958 }])
    expect(parseQuery('12/03')).toEqual([{ kind: 'date', day: 12, month: 3 }])
    expect(parseQuery('06 12 34')).toEqual([{ kind: 'digits', digits: '061234' }])
    expect(parseQuery('1958')).toEqual([{ kind: 'digits', digits: '1958', year: 1958 }])
    expect(parseQuery('jean-pierre 1958')).toEqual([
      { kind: 'word', text: 'jean' },
      { kind: 'word', text: 'pierre' },
      { kind: 'digits', digits: '1958', year: 1958 },
    ])
    expect(parseQuery('   ')).toEqual([])
  })
})

describe('search', () => {
  const doc = practice()

  it('finds names without accents or case, as prefixes of name words', () => {
    expect(names(doc, 'lefev')).toEqual(['Lefèvre Zoé'])
    expect(names(doc, 'zoe')).toEqual(['Lefèvre Zoé'])
    expect(names(doc, 'LEFE')).toEqual(['Lefebvre Marc', 'Lefèvre Zoé'])
    expect(names(doc, 'coeur laet')).toEqual(['Cœur Lætitia'])
    expect(names(doc, 'pierre')).toEqual(['Martin Jean-Pierre'])
    expect(names(doc, 'dupont')).toEqual(['Martin Jean-Pierre'])
    // Prefixes of words only: 'efev' is inside a name, not at the start of a word.
    expect(names(doc, 'efev')).toEqual([])
  })

  it('finds birth dates in French formats, ISO and by year', () => {
    expect(names(doc, '12/03/1958')).toEqual(['Lefèvre Zoé'])
    expect(names(doc, '1958-03-12')).toEqual(['Lefèvre Zoé'])
    expect(names(doc, '12/03')).toEqual(['Lefèvre Zoé', 'Martin Léa'])
    expect(names(doc, '1958')).toEqual(['Lefèvre Zoé', 'Martin Jean-Pierre'])
    expect(names(doc, 'martin 1958')).toEqual(['Martin Jean-Pierre'])
  })

  it('finds phones however typed, +33 or 0, and NIR with or without spaces', () => {
    expect(names(doc, '06 12 34')).toEqual(['Lefèvre Zoé'])
    expect(names(doc, '+33 6 12 34 56 78')).toEqual(['Lefèvre Zoé'])
    expect(names(doc, '01.45.67')).toEqual(['Cœur Lætitia'])
    expect(names(doc, '6789')).toEqual(['Cœur Lætitia'])
    expect(names(doc, '2550814168')).toEqual(['Lefebvre Marc'])
    expect(names(doc, '2 55 08 14')).toEqual(['Lefebvre Marc'])
  })

  it('ranks exact family name, then family prefix, then first name, then other fields', () => {
    // Martin (birth name) exact, Dupont-usual-Martin exact, then 'Martine' as a first name.
    expect(names(doc, 'martin')).toEqual(['Martin Jean-Pierre', 'Martin Léa', 'Andre Martine'])
    // 'Marc' and 'Martine' are both first-name prefixes: alphabetical between them.
    expect(names(doc, 'mar')).toEqual(['Martin Jean-Pierre', 'Martin Léa', 'Andre Martine', 'Lefebvre Marc'])
    expect(names(doc, 'diab')).toEqual(['Cœur Lætitia'])
  })

  it('lists everybody in French alphabetical order, archived only on request', () => {
    expect(names(doc, '')).toEqual([
      'Andre Martine',
      'Cœur Lætitia',
      'Lefebvre Marc',
      'Lefèvre Zoé',
      'Martin Jean-Pierre',
      'Martin Léa',
    ])
    expect(names(doc, 'jeanne')).toEqual([])
    expect(names(doc, 'jeanne', { includeArchived: true })).toEqual(["D'Arc Jeanne"])
    expect(names(doc, 'arc', { includeArchived: true })).toEqual(["D'Arc Jeanne"])
  })
})

describe('index kept up to date', () => {
  it('follows local and remote changes from the Y events', () => {
    const a = practice()
    const b = fork(a)
    const index = new PatientSearchIndex(a).attach()
    const clock = steppingClock()
    const zoe = index.search('zoe').items[0]
    if (!zoe) throw new Error('Zoé is in the practice')
    updatePatient(a, zoe.id, { birthName: 'Moreau' }, alice, clock)
    expect(index.search('moreau').items.map((p) => p.id)).toEqual([zoe.id])
    expect(index.search('lefev').items).toEqual([])
    addPatient(b, { birthName: 'Éluard', firstNames: 'Paul' }, bob, clock)
    exchange(a, b)
    expect(index.search('elu').items.map((p) => p.firstNames)).toEqual(['Paul'])
    softDeletePatient(a, zoe.id, alice, clock)
    expect(index.search('moreau').items).toEqual([])
    expect(index.search('moreau', { includeDeleted: true }).items).toHaveLength(1)
    index.detach()
    addPatient(a, { birthName: 'Hugo', firstNames: 'Victor' }, alice, clock)
    expect(index.search('hugo').items).toEqual([])
    expect(new PatientSearchIndex(a).search('hugo').items).toHaveLength(1)
  })

  it('gives while typing, and after a few or many changes, what a freshly built index gives', () => {
    const doc = practice()
    const index = new PatientSearchIndex(doc).attach()
    const clock = steppingClock()
    const same = (query: string, options = {}) =>
      expect(index.search(query, options).items.map((p) => p.id), query).toEqual(
        new PatientSearchIndex(doc).search(query, options).items.map((p) => p.id),
      )
    for (const query of ['m', 'ma', 'mar', 'mart', 'martin', 'martin l', 'martin le', 'martin', 'mar', 'l', 'le', 'lef']) same(query)
    // A rename moves a patient in the alphabetical order (one entry moved in place).
    const zoe = index.search('zoe').items[0]
    if (!zoe) throw new Error('Zoé is in the practice')
    same('ma')
    updatePatient(doc, zoe.id, { birthName: 'Aaron' }, alice, clock)
    same('')
    same('ma')
    same('a')
    // Many changes at once (an initial sync) re-sort everything.
    doc.transact(() => {
      for (let i = 0; i < 250; i++) addPatient(doc, { birthName: `Nom${String(i).padStart(3, '0')}`, firstNames: 'Marc' }, bob, clock)
    })
    same('')
    same('marc')
    same('nom1')
    same('jeanne', { includeArchived: true })
  })
})

describe('many changes at once merged into the order kept', () => {
  const seed = Math.floor(Math.random() * 2 ** 31)
  it(`orders as a freshly built index after random batches of renames, additions and removals (seed ${seed})`, () => {
    console.log(`patient-search merge seed: ${seed}`)
    const rand = prng(seed)
    const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)] as T
    const doc = practice()
    const clock = steppingClock()
    const family = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon']
    const first = ['Léa', 'Hugo', 'Chloé', 'Louis', 'Emma', 'Jules']
    doc.transact(() => {
      for (let i = 0; i < 400; i++) addPatient(doc, { birthName: pick(family), firstNames: pick(first) }, alice, clock)
    })
    const index = new PatientSearchIndex(doc).attach()
    const ids = () => [...doc.getMap<unknown>('patients').keys()]
    let changes = 0
    for (let batch = 0; batch < 4; batch++) {
      index.search('')
      // Over 200 changed records in one transaction: the merged path, not the in-place one.
      doc.transact(() => {
        for (let i = 0; i < 260; i++) {
          const roll = rand()
          const id = pick(ids())
          if (roll < 0.5) updatePatient(doc, id, { birthName: pick(family), firstNames: pick(first) }, alice, clock)
          else if (roll < 0.8) addPatient(doc, { birthName: pick(family), firstNames: pick(first) }, bob, clock)
          else doc.getMap<unknown>('patients').delete(id)
          changes++
        }
      })
      for (const options of [{}, { includeArchived: true }]) {
        expect(index.search('', options).items.map((p) => p.id)).toEqual(new PatientSearchIndex(doc).search('', options).items.map((p) => p.id))
      }
      expect(index.search('mar').items.map((p) => p.id)).toEqual(new PatientSearchIndex(doc).search('mar').items.map((p) => p.id))
    }
    expect(changes).toBe(4 * 260)
  })
})

describe('PatientSearchIndex.derived', () => {
  it('computes once while the directory is unchanged, again after a local or a remote change', () => {
    const a = practice()
    const b = fork(a)
    const index = new PatientSearchIndex(a).attach()
    const clock = steppingClock()
    let computed = 0
    const surnames = (i: PatientSearchIndex) => {
      computed++
      return i.search('', { includeArchived: true }).items.map((p) => p.birthName)
    }
    const first = index.derived(surnames)
    expect(index.derived(surnames)).toBe(first)
    expect(computed).toBe(1)
    // Another function is another value.
    expect(index.derived((i) => i.size)).toBe(7)
    expect(computed).toBe(1)
    const zoe = index.search('zoe').items[0]
    if (!zoe) throw new Error('Zoé is in the practice')
    updatePatient(a, zoe.id, { birthName: 'Moreau' }, alice, clock)
    const renamed = index.derived(surnames)
    expect(computed).toBe(2)
    expect(renamed).toContain('Moreau')
    expect(renamed).not.toContain('Lefèvre')
    addPatient(b, { birthName: 'Éluard', firstNames: 'Paul' }, bob, clock)
    exchange(a, b)
    expect(index.derived(surnames)).toContain('Éluard')
    expect(computed).toBe(3)
    expect(index.derived(surnames)).toContain('Éluard')
    expect(computed).toBe(3)
  })
})

describe('index built from a list of patients', () => {
  it('finds and ranks what the doc-built index finds, archived and deleted on request', () => {
    const doc = practice()
    const gone = addPatient(doc, { birthName: 'Lefort', firstNames: 'Paul' }, alice, steppingClock())
    softDeletePatient(doc, gone, alice, steppingClock())
    const fromDoc = new PatientSearchIndex(doc)
    const fromList = new PatientSearchIndex(listPatients(doc, { includeArchived: true, includeDeleted: true }).items)
    expect(fromList.size).toBe(fromDoc.size)
    const queries = ['', 'lefe', 'zoe', 'martin', 'coeur laet', '12/03', '1958', '06 12 34', '+33 1 45', '255081416802538', 'diab', 'jean pierre', 'xyz']
    const variants = [{}, { includeArchived: true }, { includeArchived: true, includeDeleted: true }]
    for (const query of queries) {
      for (const options of variants) {
        expect(fromList.search(query, options).items, `${query} ${JSON.stringify(options)}`).toEqual(fromDoc.search(query, options).items)
      }
    }
    expect(fromList.search('lefo', { includeDeleted: true }).items.map((p) => p.id)).toEqual([gone])
    expect(fromList.get(gone)?.birthName).toBe('Lefort')
  })

  it('is a fixed snapshot: attaching follows nothing', () => {
    const doc = practice()
    const index = new PatientSearchIndex(listPatients(doc).items).attach()
    addPatient(doc, { birthName: 'Zèbre', firstNames: 'Ana' }, alice, steppingClock())
    expect(index.search('zebre').items).toEqual([])
    index.detach()
  })
})

describe('a list-built index with some patients changed', () => {
  it('searches as an index built from the changed list, and leaves the original alone', () => {
    const doc = practice()
    const base = new PatientSearchIndex(listPatients(doc, { includeArchived: true, includeDeleted: true }).items)
    const before = base.search('').items
    const clock = steppingClock()
    const added = addPatient(doc, { birthName: 'Abel', firstNames: 'Zoé', phones: ['0699999999'] }, alice, clock)
    const martin = base.search('martin lea').items[0]!.id
    updatePatient(doc, martin, { birthName: 'Zola' }, alice, clock)
    const changed = listPatients(doc, { includeArchived: true, includeDeleted: true }).items.filter((p) => p.id === added || p.id === martin)
    const copy = base.withPatients(changed)
    const rebuilt = new PatientSearchIndex(listPatients(doc, { includeArchived: true, includeDeleted: true }).items)
    for (const query of ['', 'zo', 'zola', 'martin', 'lea', '06 99', 'abel zoe', '12/03']) {
      expect(copy.search(query, { includeArchived: true }).items, query).toEqual(rebuilt.search(query, { includeArchived: true }).items)
    }
    expect(copy.size).toBe(base.size + 1)
    expect(base.search('').items).toEqual(before)
    expect(base.search('zola').items).toEqual([])
  })
})

describe('PatientSearchIndex.build (in slices)', () => {
  it('gives the index a one-go build gives, and sees what changed between its slices', async () => {
    const doc = practice()
    const clock = steppingClock()
    let slices = 0
    let renamed: string | null = null
    const index = await PatientSearchIndex.build(
      doc,
      async () => {
        slices++
        // Between two slices, a record already read changes and a new one arrives.
        if (slices === 1) {
          renamed = listPatients(doc).items.find((p) => p.birthName === 'Lefèvre')!.id
          updatePatient(doc, renamed, { firstNames: 'Zoée' }, alice, clock)
          addPatient(doc, { birthName: 'Zamenhof', firstNames: 'Ludwik' }, alice, clock)
        }
      },
      2,
    )
    expect(slices).toBeGreaterThan(2)
    const oneGo = new PatientSearchIndex(doc)
    for (const query of ['', 'zoee', 'lef', 'zamen', '1958']) {
      expect(index.search(query, { includeArchived: true }).items, query).toEqual(oneGo.search(query, { includeArchived: true }).items)
    }
    expect(index.byId().get(renamed!)?.firstNames).toBe('Zoée')
    // Attached: later changes are seen too, and byId() is the same Map until one comes.
    const byId = index.byId()
    expect(index.byId()).toBe(byId)
    addPatient(doc, { birthName: 'Ouvrard', firstNames: 'Lise' }, alice, clock)
    expect(index.byId()).not.toBe(byId)
    expect(names(doc, 'ouvrard')).toEqual(index.search('ouvrard').items.map((p) => `${p.usualName ?? p.birthName} ${p.firstNames}`))
  })

  it('leaves the first read nothing to do over every patient: the order and the duplicate pairs are made in the slices', async () => {
    // Issue 17: the patient list's first read of a directory index just built sorted every entry
    // and grouped them by birth date in one task of 0.3–0.5 s after a join.
    const doc = practice()
    const clock = steppingClock()
    addPatient(doc, { birthName: 'Lefèvre', firstNames: 'Anna', birthDate: '1958-03-12' }, alice, clock)
    addPatient(doc, { birthName: 'Lefevre', firstNames: 'Anna', birthDate: '1958-03-12' }, alice, clock)
    let slices = 0
    const index = await PatientSearchIndex.build(doc, async () => void slices++, 2)
    expect(index.settled).toBe(true)
    const oneGo = new PatientSearchIndex(doc)
    expect(index.search('', { includeArchived: true }).items).toEqual(oneGo.search('', { includeArchived: true }).items)
    expect(index.duplicatePairs()).toEqual(oneGo.duplicatePairs())
    expect(index.duplicatePairs().length).toBeGreaterThan(0)
    // A change read later is still found: the kept order and pairs follow it.
    addPatient(doc, { birthName: 'Lefêvre', firstNames: 'Anna', birthDate: '1958-03-12' }, alice, clock)
    expect(index.settled).toBe(false)
    expect(index.duplicatePairs()).toEqual(new PatientSearchIndex(doc).duplicatePairs())
    expect(index.search('', { includeArchived: true }).items).toEqual(new PatientSearchIndex(doc).search('', { includeArchived: true }).items)
  })
})
