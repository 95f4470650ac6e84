// A labelled corpus for the analyser, built deterministically: follow-on scams after the attack
// (lookalikes of each council's domain by every permutation type, fake helplines, refund and "your
// data was exposed" lures, shortened links, display-name impersonation, smishing) and genuine
// messages (council mail from official domains, GOV.UK Notify mail sent for a council, council texts
// from official sender IDs, unrelated everyday mail). `generate-corpus.ts` writes it to disk for the
// CLI; the tests use it in memory.

export interface CorpusItem {
  id: string;
  label: 'scam' | 'genuine';
  /** Genuine messages from a council or sent for one: must never be called a scam. */
  council: boolean;
  /** The campaign (or template) the message belongs to, for campaign purity. */
  campaign: string;
  email?: string;
  sms?: { id: string; sender: string; body: string };
}

const COUNCILS = [
  {
    domain: 'westminster.gov.uk',
    label: 'westminster',
    name: 'Westminster City Council',
    short: 'WCC',
    phone: '020 7641 1919',
  },
  { domain: 'rbkc.gov.uk', label: 'rbkc', name: 'Royal Borough of Kensington and Chelsea', short: 'RBKC', phone: '' },
  { domain: 'lbhf.gov.uk', label: 'lbhf', name: 'Hammersmith & Fulham Council', short: 'H&F', phone: '' },
];

const NAMES = ['John Smith', 'Amira Khan', 'Peter Wright', 'Grace Okafor', 'Tomasz Nowak', 'Linda Evans', 'Sam Patel'];
const TOKENS = ['ab12cd', 'x9k2lm', 'qq81zz', 'p0o9i8', 'mn34bv', 'rt56yu', 'kk19jj', 'zz00aa'];
const AMOUNTS = ['£248.50', '£131.20', '£96.75', '£312.00', '£57.40', '£188.10'];

