// The contact centre's dashboard, worked out from the cases: open cases by priority and age, how
// the response targets are going, and cases received per day by channel, with the chart drawn on
// the server as SVG (no JavaScript) beside a table of the same figures.
import type { EnquiryPriority, EnquiryStatus } from '../../platform/db/schema.ts';
import { londonDate } from '../../platform/london-time.ts';

export const AGE_BUCKETS = [
  { label: 'Under 1 day', maxDays: 1 },
  { label: '1 to 3 days', maxDays: 3 },
  { label: '3 to 7 days', maxDays: 7 },
  { label: 'Over 7 days', maxDays: Infinity },
] as const;

export const CHANNELS = [
  { value: 'web', text: 'Web form', colour: '#1d70b8' },
  { value: 'email', text: 'Email', colour: '#00703c' },
  { value: 'phone', text: 'Phone', colour: '#d4351c' },
] as const;
type Channel = (typeof CHANNELS)[number]['value'];

export interface DashboardCase {
  priority: EnquiryPriority;
  status: EnquiryStatus;
  openedVia: Channel;
  createdAt: string;
  dueAt: string;
  firstResponseAt: string | null;
}

const OPEN: ReadonlySet<EnquiryStatus> = new Set(['new', 'in-progress', 'waiting']);
const DAY = 86_400_000;

export interface Dashboard {
  open: Array<{ priority: EnquiryPriority; counts: number[]; total: number }>;
  targets: { overdueNow: number; answeredInTime: number; answeredLate: number; days: number };
  days: Array<{ date: string; label: string; counts: Record<Channel, number>; total: number }>;
}

export function buildDashboard(cases: readonly DashboardCase[], now: Date, days = 14, targetDays = 30): Dashboard {
  const open = (['urgent', 'standard'] as const).map((priority) => {
    const counts = AGE_BUCKETS.map(() => 0);
    for (const c of cases) {
      if (c.priority !== priority || !OPEN.has(c.status)) continue;
      const age = (now.getTime() - Date.parse(c.createdAt)) / DAY;
      counts[AGE_BUCKETS.findIndex((b) => age < b.maxDays)]! += 1;
    }
    return { priority, counts, total: counts.reduce((a, b) => a + b, 0) };
  });

  const since = new Date(now.getTime() - targetDays * DAY).toISOString();
  const targets = { overdueNow: 0, answeredInTime: 0, answeredLate: 0, days: targetDays };
  for (const c of cases) {
    if (c.firstResponseAt === null) {
      if (OPEN.has(c.status) && c.dueAt < now.toISOString()) targets.overdueNow += 1;
    } else if (c.firstResponseAt >= since) {
      if (c.firstResponseAt <= c.dueAt) targets.answeredInTime += 1;
      else targets.answeredLate += 1;
    }
  }

  const today = londonDate(now.toISOString());
  const dates: string[] = [];
  for (let i = days - 1; i >= 0; i -= 1) {
    const d = new Date(`${today}T12:00:00Z`);
    d.setUTCDate(d.getUTCDate() - i);
    dates.push(d.toISOString().slice(0, 10));
  }
  const byDate = new Map(dates.map((date) => [date, { web: 0, email: 0, phone: 0 } as Record<Channel, number>]));
  for (const c of cases) {
    const counts = byDate.get(londonDate(c.createdAt));
    if (counts) counts[c.openedVia] += 1;
  }
  const label = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
  return {
    open,
    targets,
    days: dates.map((date) => {
      const counts = byDate.get(date)!;
      return {
        date,
        label: label.format(new Date(`${date}T12:00:00Z`)),
        counts,
        total: counts.web + counts.email + counts.phone,
      };
    }),
  };
}

const escapeXml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

/**
 * Cases received per day, stacked by channel, as an SVG image. Presentation attributes only (no
 * style attributes, which the CSP forbids); the title and description say what it shows, and the
 * table beside it gives every figure.
 */
export function volumeChartSvg(days: Dashboard['days']): string {
  const width = 720;
  const height = 260;
  const left = 40;
  const bottom = 40;
  const top = 10;
  const plotHeight = height - bottom - top;
  const max = Math.max(1, ...days.map((d) => d.total));
  const step = niceStep(max);
  const scaleMax = Math.ceil(max / step) * step;
  const barWidth = (width - left - 10) / days.length;
  const y = (value: number) => top + plotHeight - (value / scaleMax) * plotHeight;
  const parts: string[] = [];
  for (let v = 0; v <= scaleMax; v += step) {
    parts.push(`<line x1="${left}" x2="${width - 10}" y1="${y(v)}" y2="${y(v)}" stroke="#b1b4b6" stroke-width="1"/>`);
    parts.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end" font-size="12" fill="#0b0c0c">${v}</text>`);
  }
  days.forEach((d, i) => {
    const x = left + i * barWidth + barWidth * 0.15;
    let base = 0;
    for (const ch of CHANNELS) {
      const n = d.counts[ch.value];
      if (n > 0) {
        parts.push(
          `<rect x="${x.toFixed(1)}" y="${y(base + n).toFixed(1)}" width="${(barWidth * 0.7).toFixed(1)}" height="${(y(base) - y(base + n)).toFixed(1)}" fill="${ch.colour}"/>`,
        );
      }
      base += n;
    }
    if (i % 2 === days.length % 2) {
      parts.push(
        `<text x="${(x + barWidth * 0.35).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle" font-size="12" fill="#0b0c0c">${escapeXml(d.label)}</text>`,
      );
    }
  });
  const total = days.reduce((sum, d) => sum + d.total, 0);
  const busiest = days.reduce((a, b) => (b.total > a.total ? b : a), days[0]!);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="volume-title volume-desc" class="wardroom-chart" focusable="false">`,
    `<title id="volume-title">Enquiries received per day, by channel</title>`,
    `<desc id="volume-desc">${escapeXml(`${total} enquiries in the last ${days.length} days; the busiest day was ${busiest.label} with ${busiest.total}. The table below gives every figure.`)}</desc>`,
    ...parts,
    '</svg>',
  ].join('');
}

function niceStep(max: number): number {
  const rough = max / 5;
  const power = 10 ** Math.floor(Math.log10(Math.max(rough, 1)));
  for (const m of [1, 2, 5, 10]) if (m * power >= rough) return m * power;
  return 10 * power;
}
