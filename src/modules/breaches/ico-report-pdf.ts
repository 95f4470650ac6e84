// The ICO report as a PDF to attach or keep on file: A4, text only, section by section, the same
// content as the printable page (both come from one IcoReport).
import PDFDocument from 'pdfkit';
import { formatDateTime } from '../../platform/views/views.ts';
import { pdfSafeText } from '../incident-timeline/timeline-pdf.ts';
import { REPORT_KINDS, type IcoReport } from './ico-report.ts';

export function renderIcoReportPdf(report: IcoReport): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margin: 56,
    bufferPages: false,
    info: {
      Title: pdfSafeText(`Personal data breach report: ${report.council.name} (${report.incident.reference})`),
      Author: 'Wardroom',
      Subject: 'Personal data breach report to the Information Commissioner’s Office',
      CreationDate: new Date(report.generatedAt),
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

  write('Personal data breach report', 'Helvetica-Bold', 18, 0.2);
  write(report.council.name, 'Helvetica-Bold', 13, 0.4);
  write(`Incident: ${report.incident.title} (${report.incident.reference})`, 'Helvetica', 11);
  write(`Type of report: ${REPORT_KINDS[report.kind]}`, 'Helvetica', 11);
  write(`Made: ${formatDateTime(report.generatedAt)} (UK time)`, 'Helvetica', 11, 1);

  for (const section of report.sections) {
    write(section.heading, 'Helvetica-Bold', 14, 0.3);
    for (const { question, answer } of section.answers) {
      write(question, 'Helvetica-Bold', 10.5, 0.1);
      write(answer, 'Helvetica', 10.5, 0.5);
    }
    doc.moveDown(0.6);
  }
  doc.end();
  return done;
}
