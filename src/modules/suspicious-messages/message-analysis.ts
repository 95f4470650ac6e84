// The analyser: a parsed email or a text message in, a suggested verdict with a score and the
// reasons for it out. Deterministic and explainable: every point of the score is a reason with its
// evidence. It never says a message is safe: the best it says is "likely genuine".
import type { ParsedInboundMail } from '../../platform/mail-in/inbound-mail-parser.ts';
import { URL_SHORTENERS } from '../../platform/url-shorteners.ts';
import { CAMPAIGN_TEXT_CHARS } from './campaign-grouping.ts';
import { findLookalike, hostInfo, isUnder, isVettedPublicSectorDomain, type HostInfo } from './lookalike-domains.ts';
import { findLures } from './lures.ts';
import { findLinks, type FoundLink } from './message-links.ts';
import { normaliseSenderId, type OfficialOrganisation, type RegisterIndex } from './official-register.ts';
import { findPhoneNumbers, type FoundPhoneNumber } from './phone-numbers.ts';

export type SuspiciousMessage =
  { kind: 'email'; id: string; mail: ParsedInboundMail } | { kind: 'sms'; id: string; sender: string; body: string };

export type Verdict = 'likely-scam' | 'suspicious' | 'likely-genuine' | 'cannot-tell';

export interface Reason {
  code: string;
  text: string;
  evidence: string;
  /** Points towards a scam; negative when the evidence points to a genuine message. */
  weight: number;
}

export interface Analysis {
  verdict: Verdict;
  /** 0 to 100: how strongly the evidence points to a scam. */
  score: number;
  reasons: Reason[];
}

/** What campaign grouping needs from a message, gathered while analysing it. */
export interface MessageFeatures {
  text: string;
  sender: string | undefined;
  senderIsOfficial: boolean;
  links: FoundLink[];
  attachmentHashes: string[];
}

export const SCAM_THRESHOLD = 60;
export const SUSPICIOUS_THRESHOLD = 30;

const FREE_MAIL = new Set([
  'gmail.com',
  'googlemail.com',
  'outlook.com',
  'hotmail.com',
  'hotmail.co.uk',
  'live.com',
  'live.co.uk',
  'yahoo.com',
  'yahoo.co.uk',
  'aol.com',
  'icloud.com',
  'me.com',
  'mail.com',
  'gmx.com',
  'gmx.co.uk',
  'protonmail.com',
  'proton.me',
  'yandex.com',
  'yandex.ru',
  'zoho.com',
  'btinternet.com',
  'sky.com',
  'talktalk.net',
  'virginmedia.com',
]);

const SCAM_DOMAIN_WORDS = new Set([
  'refund',
  'rebate',
  'redelivery',
  'verify',
  'verification',
  'secure',
  'login',
  'signin',
  'claim',
  'unlock',
  'payment',
  'billing',
  'support',
  'update',
  'account',
  'recovery',
  'reschedule',
  'parcel',
  'compensation',
]);

const RISKY_TLDS = new Set([
  'top',
  'xyz',
  'icu',
  'buzz',
  'click',
  'link',
  'live',
  'shop',
  'vip',
  'cfd',
  'sbs',
  'rest',
  'bond',
  'cyou',
  'mom',
  'lol',
  'quest',
  'monster',
  'zip',
  'mov',
  'tk',
  'ml',
  'ga',
  'cf',
  'gq',
  'su',
  'win',
  'loan',
  'support',
  'help',
]);

const REQUEST_LURES = new Set(['bank-details', 'credentials', 'gift-cards', 'crypto', 'identity-verification']);

const GENERIC_PUBLIC_BODY =
  /\b(council|borough|gov\.?uk|government|hmrc|dvla|dwp|nhs|tv licensing|police|local authority|town hall|city hall)\b/i;

