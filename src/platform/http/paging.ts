// Paging a staff list: the page asked for (`?page=N`) and the links either side of it for GOV.UK's
// pagination component, each keeping the list's filter.

const MAX_PAGE = 10_000;

/** The page asked for, from 1 to 10,000; anything else is the first. */
export function pageFromQuery(value: string | undefined): number {
  return Math.max(1, Math.min(MAX_PAGE, Number.parseInt(value ?? '1', 10) || 1));
}

export interface Paging {
  page: number;
  /** How many pages the rows make: at least 1, even with no rows. */
  pages: number;
  /** For govukPagination: a previous link unless on the first page, a next one unless on the last. */
  pagination: { previous?: { href: string }; next?: { href: string } };
}

/** Where `page` stands among the pages of `total` rows; the links keep the non-empty `filter` values. */
export function paging(
  page: number,
  total: number,
  pageSize: number,
  filter: Record<string, string | undefined> = {},
): Paging {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const kept = Object.entries(filter).filter((entry): entry is [string, string] => Boolean(entry[1]));
  const href = (p: number) => `?${new URLSearchParams([...kept, ['page', String(p)]]).toString()}`;
  return {
    page,
    pages,
    pagination: {
      ...(page > 1 ? { previous: { href: href(page - 1) } } : {}),
      ...(page < pages ? { next: { href: href(page + 1) } } : {}),
    },
  };
}
