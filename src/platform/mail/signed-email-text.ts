// The plain text of an email to a resident that is signed by the council: a greeting, the
// message's own paragraphs, then what every such email ends with, in the same order, so no message
// can leave part of it out: the line saying what we never ask for, the verification reference the
// public check confirms, and the council's name.

export interface SignedEmailText {
  /** `Hello,` or `Dear name,`. */
  greeting: string;
  /** Blocks separated by a blank line; a block may hold several lines (a list, a heading and a link). */
  paragraphs: readonly string[];
  /** What the council never asks for by email, in the words that suit the message. */
  neverAsks: string;
  verificationReference: string;
  councilName: string;
}

export function signedEmailText(input: SignedEmailText): string {
  return `${[
    input.greeting,
    ...input.paragraphs,
    input.neverAsks,
    `Verification reference: ${input.verificationReference}`,
    input.councilName,
  ].join('\n\n')}\n`;
}
