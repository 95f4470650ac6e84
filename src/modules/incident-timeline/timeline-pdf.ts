// The timeline as a PDF for the post-incident review: A4, text only, every entry oldest first.
import PDFDocument from 'pdfkit';
import { formatDateTime } from '../../platform/views/views.ts';
import { INCIDENT_STATUSES } from '../incidents/incidents.service.ts';
import type { TimelineExport } from './incident-timeline.service.ts';

// The built-in PDF fonts only have the Windows-1252 characters; pdfkit writes anything else as a
// broken code, so those characters become "?" (typographic quotes and dashes survive).
const WIN_ANSI_EXTRA = new Set('€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ');

export function pdfSafeText(text: string): string {
  return [...text.normalize('NFC').replace(/\r\n?/g, '\n').replace(/\t/g, ' ')]
    .map((c) => {
      const code = c.codePointAt(0)!;
      if (c === '\n' || (code >= 0x20 && code <= 0x7e) || (code >= 0xa0 && code <= 0xff) || WIN_ANSI_EXTRA.has(c)) {
        return c;
      }
      return '?';
    })
    .join('');
}

export function renderTimelinePdf(exported: TimelineExport): Promise<Buffer> {
  const { incident, entries, generatedAt } = exported;
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    bufferPages: false,
    info: {
      Title: pdfSafeText(`Timeline: ${incident.title} (${incident.reference})`),
      Author: 'Wardroom',
      Subject: 'Incident timeline for the post-incident review',
      CreationDate: new Date(generatedAt),
    },
  });
  const done = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const write = (text: string, font: 'Helvetica' | 'Helvetica-Bold', size: number, gap = 0.2) => {
    doc.font(font).fontSize(size).text(pdfSafeText(text));
    doc.moveDown(gap);
  };

  write(`Timeline: ${incident.title}`, 'Helvetica-Bold', 18, 0.4);
  write(`Incident reference: ${incident.reference}`, 'Helvetica', 11);
  write(`Status: ${INCIDENT_STATUSES[incident.status]}`, 'Helvetica', 11);
  write(`Generated: ${formatDateTime(generatedAt)} (UK time)`, 'Helvetica', 11);
  write(`Entries: ${entries.length}, oldest first`, 'Helvetica', 11, 1);

  for (const entry of entries) {
    write(`${formatDateTime(entry.occurredAt)} · ${entry.kindText} · ${entry.authorLabel}`, 'Helvetica', 9, 0.1);
    write(entry.title, 'Helvetica-Bold', 12, 0.2);
    if (entry.bodyText) write(entry.bodyText, 'Helvetica', 10.5, 0.2);
    for (const fact of entry.facts) write(`${fact.label}: ${fact.value}`, 'Helvetica', 10.5, 0.1);
    doc.moveDown(0.8);
  }
  doc.end();
  return done;
}