export function analyseMessage(
  message: SuspiciousMessage,
  index: RegisterIndex,
): Analysis & { features: MessageFeatures } {
  const reasons: Reason[] = [];
  const add = (code: string, text: string, evidence: string, weight: number) =>
    reasons.push({ code, text, evidence: evidence.slice(0, 300), weight });
  const officialDomains = index.lookalikeTargets;
  const ownerOf = (host: string) => domainOwner(host, index);
  const isNotify = (host: string) => index.register.notifyDomains.some((d) => isUnder(host, d));

  let text: string;
  let displayName = '';
  let senderHost: HostInfo | undefined;
  let senderAddress: string | undefined;
  let senderIsOfficial = false;
  let senderIsNotify = false;
  let attachmentHashes: string[] = [];
  let authenticatedOfficial = false;

  if (message.kind === 'email') {
    const mail = message.mail;
    text = `${mail.subject}\n${mail.text}`;
    attachmentHashes = mail.attachments.filter((a) => a.size > 0).map((a) => a.sha256);
    const from = mail.from;
    displayName = from?.name ?? '';
    senderAddress = from?.address;
    const fromDomain = domainOfAddress(from?.address);
    if (!fromDomain) add('no-sender', 'The message has no readable sender address', from?.address ?? '(none)', 10);
    else {
      senderHost = hostInfo(fromDomain);
      const owner = ownerOf(fromDomain);
      senderIsNotify = isNotify(fromDomain);
      if (owner) {
        senderIsOfficial = true;
        add('official-sender', `The sender's address is on an official domain of ${owner}`, from!.address, -20);
      } else if (senderIsNotify) {
        const named = claimedOrganisations(displayName, index);
        senderIsOfficial = named.length > 0;
        add(
          'notify-sender',
          named.length
            ? `Sent through GOV.UK Notify in the name of ${named.map((o) => o.name).join(', ')}`
            : 'Sent through GOV.UK Notify',
          `${displayName} <${from!.address}>`,
          named.length ? -20 : -10,
        );
      }
      const lookalike = findLookalike(fromDomain, officialDomains);
      if (lookalike)
        add(
          `sender-lookalike-${lookalike.kind}`,
          `The sender's domain imitates ${lookalike.official}: ${lookalike.detail}`,
          from!.address,
          lookalike.strong ? 50 : 12,
        );
      if (FREE_MAIL.has(senderHost.registrable))
        add('free-mail-sender', 'The sender uses a free email service', from!.address, 5);

      // Display name impersonation.
      if (!senderIsOfficial && !senderIsNotify) {
        const named = claimedOrganisations(displayName, index);
        if (named.length)
          add(
            'display-name-impersonation',
            `The sender's name says ${named[0]!.name} but the address is not on its official domains (${named[0]!.domains.join(', ')})`,
            `${displayName} <${from!.address}>`,
            FREE_MAIL.has(senderHost.registrable) ? 40 : 32,
          );
        else if (GENERIC_PUBLIC_BODY.test(displayName) && !isVettedPublicSectorDomain(fromDomain))
          add(
            'display-name-public-body',
            'The sender calls itself a council or public body but writes from a domain that is not one',
            `${displayName} <${from!.address}>`,
            20,
          );
        const addressName = (from!.address.split('@')[0] ?? '') + ' ' + senderHost.label;
        if (!lookalike && claimedOrganisations(addressName.replace(/[._-]/g, ' '), index).length)
          add(
            'address-names-council',
            "The sender's address uses a council's name on another domain",
            from!.address,
            15,
          );
      }

      // Reply-To and Return-Path.
      for (const reply of mail.replyTo) {
        const replyDomain = domainOfAddress(reply.address);
        if (!replyDomain) continue;
        if (hostInfo(replyDomain).registrable !== senderHost.registrable && !ownerOf(replyDomain))
          add(
            'reply-to-mismatch',
            'Replies would go to a different domain from the sender’s',
            `From ${from!.address}, Reply-To ${reply.address}`,
            FREE_MAIL.has(hostInfo(replyDomain).registrable) ? 25 : senderIsOfficial ? 25 : 15,
          );
      }
      const returnDomain = domainOfAddress(mail.returnPath);
      if (
        returnDomain &&
        hostInfo(returnDomain).registrable !== senderHost.registrable &&
        !ownerOf(returnDomain) &&
        !isNotify(returnDomain)
      )
        add(
          'return-path-mismatch',
          'The bounce address (Return-Path) is on a different domain from the sender’s',
          `From ${from!.address}, Return-Path ${mail.returnPath}`,
          senderIsOfficial || senderIsNotify ? 20 : 5,
        );

      // Authentication-Results, only from trusted providers.
      const auth = readAuthentication(mail.authentication.results, index.trustedAuthServIds);
      for (const ignored of auth.ignored)
        add(
          'authentication-untrusted',
          `Authentication results from ${ignored}, which is not a trusted provider, were not used`,
          ignored,
          0,
        );
      if (auth.trusted) {
        const { provider, dmarc, spf, dkim, dkimDomains } = auth.trusted;
        const aligned = dkimDomains.some((d) => hostInfo(d).registrable === senderHost!.registrable);
        if (dmarc === 'pass' || (dkim === 'pass' && aligned)) {
          if (senderIsOfficial || ownerOf(fromDomain)) authenticatedOfficial = true;
          add(
            'authentication-pass',
            `The sender's domain is authenticated (${dmarc === 'pass' ? 'DMARC' : 'aligned DKIM'} pass), as reported by ${provider}`,
            `dmarc=${dmarc ?? 'none'} dkim=${dkim ?? 'none'} spf=${spf ?? 'none'}`,
            senderIsOfficial ? -25 : -5,
          );
        } else if (dmarc === 'fail' || (dkim === 'fail' && spf === 'fail')) {
          add(
            'authentication-fail',
            `The sender's domain failed authentication, as reported by ${provider}${senderIsOfficial ? ': the official address is probably forged' : ''}`,
            `dmarc=${dmarc ?? 'none'} dkim=${dkim ?? 'none'} spf=${spf ?? 'none'}`,
            senderIsOfficial ? 60 : 20,
          );
          senderIsOfficial = false;
        }
      }
    }
    const riskyAttachment = mail.attachments.find((a) =>
      /\.(exe|scr|js|jse|vbs|vbe|bat|cmd|ps1|hta|iso|img|lnk|msi|jar|docm|xlsm|html?|zip|rar|7z)$/i.test(
        a.filename ?? '',
      ),
    );
    if (riskyAttachment)
      add(
        'risky-attachment',
        'It carries an attachment of a kind that can run code or hide a fake sign-in page',
        riskyAttachment.filename ?? '',
        senderIsOfficial ? 10 : 20,
      );
  } else {
    text = message.body;
    const sender = message.sender.trim();
    senderAddress = sender;
    const owner = index.senderIdOwners.get(normaliseSenderId(sender));
    const senderNumber = /^\+?[\d\s()-]{6,}$/.test(sender);
    if (owner) {
      senderIsOfficial = true;
      add(
        'official-sender-id',
        `The text's sender ID is one ${owner.name} uses (sender IDs can be forged)`,
        sender,
        -15,
      );
    } else if (senderNumber) {
      const mentions = claimedOrganisations(text, index).length > 0 || GENERIC_PUBLIC_BODY.test(text);
      add(
        'sms-from-number',
        mentions
          ? 'A text claiming to be from a public body, sent from an ordinary phone number'
          : 'The text comes from an ordinary phone number',
        sender,
        mentions ? 20 : 5,
      );
    } else {
      const named = claimedOrganisations(sender, index);
      if (named.length || GENERIC_PUBLIC_BODY.test(sender))
        add(
          'sms-sender-impersonation',
          'The sender ID names a council but is not one of its registered IDs',
          sender,
          25,
        );
    }
  }

  // What the message claims to be.
  const claimed = claimedOrganisations(`${displayName}\n${text.slice(0, 20_000)}`, index);
  const claimsPublicBody = claimed.length > 0 || GENERIC_PUBLIC_BODY.test(text.slice(0, 20_000));

  // Links.
  const links = findLinks(text);
  let officialLinks = 0;
  let unofficialLinks = 0;
  let badLinks = 0;
  for (const link of links.slice(0, 30)) {
    const host = link.host;
    const owner = ownerOf(host.host);
    if (owner || isVettedPublicSectorDomain(host.host)) {
      officialLinks++;
      continue;
    }
    unofficialLinks++;
    if (link.userinfo) {
      add('link-userinfo', 'A link hides its real destination behind an "@"', defang(link.url), 40);
      badLinks++;
    }
    const lookalike = findLookalike(host.host, officialDomains);
    if (lookalike && (lookalike.strong || claimsPublicBody)) {
      add(
        `link-lookalike-${lookalike.kind}`,
        `A link goes to a domain imitating ${lookalike.official}: ${lookalike.detail}`,
        defang(link.url),
        lookalike.strong ? 50 : 15,
      );
      badLinks++;
    }
    if (link.shownAs) {
      add(
        'link-text-mismatch',
        'A link shows one address but goes to another',
        `${link.shownAs} → ${defang(link.url)}`,
        35,
      );
      badLinks++;
    }
    if (URL_SHORTENERS.has(host.registrable) || URL_SHORTENERS.has(host.host)) {
      add('link-shortener', 'A link uses a URL shortener, which hides where it goes', defang(link.url), 25);
      badLinks++;
    }
    if (host.isIp) {
      add('link-raw-ip', 'A link goes to a bare IP address instead of a named website', defang(link.url), 35);
      badLinks++;
    }
    if (host.punycode && !lookalike)
      add(
        'link-punycode',
        'A link uses an internationalised (punycode) domain',
        `${defang(link.url)} (${host.unicodeHost})`,
        15,
      );
    if (link.scheme === 'http' && /^https?:/i.test(link.url) && text.includes('http://'))
      add('link-not-https', 'A link is not secured with https', defang(link.url), 5);
  }
  if (unofficialLinks > 0 && claimsPublicBody && !reasons.some((r) => r.code.startsWith('link-lookalike')))
    add(
      'link-unofficial-for-council',
      'It claims to come from a council or public body but links to a website that is not on an official domain',
      links
        .filter((l) => !ownerOf(l.host.host) && !isVettedPublicSectorDomain(l.host.host))
        .slice(0, 3)
        .map((l) => defang(l.url))
        .join(', '),
      senderIsOfficial ? 10 : 20,
    );
  if (officialLinks > 0 && unofficialLinks === 0)
    add(
      'links-official',
      'Every link goes to an official domain',
      links
        .map((l) => l.host.host)
        .slice(0, 3)
        .join(', '),
      -10,
    );

  const numbers = findPhoneNumbers(text, index.phoneOwners);
  const lures = findLures(text);
  // The councils never ask for these (DESIGN: every message Wardroom sends).
  const asksForSecrets = lures.some((l) => REQUEST_LURES.has(l.code));
  const elsewhere =
    unofficialLinks > 0 ||
    reasons.some((r) => r.code === 'reply-to-mismatch') ||
    numbers.some((n) => !n.officialFor && (n.presentedAsContact || n.costlyOrHidden));
  // Anyone can send a text under any sender ID; a council text never links elsewhere to press you.
  const smsPressingElsewhere = message.kind === 'sms' && unofficialLinks > 0 && lures.length > 0;
  if (senderIsOfficial && (badLinks > 0 || (asksForSecrets && elsewhere) || smsPressingElsewhere)) {
    add(
      'official-sender-forged',
      'It looks as if it comes from an official sender but links somewhere an official message never would: senders can be forged',
      senderAddress ?? '',
      25,
    );
    senderIsOfficial = false;
  }

  // Phone numbers.
  const official = numbers.filter((n) => n.officialFor);
  const unofficial = numbers.filter((n) => !n.officialFor);
  if (official.length)
    add('phone-official', 'The phone numbers given are official', official.map((n) => n.text).join(', '), -5);
  for (const number of unofficial.slice(0, 3)) {
    const { weight, text: why } = weighNumber(number, claimsPublicBody, claimed, senderIsOfficial);
    if (weight)
      add(number.costlyOrHidden ? `phone-${number.costlyOrHidden}` : 'phone-unofficial', why, number.text, weight);
  }

  // Lures.
  let lureTotal = 0;
  for (const lure of lures) {
    // A genuine breach notice talks about the breach; it is only a lure from someone else.
    const weight = lure.code === 'data-breach' && senderIsOfficial ? 0 : lure.weight;
    const counted = Math.max(0, Math.min(weight, 55 - lureTotal));
    lureTotal += counted;
    add(`lure-${lure.code}`, `It ${lure.label}`, lure.evidence, counted);
  }
  if (lures.length >= 3)
    add('lures-combined', 'It combines several pressure tactics', lures.map((l) => l.code).join(', '), 10);

  const demand = lures.find((l) => REQUEST_LURES.has(l.code) || l.code === 'payment-demand');
  const pressing = !demand && reasons.some((r) => r.code.startsWith('lure-') && r.weight > 0);
  if (
    pressing &&
    unofficialLinks > 0 &&
    !senderIsOfficial &&
    !reasons.some((r) => r.code === 'link-unofficial-for-council')
  )
    add(
      'lure-with-link',
      'It puts pressure on you and links to a website that is not an official one',
      links
        .slice(0, 2)
        .map((l) => defang(l.url))
        .join(', '),
      message.kind === 'sms' ? 20 : 10,
    );
  for (const link of links.slice(0, 10)) {
    if (ownerOf(link.host.host) || isVettedPublicSectorDomain(link.host.host) || link.host.isIp) continue;
    const words = link.host.label.split('-').filter((w) => SCAM_DOMAIN_WORDS.has(w));
    if (words.length && !reasons.some((r) => r.code.startsWith('link-lookalike'))) {
      add('link-domain-words', 'A link goes to a domain named with words scammers use', defang(link.url), 15);
      break;
    }
  }

  const risky = links.find(
    (l) => !ownerOf(l.host.host) && RISKY_TLDS.has(l.host.suffix.split('.').pop() ?? '') && !l.host.isIp,
  );
  if (risky)
    add(
      'link-risky-tld',
      `A link uses .${risky.host.suffix}, a domain ending favoured by scammers`,
      defang(risky.url),
      10,
    );
  if (demand && unofficialLinks > 0 && !senderIsOfficial)
    add(
      'request-through-link',
      'It asks for money or personal details through a link to a non-official website',
      demand.evidence,
      15,
    );

  let raw = reasons.reduce((sum, r) => sum + r.weight, 0);
  // The register's own messages: official sender, official links and numbers only.
  const genuineShape =
    senderIsOfficial && badLinks === 0 && unofficialLinks === 0 && !unofficial.some((n) => n.presentedAsContact);
  // Never call a message of that shape a scam: a forged one still says "suspicious" when it asks for much.
  // Nor a message whose only ways to respond are official ones and that asks for nothing secret:
  // a genuine council text from a sender ID missing from the register looks like this.
  const onlyOfficialRoutes =
    officialLinks + official.length > 0 &&
    unofficialLinks === 0 &&
    badLinks === 0 &&
    !unofficial.some((n) => n.presentedAsContact || n.costlyOrHidden) &&
    !asksForSecrets;
  if (genuineShape || onlyOfficialRoutes) raw = Math.min(raw, SCAM_THRESHOLD - 1);
  const score = Math.max(0, Math.min(100, raw));
  let verdict: Verdict;
  if (score >= SCAM_THRESHOLD) verdict = 'likely-scam';
  else if (score >= SUSPICIOUS_THRESHOLD) verdict = 'suspicious';
  else if (senderIsOfficial && genuineShape && score < 15 && raw <= 0) verdict = 'likely-genuine';
  else verdict = 'cannot-tell';
  if (verdict === 'likely-genuine' && !authenticatedOfficial && message.kind === 'email' && !senderIsNotify)
    add(
      'authentication-not-checked',
      'Its official sender could not be confirmed by a trusted mail provider; check the links and numbers before acting',
      senderAddress ?? '',
      0,
    );
  reasons.sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight));
  return {
    verdict,
    score,
    reasons,
    features: { text: campaignText(text), sender: senderAddress, senderIsOfficial, links, attachmentHashes },
  };
}

