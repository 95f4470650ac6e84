// The persuasion a scam relies on, as phrase lists and patterns: refunds, urgency, identity checks,
// bank or card details, the data breach itself, gift cards, crypto, threats and payment demands.
// Requests are ignored in sentences that say the opposite ("we will never ask for your bank
// details"), which is what genuine breach notices say.

export type LureCode =
  | 'refund'
  | 'urgency'
  | 'identity-verification'
  | 'bank-details'
  | 'credentials'
  | 'data-breach'
  | 'gift-cards'
  | 'crypto'
  | 'threat'
  | 'payment-demand'
  | 'delivery-fee'
  | 'prize'
  | 'family-new-number';

export interface LurePattern {
  pattern: RegExp;
  /**
   * Words the pattern cannot match without, in lower case: one of each list must be in the text.
   * Most mail lacks them, and one search for all of them is cheaper than trying every pattern.
   */
  needs: string[][];
}

/**
 * Every pattern is case-insensitive without the `u` flag, so it matches its ASCII letters only
 * against ASCII letters of either case, as the search for needed words does, so a text a pattern
 * matches holds each of its needed words. lures.test.ts checks the lists against phrases for every
 * alternative.
 */
function lure(pattern: RegExp, ...needs: string[][]): LurePattern {
  return { pattern, needs };
}

export interface LureRule {
  code: LureCode;
  label: string;
  weight: number;
  patterns: LurePattern[];
  /** A request: dropped from sentences that say it will never happen. */
  request: boolean;
}

