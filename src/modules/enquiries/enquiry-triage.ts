// Vulnerability-first triage. A case is urgent when the resident told us they need extra help, is
// aged 75 or over, has a social care connection, or wrote words that suggest they may be at risk.
// Each reason is kept and shown to staff, so nobody has to guess why a case jumped the queue. The
// word lists err on the side of urgent: a false alarm costs an agent a minute, a miss costs more.

export interface TriageInput {
  /** What the resident wrote, all of it: message, subject, call notes. */
  text: string;
  /** What they told us when asked if they need extra help, if anything. */
  supportNeeds?: string | null | undefined;
  agedOver75?: boolean | undefined;
  socialCare?: boolean | undefined;
}

export interface Triage {
  priority: 'urgent' | 'standard';
  reasons: string[];
}

/** Safeguarding concerns and the words that raise them (matched as whole words, any case). */
const SAFEGUARDING: ReadonlyArray<{ concern: string; patterns: RegExp[] }> = [
  {
    concern: 'self-harm',
    patterns: [
      /\bself[- ]?harm\w*/i,
      /\bsuicid\w*/i,
      /\bkill(ing)? myself\b/i,
      /\bend (it all|my life)\b/i,
      /\bdon'?t want to (live|be here)\b/i,
      /\bhurt(ing)? myself\b/i,
    ],
  },
  {
    concern: 'abuse',
    patterns: [
      /\babus(e|ed|er|ive|ing)\b/i,
      /\bdomestic violence\b/i,
      /\bcoercive\b/i,
      /\b(he|she|they) (hits?|beats?|threaten\w*) me\b/i,
      /\bnot safe at home\b/i,
    ],
  },
  {
    concern: 'no food',
    patterns: [
      /\bno food\b/i,
      /\bnothing to eat\b/i,
      /\bfood ?bank\b/i,
      /\bcan'?t afford (food|to eat)\b/i,
      /\bstarving\b/i,
    ],
  },
  {
    concern: 'no medication',
    patterns: [
      /\b(no|without|run out of|ran out of|can'?t get( my)?) (medication|medicine|meds|insulin|prescriptions?)\b/i,
      /\b(medication|medicine|prescription|insulin)s? (has|have)? ?run out\b/i,
    ],
  },
  {
    concern: 'no heating',
    patterns: [
      /\bno heating\b/i,
      /\bno heat\b/i,
      /\bheating (is )?(off|broken|not working)\b/i,
      /\bfreezing\b/i,
      /\bno hot water\b/i,
    ],
  },
];

export function triage(input: TriageInput): Triage {
  const reasons: string[] = [];
  const needs = input.supportNeeds?.trim();
  if (needs) reasons.push(`Said they need extra help: ${needs.length > 120 ? `${needs.slice(0, 119)}…` : needs}`);
  if (input.agedOver75) reasons.push('Aged 75 or over');
  if (input.socialCare) reasons.push('Gets social care, or cares for someone who does');
  const text = `${input.text}\n${needs ?? ''}`;
  for (const { concern, patterns } of SAFEGUARDING) {
    for (const pattern of patterns) {
      const match = pattern.exec(text);
      if (match) {
        reasons.push(`Safeguarding: mentions ${concern} (“${match[0]}”)`);
        break;
      }
    }
  }
  return { priority: reasons.length > 0 ? 'urgent' : 'standard', reasons };
}
