// Test support: a breach record form filled in completely and correctly, to change one field at a time.
import type { RecordInput } from './breach-record.ts';

export function validInput(overrides: Partial<RecordInput> = {}): RecordInput {
  return {
    description: 'Criminals copied data from the shared IT systems.',
    awareDay: '24',
    awareMonth: '11',
    awareYear: '2025',
    awareTime: '09:00',
    discovery: 'The IT team saw unusual activity.',
    dataCategories: ['basic-identity', 'health'],
    dataCategoriesOther: '',
    systemsAffected: 'Shared IT environment\n\n  Social care case records  \nShared IT environment',
    peopleBasis: 'approximate',
    peopleLow: '100,000',
    peopleHigh: '',
    recordsBasis: 'unknown',
    recordsLow: '',
    recordsHigh: '',
    dataExfiltrated: 'yes',
    dataEncrypted: 'no',
    consequences: 'Scam calls.',
    measuresTaken: 'Systems isolated.',
    measuresProposed: 'Write to people.',
    bodiesInformed: ['met-police', 'ncsc'],
    bodiesInformedOther: '',
    tellPeople: 'planned',
    tellOnDay: '',
    tellOnMonth: '',
    tellOnYear: '',
    tellPeopleReason: 'The risk is high.',
    dpoName: 'Dana Officer',
    dpoEmail: 'dpo@example.gov.uk',
    dpoPhone: '020 7641 6000',
    ...overrides,
  };
}