export const LURE_RULES: readonly LureRule[] = [
  {
    code: 'refund',
    label: 'offers a refund, rebate or money owed',
    weight: 18,
    request: false,
    patterns: [
      lure(
        /\b(refund|rebate|reimburse(?:ment)?|overpa(?:id|yment)|compensation|entitled to (?:a |an )?(?:payment|refund|grant)|owed (?:to you|a refund)|claim (?:your|the) (?:money|refund|payment|grant|compensation))\b/i,
        ['refund', 'rebate', 'reimburse', 'overpa', 'compensation', 'entitled to', 'owed ', 'claim '],
      ),
      lure(
        /\b(?:cost of living|energy|council tax) (?:payment|support|grant|reduction) .{0,40}\b(?:claim|apply|eligible)/i,
        ['cost of living', 'energy', 'council tax'],
      ),
      lure(
        /\b(?:eligible|qualif(?:y|ied)) for (?:a |an )?(?:free |one-off )?(?:[a-z0-9-]+ )?(?:payment|refund|rebate|grant|discount|reduction|booster|compensation|support payment)\b/i,
        ['eligible', 'qualif'],
      ),
    ],
  },
  {
    code: 'urgency',
    label: 'pushes you to act quickly',
    weight: 10,
    request: false,
    patterns: [
      lure(
        /\b(urgent(?:ly)?|immediate(?:ly)?|act now|right away|as soon as possible|final (?:notice|reminder|warning)|last chance|expires? (?:today|tonight|soon|in \d+)|within (?:24|48|72|12|\d) ?(?:hours|hrs|h)\b|today only|before midnight|without delay|time[- ]sensitive)\b/i,
        [
          'urgent',
          'immediate',
          'act now',
          'right away',
          'as soon as possible',
          'final ',
          'last chance',
          'expire',
          'within',
          'today only',
          'before midnight',
          'without delay',
          'sensitive',
        ],
      ),
    ],
  },
  {
    code: 'identity-verification',
    label: 'asks you to verify or confirm your identity or account',
    weight: 16,
    request: true,
    patterns: [
      lure(
        /\b(verify|confirm|validate|re-?activate|update|unlock|restore) (?:your )?(?:identity|account|details|information|personal (?:details|information|data)|records|login|access|profile)\b/i,
        ['verify', 'confirm', 'validate', 'activate', 'update', 'unlock', 'restore'],
      ),
      lure(/\b(?:identity|account) (?:verification|confirmation|check)\b/i, [
        'identity verification',
        'identity confirmation',
        'identity check',
        'account verification',
        'account confirmation',
        'account check',
      ]),
      lure(/\b(?:date of birth|national insurance(?: number)?|passport number|mother'?s maiden name)\b/i, [
        'date of birth',
        'national insurance',
        'passport number',
        'maiden name',
      ]),
    ],
  },
  {
    code: 'bank-details',
    label: 'asks for bank or card details',
    weight: 20,
    request: true,
    patterns: [
      lure(/\b(?:bank|card|payment|banking|account) (?:details|information|number|verification)\b/i, [
        'bank details',
        'bank information',
        'bank number',
        'bank verification',
        'card details',
        'card information',
        'card number',
        'card verification',
        'payment details',
        'payment information',
        'payment number',
        'payment verification',
        'banking details',
        'banking information',
        'banking number',
        'banking verification',
        'account details',
        'account information',
        'account number',
        'account verification',
      ]),
      lure(/\b(?:sort code|card number|cvv|cvc|security code on the back|expiry date|long card number|pin)\b/i, [
        'sort code',
        'card number',
        'cvv',
        'cvc',
        'security code',
        'expiry date',
        'pin',
      ]),
      lure(/\benter (?:your )?(?:card|bank)\b/i, ['enter card', 'enter bank', 'enter your card', 'enter your bank']),
    ],
  },
  {
    code: 'credentials',
    label: 'asks for a password or sign-in code',
    weight: 18,
    request: true,
    patterns: [
      lure(
        /\b(?:password|passcode|one[- ]time (?:code|passcode|password)|security code|verification code|login details|sign[- ]in details)\b/i,
        [
          'password',
          'passcode',
          'one time',
          'one-time',
          'security code',
          'verification code',
          'login details',
          'sign in details',
          'sign-in details',
        ],
      ),
    ],
  },
  {
    code: 'data-breach',
    label: 'uses the data breach to alarm you',
    weight: 14,
    request: false,
    patterns: [
      lure(
        /\b(?:your|resident'?s?) (?:personal )?(?:data|details|information|records|account)\b.{0,40}\b(?:was|were|has been|have been|may have been) (?:exposed|leaked|stolen|compromised|breached|hacked|taken|copied)/i,
        ['exposed', 'leaked', 'stolen', 'compromised', 'breached', 'hacked', 'taken', 'copied'],
      ),
      lure(/\b(?:data breach|data leak|cyber ?attack|cyber incident|hack(?:ed|ing)?|compromised)\b/i, [
        'data breach',
        'data leak',
        'cyber',
        'hack',
        'compromised',
      ]),
    ],
  },
  {
    code: 'gift-cards',
    label: 'asks for gift cards or vouchers',
    weight: 25,
    request: true,
    patterns: [
      lure(/\b(?:gift ?cards?|itunes|google play cards?|steam cards?|amazon vouchers?|voucher codes?)\b/i, [
        'gift',
        'itunes',
        'google play card',
        'steam card',
        'amazon voucher',
        'voucher code',
      ]),
    ],
  },
  {
    code: 'crypto',
    label: 'mentions cryptocurrency',
    weight: 22,
    request: true,
    patterns: [
      lure(/\b(?:bitcoin|btc|crypto(?:currency)?|ethereum|usdt|tether|crypto wallet|wallet address)\b/i, [
        'bitcoin',
        'btc',
        'crypto',
        'ethereum',
        'usdt',
        'tether',
        'wallet address',
      ]),
    ],
  },
  {
    code: 'threat',
    label: 'threatens a penalty, arrest, court action or losing a service',
    weight: 14,
    request: false,
    patterns: [
      lure(
        /\b(?:penalty|fine(?:d)?|prosecut(?:e|ed|ion)|arrest(?:ed)?|court action|legal action|bailiffs?|enforcement (?:agents?|action)|warrant|suspended|suspension|closed permanently|deactivated|terminated|disconnected|blacklist(?:ed)?)\b/i,
        [
          'penalty',
          'fine',
          'prosecut',
          'arrest',
          'court action',
          'legal action',
          'bailiff',
          'enforcement',
          'warrant',
          'suspen',
          'closed permanently',
          'deactivated',
          'terminated',
          'disconnected',
          'blacklist',
        ],
      ),
    ],
  },
  {
    code: 'payment-demand',
    label: 'asks you to pay or send money',
    weight: 14,
    request: true,
    patterns: [
      lure(/\b(?:pay|payment of|transfer|send|settle)\b.{0,30}(?:£|gbp|\bfee\b|outstanding|arrears|balance|amount)/i, [
        '£',
        'gbp',
        'fee',
        'outstanding',
        'arrears',
        'balance',
        'amount',
      ]),
      lure(/\b(?:outstanding|unpaid|overdue) (?:balance|amount|payment|bill|charge|fee|council tax)\b/i, [
        'outstanding',
        'unpaid',
        'overdue',
      ]),
      lure(/\bpay (?:now|here|online|today|the fee)\b/i, ['pay ']),
    ],
  },
  {
    code: 'delivery-fee',
    label: 'says a parcel or delivery needs a fee',
    weight: 20,
    request: false,
    patterns: [
      lure(/\b(?:parcel|package|delivery|redelivery|shipment)\b.{0,60}\b(?:fee|pay|charge|held|missed|reschedule)\b/i, [
        'parcel',
        'package',
        'delivery',
        'shipment',
      ]),
    ],
  },
  {
    code: 'family-new-number',
    label: 'claims to be someone you know on a new number',
    weight: 30,
    request: false,
    patterns: [
      lure(/\b(?:hi|hello|hey) (?:mum|mom|dad|mam)\b|\b(?:lost|broke|dropped) my phone\b|\bmy new number\b/i, [
        'mum',
        'mom',
        'dad',
        'mam',
        ' my phone',
        'my new number',
      ]),
    ],
  },
  {
    code: 'prize',
    label: 'promises a prize or unexpected money',
    weight: 16,
    request: false,
    patterns: [
      lure(/\b(?:you(?:'ve| have)? won|winner|prize|lottery|congratulations,? you)\b/i, [
        'won',
        'winner',
        'prize',
        'lottery',
        'congratulations',
      ]),
    ],
  },
];

export interface LureFinding {
  code: LureCode;
  label: string;
  weight: number;
  evidence: string;
}

const NEEDED_WORDS = [...new Set(LURE_RULES.flatMap((rule) => rule.patterns.flatMap((p) => p.needs.flat())))].sort(
  (a, b) => b.length - a.length,
);
/** Each needed word with the needed words inside it (itself included). */
const WORDS_WITHIN = new Map(NEEDED_WORDS.map((word) => [word, NEEDED_WORDS.filter((w) => word.includes(w))]));
/** Longest first, so the word found where several start is the one holding the others. */
const NEEDED_WORD = new RegExp(NEEDED_WORDS.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'), 'gi');

/**
 * The needed words the text holds, in one pass of one pattern: tried at every position (each search
 * starts one character after the last match began), the longest word starting at each is found and
 * the shorter ones starting there are inside it. Case-insensitive without `u`, like the lures.
 */
function wordsIn(text: string): Set<string> {
  const present = new Set<string>();
  NEEDED_WORD.lastIndex = 0;
  for (let match; (match = NEEDED_WORD.exec(text)); NEEDED_WORD.lastIndex = match.index + 1)
    for (const word of WORDS_WITHIN.get(match[0].toLowerCase())!) present.add(word);
  return present;
}

/** Sentences saying something will never be asked for: ignored for requests. */
const DENIAL =
  /\b(?:never|will not|won't|would not|wouldn't|do not|don't|does not|doesn't|not ask|not be asked|not need to|no need to|nor)\b/i;

export function findLures(text: string): LureFinding[] {
  const sample = text.length > 100_000 ? text.slice(0, 100_000) : text;
  // A pattern that matches nowhere in the text matches in none of its sentences (they are split at
  // white space, so \b reads the same at their ends), so most rules end with one test of the whole text.
  const present = wordsIn(sample);
  const rules: Array<{ rule: LureRule; patterns: RegExp[] }> = [];
  for (const rule of LURE_RULES) {
    const patterns: RegExp[] = [];
    for (const { pattern, needs } of rule.patterns)
      if (needs.every((words) => words.some((word) => present.has(word))) && pattern.test(sample))
        patterns.push(pattern);
    if (patterns.length) rules.push({ rule, patterns });
  }
  if (rules.length === 0) return [];
  const sentences = sample.split(/(?<=[.!?])\s+|\n+/);
  const denials = new Map<number, boolean>();
  const denies = (i: number) => {
    let denial = denials.get(i);
    if (denial === undefined) denials.set(i, (denial = DENIAL.test(sentences[i]!)));
    return denial;
  };
  const found: LureFinding[] = [];
  for (const { rule, patterns } of rules) {
    let evidence: string | undefined;
    for (let i = 0; i < sentences.length; i++) {
      const sentence = sentences[i]!;
      if (sentence.length > 2000) continue;
      if (rule.request && denies(i)) continue;
      for (const pattern of patterns) {
        const match = pattern.exec(sentence);
        if (match) {
          evidence = quote(sentence, match.index, match[0].length);
          break;
        }
      }
      if (evidence) break;
    }
    if (evidence) found.push({ code: rule.code, label: rule.label, weight: rule.weight, evidence });
  }
  return found;
}

function quote(sentence: string, at: number, length: number): string {
  const start = Math.max(0, at - 40);
  const end = Math.min(sentence.length, at + length + 40);
  return `${start > 0 ? '…' : ''}${sentence.slice(start, end).trim()}${end < sentence.length ? '…' : ''}`;
}
