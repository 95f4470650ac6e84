// Reports of a campaign per day (UTC), as a server-drawn SVG bar chart with a table of the same
// figures beside it; the same pattern as the enquiries dashboard.
const escapeXml = (text: string) => text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);

export function reportDays(byDay: Map<string, number>, first: string, last: string, maxDays = 60) {
  const days: Array<{ date: string; label: string; count: number }> = [];
  const label = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
  const end = Date.parse(`${last.slice(0, 10)}T12:00:00Z`);
  const start = Math.max(Date.parse(`${first.slice(0, 10)}T12:00:00Z`), end - (maxDays - 1) * 86_400_000);
  for (let t = start; t <= end; t += 86_400_000) {
    const date = new Date(t).toISOString().slice(0, 10);
    days.push({ date, label: label.format(new Date(t)), count: byDay.get(date) ?? 0 });
  }
  return days;
}

export function reportsChartSvg(days: ReturnType<typeof reportDays>): string {
  const width = 720;
  const height = 220;
  const left = 40;
  const bottom = 36;
  const top = 10;
  const plot = height - bottom - top;
  const max = Math.max(1, ...days.map((d) => d.count));
  const y = (v: number) => top + plot - (v / max) * plot;
  const barWidth = (width - left - 10) / Math.max(1, days.length);
  const parts = [
    `<line x1="${left}" x2="${width - 10}" y1="${y(0)}" y2="${y(0)}" stroke="#b1b4b6" stroke-width="1"/>`,
    `<text x="${left - 6}" y="${y(max) + 4}" text-anchor="end" font-size="12" fill="#0b0c0c">${max}</text>`,
    `<text x="${left - 6}" y="${y(0) + 4}" text-anchor="end" font-size="12" fill="#0b0c0c">0</text>`,
  ];
  days.forEach((d, i) => {
    const x = left + i * barWidth + barWidth * 0.15;
    if (d.count > 0)
      parts.push(
        `<rect x="${x.toFixed(1)}" y="${y(d.count).toFixed(1)}" width="${(barWidth * 0.7).toFixed(1)}" height="${(y(0) - y(d.count)).toFixed(1)}" fill="#1d70b8"/>`,
      );
    if (days.length <= 14 || i % Math.ceil(days.length / 10) === 0)
      parts.push(
        `<text x="${(x + barWidth * 0.35).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle" font-size="12" fill="#0b0c0c">${escapeXml(d.label)}</text>`,
      );
  });
  const total = days.reduce((s, d) => s + d.count, 0);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-labelledby="reports-title reports-desc" class="wardroom-chart" focusable="false">`,
    `<title id="reports-title">Reports of this campaign per day</title>`,
    `<desc id="reports-desc">${escapeXml(`${total} reports over ${days.length} days. The table below gives every figure.`)}</desc>`,
    ...parts,
    '</svg>',
  ].join('');
}
