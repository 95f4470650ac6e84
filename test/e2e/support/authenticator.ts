// A stand-in for the authenticator app on someone's phone. The server accepts a code for the
// time steps either side of now, and never the same step twice for one person, so each code
// comes from a later step than the last — waiting for the clock when it has to.
import { setTimeout as sleep } from 'node:timers/promises';
import { totpCode, totpStep } from '../../../src/platform/auth/totp.ts';

export class Authenticator {
  private lastStep = -1;

  constructor(readonly secret: string) {}

  /** A code the server has not seen and will accept now. */
  async nextCode(): Promise<string> {
    const step = Math.max(this.lastStep + 1, totpStep());
    // The server looks one step ahead at most; wait until this step is within reach.
    while (step > totpStep() + 1) await sleep(250);
    this.lastStep = step;
    return totpCode(this.secret, step);
  }

  /** Six digits that are not the code for any step the server would accept now. */
  wrongCode(): string {
    const now = totpStep();
    const valid = new Set([now - 1, now, now + 1, now + 2].map((s) => totpCode(this.secret, s)));
    let n = Number(totpCode(this.secret, now));
    let code: string;
    do {
      n = (n + 1) % 1_000_000;
      code = String(n).padStart(6, '0');
    } while (valid.has(code));
    return code;
  }
}