/** dnstwist-style permutations of a label, one per type. */
function permutations(label: string): Array<{ kind: string; domain: string }> {
  const swap = (s: string, i: number) => s.slice(0, i) + s[i + 1] + s[i] + s.slice(i + 2);
  const homoglyphs: Record<string, string> = { e: 'е', a: 'а', o: 'о', c: 'с', b: 'Ь', l: 'ӏ', h: 'һ', s: 'ѕ' };
  const gi = [...label].findIndex((c) => homoglyphs[c] && c !== 'b');
  const unicode = label.slice(0, gi) + homoglyphs[label[gi]!]! + label.slice(gi + 1);
  const neighbours: Record<string, string> = { t: 'r', s: 'a', b: 'v', k: 'j', h: 'g', f: 'g', m: 'n', e: 'w' };
  const ni = [...label].findIndex((c, i) => i > 0 && neighbours[c]);
  return [
    { kind: 'omission', domain: `${label.slice(0, 2)}${label.slice(3)}.co.uk` },
    { kind: 'repetition', domain: `${label.slice(0, 3)}${label[2]}${label.slice(3)}-gov.uk` },
    { kind: 'transposition', domain: `${swap(label, 1)}.org.uk` },
    { kind: 'neighbouring-key', domain: `${label.slice(0, ni)}${neighbours[label[ni]!]}${label.slice(ni + 1)}.uk` },
    { kind: 'homoglyph', domain: `${new URL(`http://${unicode}.com`).hostname}` },
    { kind: 'hyphenation', domain: `${label.slice(0, 2)}-${label.slice(2)}.com` },
    { kind: 'tld-swap', domain: `${label}.co.uk` },
    { kind: 'added-word', domain: `${label}-council-refund.com` },
    { kind: 'added-word-secure', domain: `secure-${label}portal.net` },
    { kind: 'subdomain', domain: `${label}.gov.uk.account-verify.info` },
  ];
}

function email(headers: Record<string, string>, body: string, html = false): string {
  const lines = Object.entries({
    Date: 'Tue, 02 Dec 2025 10:00:00 +0000',
    'MIME-Version': '1.0',
    'Content-Type': html ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8',
    'Content-Transfer-Encoding': '8bit',
    ...headers,
  }).map(([k, v]) => `${k}: ${v}`);
  return `${lines.join('\r\n')}\r\n\r\n${body.replace(/\n/g, '\r\n')}\r\n`;
}

const SCAM_TEMPLATES = [
  {
    name: 'refund',
    subject: 'Council tax refund: action required',
    body: (who: string, council: string, url: string, amount: string) =>
      `Dear ${who},\n\nFollowing a review of your account, ${council} has found that you are owed a council tax refund of ${amount}.\nTo receive your refund, please verify your identity and provide your bank details at:\n${url}\n\nThis link expires in 48 hours.\n\n${council} Revenues Team`,
  },
  {
    name: 'exposed',
    subject: 'Important: your personal data was exposed in the cyber attack',
    body: (who: string, council: string, url: string) =>
      `Dear ${who},\n\nAs you may have heard, ${council} was the victim of a cyber attack. Your personal data was exposed and your account has been flagged.\nTo protect your account you must confirm your details immediately at ${url}\nFailure to do so will result in your account being suspended.\n\nCyber Incident Team, ${council}`,
  },
  {
    name: 'parking',
    subject: 'Parking permit payment failed',
    body: (who: string, council: string, url: string, amount: string) =>
      `Hello ${who},\n\nYour parking permit payment of ${amount} could not be processed because of the recent IT incident.\nPlease update your card details today at ${url} or your permit will be cancelled and a penalty charge issued.\n\n${council} Parking Services`,
  },
];

export function buildCorpus(): CorpusItem[] {
  const items: CorpusItem[] = [];
  let n = 0;
  const pick = <T>(list: T[]) => list[n % list.length]!;

  // Lookalike-domain scams: every permutation of every council's domain, sender and link.
  for (const council of COUNCILS) {
    permutations(council.label).forEach((perm, p) => {
      n++;
      const template = SCAM_TEMPLATES[p % SCAM_TEMPLATES.length]!;
      const url = `https://${perm.domain}/${template.name}/${pick(TOKENS)}${n}`;
      items.push({
        id: `scam/lookalike-${council.label}-${perm.kind}.eml`,
        label: 'scam',
        council: false,
        campaign: `lookalike-${template.name}`,
        email: email(
          {
            From: `"${council.name}" <no-reply@${perm.domain}>`,
            To: `${pick(NAMES).split(' ')[0]!.toLowerCase()}@example.com`,
            Subject: template.subject,
            'Message-ID': `<${n}.lookalike@${perm.domain}>`,
          },
          template.body(pick(NAMES), council.name, url, pick(AMOUNTS)),
        ),
      });
    });
  }

  // One refund campaign from a throwaway domain, many victims: campaign grouping by link and text.
  for (let i = 0; i < 8; i++) {
    n++;
    const council = COUNCILS[i % 3]!;
    items.push({
      id: `scam/refund-campaign-${i + 1}.eml`,
      label: 'scam',
      council: false,
      campaign: 'refund-campaign-claimnow',
      email: email(
        {
          From: `"${council.name} Refunds" <refunds@claimnow-uk.top>`,
          'Reply-To': 'council.refunds.team@gmail.com',
          To: `victim${i}@example.com`,
          Subject: 'You are owed a council tax rebate',
        },
        `Dear ${NAMES[i % NAMES.length]},\n\nOur records show an overpayment on your council tax account. You are entitled to a rebate of ${AMOUNTS[i % AMOUNTS.length]}.\nClaim your refund now: https://claimnow-uk.top/r/${TOKENS[i]}${i}\nYou must claim within 24 hours or the rebate will be cancelled.\n\n${council.name}`,
      ),
    });
  }

  // Fake helplines: council name from free mail, an unofficial number as the helpline.
  const fakeNumbers = [
    '020 3807 5521',
    '0203 807 5521',
    '07700 900 461',
    '0800 046 8812',
    '070 3312 8844',
    '0906 123 4567',
  ];
  fakeNumbers.forEach((number, i) => {
    const council = COUNCILS[i % 3]!;
    items.push({
      id: `scam/fake-helpline-${i + 1}.eml`,
      label: 'scam',
      council: false,
      campaign: 'fake-helpline',
      email: email(
        {
          From: `"${council.name} Cyber Helpline" <${council.label}.cyberhelp@outlook.com>`,
          To: `resident${i}@example.com`,
          Subject: 'Your data was exposed - call us now',
        },
        `Dear ${NAMES[i % NAMES.length]},\n\nYour personal information was stolen in the recent data breach at ${council.name}.\nTo secure your bank account please call our dedicated cyber helpline urgently on ${number}.\nOur fraud team will ask you to confirm your card number so we can protect it.\n\n${council.name}`,
      ),
    });
  });

  // Link text that shows the council's address but goes elsewhere (HTML mail).
  COUNCILS.forEach((council, i) => {
    items.push({
      id: `scam/link-mismatch-${council.label}.eml`,
      label: 'scam',
      council: false,
      campaign: 'link-mismatch',
      email: email(
        {
          From: `"${council.name}" <notices@residents-notice.com>`,
          To: `person${i}@example.com`,
          Subject: 'Update your details after the cyber incident',
        },
        `<html><body><p>Dear resident,</p><p>Because of the cyber incident we must re-verify every account. Sign in at <a href="https://residents-notice.com/login?u=${TOKENS[i]}">https://www.${council.domain}/my-account</a> to update your payment details within 24 hours.</p><p>${council.name}</p></body></html>`,
        true,
      ),
    });
  });

  // Shortened links and raw IPs.
  const hidden = [
    'https://bit.ly/3Kq9xYz',
    'https://tinyurl.com/wcc-refund',
    'http://185.203.116.42/claim',
    'https://cutt.ly/rbkc-pay',
  ];
  hidden.forEach((url, i) => {
    const council = COUNCILS[i % 3]!;
    items.push({
      id: `scam/hidden-link-${i + 1}.eml`,
      label: 'scam',
      council: false,
      campaign: `hidden-link-${i + 1}`,
      email: email(
        {
          From: `"${council.short} Council Tax" <service-${i}@mailer-${i}.net>`,
          To: `person${i}@example.com`,
          Subject: 'Final notice: outstanding council tax',
        },
        `Dear ${NAMES[i]},\n\nYou have an outstanding council tax balance of ${AMOUNTS[i]}. Pay now at ${url} to avoid enforcement action by bailiffs.\n\n${council.name}`,
      ),
    });
  });

  // Gift cards and crypto.
  items.push({
    id: 'scam/gift-cards.eml',
    label: 'scam',
    council: false,
    campaign: 'gift-cards',
    email: email(
      { From: '"Westminster Council" <westminster.council.uk@gmail.com>', To: 'a@example.com', Subject: 'Fine to pay' },
      'Dear resident,\n\nYou have an unpaid penalty. Because our payment systems are down after the cyber attack, pay with Google Play gift cards and reply with the codes today.',
    ),
  });
  items.push({
    id: 'scam/crypto.eml',
    label: 'scam',
    council: false,
    campaign: 'crypto',
    email: email(
      {
        From: '"RBKC Compensation" <payouts@rbkc-compensation.org>',
        To: 'b@example.com',
        Subject: 'Data breach compensation',
      },
      'Dear resident,\n\nEveryone whose data was leaked is entitled to compensation of £500. Pay a small release fee of £25 in Bitcoin to wallet address bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh to receive it.',
    ),
  });

  // SMS smishing.
  const smishing: Array<[string, string, string]> = [
    [
      '+447700900123',
      'WCC: your council tax rebate of £120 is ready. Claim at https://bit.ly/3xYzR before it expires today',
      'sms-rebate',
    ],
    [
      '+447700900124',
      'WCC: your council tax rebate of £95 is ready. Claim at https://bit.ly/3xYzR before it expires today',
      'sms-rebate',
    ],
    [
      '+447700900125',
      'RBKC: your council tax rebate of £210 is ready. Claim at https://bit.ly/3xYzR before it expires today',
      'sms-rebate',
    ],
    [
      'Westminster',
      'Westminster City Council: your data was exposed in the cyber attack. Verify your account at https://westminster-verify.com/v/7731',
      'sms-verify',
    ],
    [
      'WCC',
      'Westminster City Council: your data was exposed in the cyber attack. Verify your account at https://westminster-verify.com/v/9921',
      'sms-verify',
    ],
    [
      '+447911123456',
      'RBKC: Your parking permit payment failed. Update your card at rbkc-permits.co.uk/pay/88 to avoid a penalty',
      'sms-parking',
    ],
    [
      '+447911123457',
      'RBKC: Your parking permit payment failed. Update your card at rbkc-permits.co.uk/pay/12 to avoid a penalty',
      'sms-parking',
    ],
    [
      'LBHF-Notice',
      'H&F Council: you are owed a refund of £84.20 after the IT incident. Claim: https://lbhf-refund.uk/c/31',
      'sms-lbhf-refund',
    ],
    [
      '+447400111222',
      'Hammersmith & Fulham: your My Account is suspended after the data breach. Restore access https://lbfh.co.uk/restore',
      'sms-lbhf-account',
    ],
    [
      '+447400111223',
      'Council cyber team: call us urgently on 07700 900 777 about your compromised bank account',
      'sms-callback',
    ],
    [
      '+447400111224',
      'Westminster council helpline: your data was stolen. Ring 0203 111 2299 now to protect your savings',
      'sms-callback',
    ],
    ['+447400111225', 'WCC: you have a council tax refund pending. Visit http://91.215.85.14/wcc to claim', 'sms-ip'],
    [
      'GOVUK',
      'GOV.UK: you are eligible for a cost of living payment. Claim now at https://gov-uk-support.com/claim/77',
      'sms-govuk',
    ],
    [
      '+447400111226',
      'Royal Mail: your parcel is held. A redelivery fee of £1.45 is due: https://royalmail-redelivery.info/p/8',
      'sms-parcel',
    ],
  ];
  smishing.forEach(([sender, body, campaign], i) =>
    items.push({
      id: `sms-scam-${i + 1}`,
      label: 'scam',
      council: false,
      campaign,
      sms: { id: `sms-scam-${i + 1}`, sender, body },
    }),
  );

  // Genuine council mail from official domains, authentication aligned (as its gateway reports).
  const genuineBodies = [
    {
      name: 'breach-notice',
      subject: 'Cyber incident: information about your personal data',
      body: (c: (typeof COUNCILS)[number], who: string) =>
        `Dear ${who},\n\nWe are writing to tell you about the cyber incident that affected ${c.name} in November. Some personal data held on shared IT systems may have been copied.\n\nWhat you should do: be careful with unexpected calls, emails and texts. We will never ask for your bank details, passwords or payment by email or text.\n\nMore information: https://www.${c.domain}/cyber-incident${c.phone ? `\nCyber helpline: ${c.phone} (Monday to Friday, 9am to 5pm)` : ''}\n\nYour reference: ${c.short.replace('&', '')}-CI-${who.length}Q7\n\n${c.name}`,
    },
    {
      name: 'service-update',
      subject: 'Update on council services',
      body: (c: (typeof COUNCILS)[number], who: string) =>
        `Dear ${who},\n\nMost services are now available again. Online council tax payments are still unavailable; Direct Debits are being taken as usual.\nSee the latest service status at https://www.${c.domain}/service-status\n\n${c.name}`,
    },
    {
      name: 'council-tax-reminder',
      subject: 'Your council tax Direct Debit',
      body: (c: (typeof COUNCILS)[number], who: string) =>
        `Dear ${who},\n\nYour next council tax instalment of £152.00 will be collected by Direct Debit on 1 January. You do not need to do anything.\nIf you have questions, visit https://www.${c.domain}/council-tax${c.phone ? ` or call 020 7641 6000` : ''}.\n\n${c.name}`,
    },
    {
      name: 'waste',
      subject: 'Bin collections over the holidays',
      body: (c: (typeof COUNCILS)[number], who: string) =>
        `Hello ${who},\n\nBin collections will move by one day over the holidays. Collect free waste bags from your local library.\nDetails: https://www.${c.domain}/bins-and-recycling${c.phone ? `\nVeolia: 020 7641 6180` : ''}\n\n${c.name}`,
    },
  ];
  for (const c of COUNCILS)
    genuineBodies.forEach((g, i) => {
      const who = NAMES[(i + c.label.length) % NAMES.length]!;
      const sender = g.name === 'breach-notice' ? 'cyberenquiry' : 'no-reply';
      items.push({
        id: `genuine/${c.label}-${g.name}.eml`,
        label: 'genuine',
        council: true,
        campaign: `genuine-${g.name}`,
        email: email(
          {
            'Return-Path': `<bounces@${c.domain}>`,
            'Authentication-Results': `mx.example.net; spf=pass smtp.mailfrom=${c.domain}; dkim=pass header.d=${c.domain}; dmarc=pass header.from=${c.domain}`,
            From: `"${c.name}" <${sender}@${c.domain}>`,
            To: `${who.split(' ')[0]!.toLowerCase()}@example.com`,
            Subject: g.subject,
            'Message-ID': `<${c.label}.${g.name}@${c.domain}>`,
          },
          g.body(c, who),
        ),
      });
    });

  // GOV.UK Notify mail sent for each council.
  for (const c of COUNCILS)
    ['breach-notice', 'enquiry-received', 'subscription'].forEach((kind, i) => {
      const who = NAMES[(i + 2) % NAMES.length]!;
      const body =
        kind === 'breach-notice'
          ? `Dear ${who},\n\n${c.name} is writing to people whose data may have been copied in the cyber attack on shared IT in November 2025. Your name and address may have been included.\n\nWe will never ask you for bank details or passwords. Read what happened and what to do at https://www.${c.domain}/cyber-incident\n\nCheck this message is from us at https://www.${c.domain}/check with reference NTF-${i}K4M.`
          : kind === 'enquiry-received'
            ? `Dear ${who},\n\nThank you for contacting ${c.name}. Your enquiry reference is ENQ-2025-00${i}41. We aim to reply within 10 working days.\n\nYou can read updates at https://www.${c.domain}/cyber-incident`
            : `Hello,\n\nConfirm that you want updates about the cyber incident from ${c.name}: https://www.${c.domain}/subscriptions/confirm/${TOKENS[i]}\n\nIf you did not ask for this, you can ignore this email.`;
      items.push({
        id: `genuine/notify-${c.label}-${kind}.eml`,
        label: 'genuine',
        council: true,
        campaign: `notify-${kind}`,
        email: email(
          {
            'Return-Path': `<${TOKENS[i]}@notifications.service.gov.uk>`,
            'Authentication-Results':
              'mx.example.net; spf=pass smtp.mailfrom=notifications.service.gov.uk; dkim=pass header.d=notifications.service.gov.uk; dmarc=pass header.from=notifications.service.gov.uk',
            From: `"${c.name}" <${c.label}.council@notifications.service.gov.uk>`,
            To: `${who.split(' ')[0]!.toLowerCase()}@example.com`,
            Subject: `${c.name}: ${kind.replace('-', ' ')}`,
          },
          body,
        ),
      });
    });

  // Council texts from official sender IDs.
  const councilTexts: Array<[string, string]> = [
    [
      'WestminCC',
      'Westminster City Council: bin collections are back to normal this week. Details at https://www.westminster.gov.uk/bins',
    ],
    [
      'WestminCC',
      'Westminster City Council: our cyber helpline is open 9am to 5pm on 020 7641 1919. We will never ask for bank details by text.',
    ],
    [
      'Westminster',
      'Westminster City Council: libraries are open as usual. See https://www.westminster.gov.uk/libraries',
    ],
    [
      'RBKC',
      'RBKC: Housing Benefit payments restart this month. No action needed. Info: https://www.rbkc.gov.uk/benefits',
    ],
    [
      'RBKC',
      'RBKC: your planning application 2025/04411 has been received. Track it at https://www.rbkc.gov.uk/planning',
    ],
    ['LBHF', 'H&F Council: My Account is available again. Sign in at https://www.lbhf.gov.uk/my-account'],
    ['LBHF', 'H&F Council: garden waste collections resume on Monday. https://www.lbhf.gov.uk/waste'],
  ];
  councilTexts.forEach(([sender, body], i) =>
    items.push({
      id: `sms-genuine-${i + 1}`,
      label: 'genuine',
      council: true,
      campaign: `sms-genuine-${i + 1}`,
      sms: { id: `sms-genuine-${i + 1}`, sender, body },
    }),
  );

  // Everyday genuine mail with nothing to do with the councils.
  const everyday: Array<[string, string, string]> = [
    [
      '"Sarah Jones" <sarah.jones@example.org>',
      'Lunch on Friday?',
      'Hi Tom,\n\nAre you free for lunch on Friday? The new place on Marylebone Road looks good.\n\nSarah',
    ],
    [
      '"GitHub" <noreply@github.com>',
      '[wardroom] Pull request merged',
      'Your pull request #42 was merged into main.\n\nView it on GitHub: https://github.com/example/wardroom/pull/42',
    ],
    [
      '"Waterstones" <news@waterstones.com>',
      'New books this month',
      'Hello,\n\nOur staff picks for December are here. Browse them at https://www.waterstones.com/books/staff-picks\n\nUnsubscribe at any time.',
    ],
    [
      '"Residents Association" <chair@pimlico-residents.org.uk>',
      'Meeting minutes',
      "Dear members,\n\nThe minutes of last week's meeting are attached to our website: https://pimlico-residents.org.uk/minutes\n\nBest wishes,\nThe Chair",
    ],
    [
      '"Thames Water" <noreply@thameswater.co.uk>',
      'Your bill is ready',
      'Hello,\n\nYour latest bill is ready to view in your online account at https://www.thameswater.co.uk/my-account. Your Direct Debit will be collected as usual.',
    ],
    [
      '"NHS App" <noreply@nhs.net>',
      'You have a new message',
      'You have a new message from your GP surgery. Open the NHS App to read it. https://www.nhsapp.service.nhs.uk',
    ],
    [
      '"HMRC" <noreply@tax.service.gov.uk>',
      'Your tax return',
      'Your Self Assessment tax return for 2024 to 2025 has been received. Reference 8812 4431. View it at https://www.gov.uk/log-in-register-hmrc-online-services',
    ],
    [
      '"Mum" <jean.smith1954@btinternet.com>',
      'Christmas',
      "Hello love,\n\nWe'll be down on the 23rd. Can you call me tonight? 07700 900 321\n\nMum x",
    ],
    [
      '"University of Westminster" <alumni@westminster.ac.uk>',
      'Alumni newsletter',
      'Dear graduate,\n\nNews from the University of Westminster alumni team. Read more at https://www.westminster.ac.uk/alumni',
    ],
    [
      '"Ocado" <customerservices@ocado.com>',
      'Your order is confirmed',
      'Thanks for your order. Your delivery is booked for Saturday between 9am and 10am. Payment of £64.20 will be taken on the day of delivery.',
    ],
  ];
  everyday.forEach(([from, subject, body], i) =>
    items.push({
      id: `genuine/everyday-${i + 1}.eml`,
      label: 'genuine',
      council: false,
      campaign: `everyday-${i + 1}`,
      email: email({ From: from, To: 'tom@example.com', Subject: subject }, body),
    }),
  );
  const everydaySms: Array<[string, string]> = [
    ['+447700900555', 'Running 10 mins late, see you at the station'],
    ['Boots', 'Your prescription is ready to collect from Boots Victoria Street.'],
    [
      'DPD',
      'Your DPD parcel will be delivered today between 12:05 and 13:05. Track at https://track.dpd.co.uk/p/15501',
    ],
  ];
  everydaySms.forEach(([sender, body], i) =>
    items.push({
      id: `sms-everyday-${i + 1}`,
      label: 'genuine',
      council: false,
      campaign: `sms-everyday-${i + 1}`,
      sms: { id: `sms-everyday-${i + 1}`, sender, body },
    }),
  );
  return items;
}