/**
 * Only what campaign grouping reads is kept, as a copy: the features of every message are held until
 * all are grouped, and a slice of a 1,000,000-character text would otherwise keep all of it alive.
 */
function campaignText(text: string): string {
  return text.length <= CAMPAIGN_TEXT_CHARS ? text : Buffer.from(text.slice(0, CAMPAIGN_TEXT_CHARS)).toString();
}

function weighNumber(
  number: FoundPhoneNumber,
  claimsPublicBody: boolean,
  claimed: OfficialOrganisation[],
  senderIsOfficial: boolean,
): { weight: number; text: string } {
  if (number.costlyOrHidden === 'premium-rate')
    return { weight: 30, text: 'It gives a premium-rate number, which charges the caller' };
  if (number.costlyOrHidden === 'personal-number')
    return {
      weight: 30,
      text: 'It gives a 070 "personal" number, which can be redirected anywhere and costs the caller',
    };
  if (claimsPublicBody && number.presentedAsContact) {
    const who = claimed[0]?.name ?? 'the council';
    return {
      weight: senderIsOfficial ? 10 : number.mobile ? 35 : 30,
      text: `It asks you to call a number that is not one of ${who}'s published numbers`,
    };
  }
  return { weight: 3, text: 'It gives a phone number that is not in the register' };
}

