// A page known only by its heading and address: for journeys through pages that need no page
// object of their own. The check is the same as every page's (heading, title, axe, no problems).
import { BasePage } from './base-page.ts';
import type { Journey } from './journey.ts';

export class PageAt extends BasePage {
  constructor(
    journey: Journey,
    readonly heading: string,
    readonly path: string | RegExp,
    /** The start of the <title>, when it is not the heading. */
    private readonly pageTitle = heading,
  ) {
    super(journey);
  }

  override get title(): string {
    return this.pageTitle;
  }
}
