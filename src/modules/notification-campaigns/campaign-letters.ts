// Letters as print files: A4 PDFs of up to LETTERS_PER_FILE letters, each starting on a new page,
// the recipient's address where a DL windowed envelope shows it (left window: 20 mm from the left,
// 47 mm from the top, 90 x 35 mm, as Royal Mail and most print houses lay out C5/DL window letters),
// the sending council and its website at the top right, the verification reference, and the text.
import PDFDocument from 'pdfkit';
import { pdfSafeText } from '../incident-timeline/timeline-pdf.ts';

export const LETTERS_PER_FILE = 500;

const MM = 72 / 25.4;
/** The address window of a DL envelope, in points from the page's top left. */
export const ADDRESS_WINDOW = { x: 20 * MM, y: 47 * MM, width: 90 * MM, height: 35 * MM };

export interface PrintLetter {
  name: string;
  addressLines: string[];
  postcode: string | null;
  reference: string;
  body: string;
}

export function renderLetterBatchPdf(input: {
  councilName: string;
  councilWebsite: string | null;
  date: string;
  title: string;
  letters: PrintLetter[];
}): Promise<Buffer> {
  const doc = new PDFDocument({
    size: 'A4',
    margins: { top: 40 * MM, bottom: 20 * MM, left: 20 * MM, right: 20 * MM },
    autoFirstPage: false,
    info: { Title: pdfSafeText(input.title), Author: pdfSafeText(input.councilName), Subject: 'Letters to print' },
  });
  const done = new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    doc.on('data', (chunk: Buffer) => chunks.push(chunk));
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  const pageWidth = 210 * MM;
  for (const letter of input.letters) {
    doc.addPage();
    // The sender, top right, clear of the window.
    doc
      .font('Helvetica-Bold')
      .fontSize(11)
      .text(pdfSafeText(input.councilName), 120 * MM, 15 * MM, { width: 70 * MM, align: 'right' });
    doc.font('Helvetica').fontSize(9);
    if (input.councilWebsite) doc.text(pdfSafeText(input.councilWebsite), { width: 70 * MM, align: 'right' });
    doc.text(pdfSafeText(input.date), { width: 70 * MM, align: 'right' });
    doc.text(pdfSafeText(`Reference: ${letter.reference}`), { width: 70 * MM, align: 'right' });
    // The address, inside the window with a few millimetres to spare on each side.
    const lines = [letter.name, ...letter.addressLines, letter.postcode ?? '']
      .filter((l) => l.trim() !== '')
      .slice(0, 7);
    doc
      .font('Helvetica')
      .fontSize(10)
      .text(pdfSafeText(lines.join('\n')), ADDRESS_WINDOW.x + 4 * MM, ADDRESS_WINDOW.y + 3 * MM, {
        width: ADDRESS_WINDOW.width - 8 * MM,
        height: ADDRESS_WINDOW.height - 6 * MM,
        lineGap: 1,
      });
    // The letter, below the window.
    doc
      .fontSize(11)
      .text(pdfSafeText(letter.body), 20 * MM, 95 * MM, { width: pageWidth - 40 * MM, paragraphGap: 6, lineGap: 2 });
  }
  doc.end();
  return done;
}