/** Organisations a piece of text names, by the aliases in the register. */
export function claimedOrganisations(text: string, index: RegisterIndex): OfficialOrganisation[] {
  if (!text) return [];
  const found: OfficialOrganisation[] = [];
  for (const { pattern, hint, organisation } of index.aliases)
    if (!found.includes(organisation) && (!hint || hint.test(text)) && pattern.test(text)) found.push(organisation);
  return found;
}

function domainOwner(host: string, index: RegisterIndex): string | undefined {
  let candidate = host.toLowerCase();
  for (;;) {
    const owners = index.domainOwners.get(candidate);
    if (owners) return owners.map((o) => o.name).join(', ');
    const dot = candidate.indexOf('.');
    if (dot < 0) return undefined;
    candidate = candidate.slice(dot + 1);
  }
}

function domainOfAddress(address: string | undefined): string | undefined {
  if (!address) return undefined;
  const at = address.lastIndexOf('@');
  const domain = at >= 0 ? address.slice(at + 1) : '';
  return /^[a-z0-9.-]+\.[a-z0-9-]+$/i.test(domain) ? domain.toLowerCase() : undefined;
}

interface TrustedAuthentication {
  provider: string;
  dmarc: string | undefined;
  spf: string | undefined;
  dkim: string | undefined;
  dkimDomains: string[];
}

/** RFC 8601: the first header whose authserv-id is trusted is the one our provider added. */
export function readAuthentication(
  headers: string[],
  trusted: ReadonlySet<string>,
): { trusted: TrustedAuthentication | undefined; ignored: string[] } {
  const ignored: string[] = [];
  for (const header of headers) {
    const authServId = header.split(';', 1)[0]!.trim().split(/\s+/)[0]!.toLowerCase();
    if (!trusted.has(authServId)) {
      if (authServId && !ignored.includes(authServId)) ignored.push(authServId);
      continue;
    }
    const result = (method: string) =>
      new RegExp(`\\b${method}\\s*=\\s*([a-z]+)`, 'i').exec(header)?.[1]?.toLowerCase();
    const dkimDomains = [...header.matchAll(/\bdkim\s*=\s*pass\b[^;]*?\bheader\.[di]\s*=\s*@?([a-z0-9.-]+)/gi)].map(
      (m) => m[1]!.toLowerCase(),
    );
    return {
      trusted: { provider: authServId, dmarc: result('dmarc'), spf: result('spf'), dkim: result('dkim'), dkimDomains },
      ignored,
    };
  }
  return { trusted: undefined, ignored };
}

export function defang(url: string): string {
  return url.replace(/^http/i, 'hxxp').replace(/\./g, '[.]');
}
