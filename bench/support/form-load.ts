// Bench support: residents sending the contact form, as a child process of bench/enquiry-intake (so
// the load is made outside both the app's processes and the bench's own).
//
// Each connection is one virtual resident's browser on a keep-alive HTTP/1.1 connection: it gets the
// form once (for its CSRF cookie and token), then sends enquiries one after another, each being the
// two POSTs a case needs: the answers (POST /contact, answered 303 to /check with the draft cookie)
// and the agreement (POST /contact/check with consent=yes, answered 303 to /sent once the case is
// stored). The client is a few lines of HTTP/1.1 over node:net, far cheaper than a general client,
// so that the machine's two cores go to the app rather than to the load.
//
// Options arrive as JSON in argv[2]; the results go back with process.send().
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface FormLoadOptions {
  host: string;
  port: number;
  /** The form's path, such as /westminster/cyber-incident/contact. */
  formPath: string;
  connections: number;
  /** Epoch ms: when to start sending (so several client processes start together). */
  startAt: number;
  warmupMs: number;
  durationMs: number;
  /** Makes each process's residents distinct. */
  clientIndex: number;
  /**
   * Also get the page each POST redirects to, as a browser does: the check-your-answers page after
   * the answers, and the page with the reference after the agreement. A submission is then four
   * requests instead of two.
   */
  followRedirects?: boolean;
}

export interface StepCounts {
  /** Answers by status code ("303", "400", …); "socket" for a connection that failed. */
  statuses: Record<string, number>;
  /** Answers in the measured window. */
  measured: number;
}

export interface FormLoadResult {
  contact: StepCounts;
  check: StepCounts;
  /** With followRedirects: the GETs of the check page and of the sent page. */
  checkPage: StepCounts;
  sentPage: StepCounts;
  /** Submissions whose /check POST was answered 303 to /sent, over the whole run. */
  accepted: number;
  /** The same, completed within the measured window. */
  acceptedMeasured: number;
  failed: number;
  /** Latencies (ms) of submissions completed in the measured window: each POST, and both together. */
  contactMs: number[];
  checkMs: number[];
  submissionMs: number[];
  /** Whole-run error details, first few. */
  errors: string[];
  /** This load process's own CPU time over the run, in microseconds. */
  cpuMicros: number;
}

interface Response {
  status: number;
  location: string | undefined;
  setCookies: string[];
  body: Buffer;
}

/** One keep-alive HTTP/1.1 connection that sends a request and reads its answer, one at a time. */
class Connection {
  readonly #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #waiting: { resolve: (r: Response) => void; reject: (e: Error) => void } | undefined;
  #closed: Error | undefined;
  readonly ready: Promise<void>;

  constructor(host: string, port: number) {
    this.#socket = connect({ host, port, noDelay: true });
    this.ready = new Promise((resolve, reject) => {
      this.#socket.once('connect', () => resolve());
      this.#socket.once('error', reject);
    });
    this.#socket.on('data', (chunk: Buffer) => {
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#parse();
    });
    const fail = (err: Error) => {
      this.#closed ??= err;
      const waiting = this.#waiting;
      this.#waiting = undefined;
      waiting?.reject(err);
    };
    this.#socket.on('error', fail);
    this.#socket.on('close', () => fail(new Error('connection closed')));
  }

  get closed(): boolean {
    return this.#closed !== undefined;
  }

  request(head: string, body = ''): Promise<Response> {
    if (this.#closed) return Promise.reject(this.#closed);
    return new Promise((resolve, reject) => {
      this.#waiting = { resolve, reject };
      this.#socket.write(body === '' ? head : head + body);
    });
  }

  close(): void {
    this.#socket.destroy();
  }

  #parse(): void {
    const end = this.#buffer.indexOf('\r\n\r\n');
    if (end < 0 || !this.#waiting) return;
    const head = this.#buffer.toString('latin1', 0, end);
    const lines = head.split('\r\n');
    const status = Number((lines[0] ?? '').slice(9, 12));
    let length = 0;
    let chunked = false;
    let location: string | undefined;
    let closeAfter = false;
    const setCookies: string[] = [];
    for (let i = 1; i < lines.length; i += 1) {
      const line = lines[i] as string;
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).toLowerCase();
      const value = line.slice(colon + 1).trim();
      if (name === 'content-length') length = Number(value);
      else if (name === 'transfer-encoding') chunked = value.toLowerCase().includes('chunked');
      else if (name === 'location') location = value;
      else if (name === 'set-cookie') setCookies.push(value);
      else if (name === 'connection') closeAfter = value.toLowerCase() === 'close';
    }
    let body: Buffer;
    let consumed: number;
    if (chunked) {
      const parts: Buffer[] = [];
      let at = end + 4;
      for (;;) {
        const lineEnd = this.#buffer.indexOf('\r\n', at);
        if (lineEnd < 0) return;
        const size = Number.parseInt(this.#buffer.toString('latin1', at, lineEnd), 16);
        if (this.#buffer.length < lineEnd + 2 + size + 2) return;
        if (size === 0) {
          consumed = lineEnd + 4;
          break;
        }
        parts.push(this.#buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
        at = lineEnd + 2 + size + 2;
      }
      body = Buffer.concat(parts);
    } else {
      if (this.#buffer.length < end + 4 + length) return;
      body = this.#buffer.subarray(end + 4, end + 4 + length);
      consumed = end + 4 + length;
    }
    this.#buffer = this.#buffer.subarray(consumed);
    const waiting = this.#waiting;
    this.#waiting = undefined;
    if (closeAfter) {
      this.#closed = new Error('the server closed the connection');
      this.#socket.end();
    }
    waiting.resolve({ status, location, setCookies, body });
  }
}

const TOPICS = ['affected', 'suspicious-contact', 'service', 'data-worry', 'other'];
const OPENINGS = [
  'I got a letter saying my data may have been taken. What should I do?',
  'Someone rang me saying they were from the council and asked for my bank details.',
  'I cannot pay my council tax online since the systems went down.',
  'My housing benefit payment has not arrived this month.',
  'Is it safe to reply to emails from the council at the moment?',
  'I booked a bulky waste collection and nobody came.',
  'My parking permit renewal did not go through.',
];
// Some enquiries carry what triage must make urgent.
const URGENT = [
  'I have no heating and it is very cold in the flat.',
  'My mother has no medication left and the pharmacy cannot reach the council.',
  'We have no food until the payment comes through.',
];

function answers(n: number, client: number): string {
  const urgent = n % 10 === 3;
  const words = `${OPENINGS[n % OPENINGS.length] as string}${urgent ? ` ${URGENT[n % URGENT.length] as string}` : ''}`;
  const params = new URLSearchParams({
    topic: TOPICS[n % TOPICS.length] as string,
    message: `${words}\nReference number ${client}-${n}, sent at ${new Date().toISOString()}.`,
    name: `Resident ${client}-${n}`,
    replyBy: n % 7 === 0 ? 'phone' : 'email',
    email: `resident.${client}.${n}@example.com`,
    phone: n % 7 === 0 ? `0207946${String(n % 10000).padStart(4, '0')}` : '',
    address: '',
    extraHelp: n % 20 === 0 ? 'yes' : 'no',
    supportNeeds: n % 20 === 0 ? 'I use a screen reader. Please email rather than write.' : '',
  });
  if (n % 25 === 0) params.append('circumstances', 'aged-75-or-over');
  return params.toString();
}

/** What an error page says: its title. */
function problemText(body: Buffer): string {
  const text = body.toString('utf8');
  return (/<title>([^<]*)<\/title>/.exec(text)?.[1] ?? text).slice(0, 200);
}

/** `name=value` from a Set-Cookie header, as a Cookie header carries it. */
function cookiePair(setCookie: string): string {
  return setCookie.split(';', 1)[0] as string;
}

async function run(options: FormLoadOptions): Promise<FormLoadResult> {
  const result: FormLoadResult = {
    contact: { statuses: {}, measured: 0 },
    check: { statuses: {}, measured: 0 },
    checkPage: { statuses: {}, measured: 0 },
    sentPage: { statuses: {}, measured: 0 },
    accepted: 0,
    acceptedMeasured: 0,
    failed: 0,
    contactMs: [],
    checkMs: [],
    submissionMs: [],
    errors: [],
    cpuMicros: 0,
  };
  const cpuAtStart = process.cpuUsage();
  const count = (step: StepCounts, status: string, measured: boolean) => {
    step.statuses[status] = (step.statuses[status] ?? 0) + 1;
    if (measured) step.measured += 1;
  };
  const noteError = (text: string) => {
    if (result.errors.length < 10) result.errors.push(text);
  };
  const host = `${options.host}:${options.port}`;
  const measureFrom = options.startAt + options.warmupMs;
  const measureTo = measureFrom + options.durationMs;
  // performance.now() for latencies; Date.now() only to agree on the window with other processes.
  const toEpoch = performance.timeOrigin;
  let sequence = 0;

  const resident = async () => {
    let connection: Connection | undefined;
    let csrfCookie = '';
    let csrfToken = '';
    const open = async () => {
      connection?.close();
      connection = new Connection(options.host, options.port);
      await connection.ready;
      const form = await connection.request(`GET ${options.formPath} HTTP/1.1\r\nHost: ${host}\r\n\r\n`);
      const cookie = form.setCookies.find((c) => c.includes('wardroom_csrf='));
      const token = /name="_csrf" value="([^"]+)"/.exec(form.body.toString('utf8'))?.[1];
      if (form.status !== 200 || !cookie || !token) throw new Error(`the form answered ${form.status}`);
      csrfCookie = cookiePair(cookie);
      csrfToken = token;
    };
    while (Date.now() < options.startAt) await new Promise((r) => setTimeout(r, 5));
    while (Date.now() < measureTo) {
      try {
        if (!connection || connection.closed) await open();
      } catch (err) {
        noteError(`opening: ${(err as Error).message}`);
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      const c = connection as Connection;
      const n = sequence++;
      const body = `_csrf=${encodeURIComponent(csrfToken)}&${answers(n, options.clientIndex)}`;
      const t0 = performance.now();
      let measured = false;
      let step = result.contact;
      try {
        const posted = await c.request(
          `POST ${options.formPath} HTTP/1.1\r\nHost: ${host}\r\nCookie: ${csrfCookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n`,
          body,
        );
        const t1 = performance.now();
        measured = toEpoch + t1 >= measureFrom && toEpoch + t1 < measureTo;
        count(result.contact, String(posted.status), measured);
        const draft = posted.setCookies.find((s) => s.startsWith('wardroom_enquiry='));
        if (posted.status !== 303 || !posted.location?.endsWith('/check') || !draft) {
          result.failed += 1;
          noteError(`POST contact answered ${posted.status}: ${problemText(posted.body)}`);
          continue;
        }
        const cookies = `${csrfCookie}; ${cookiePair(draft)}`;
        if (options.followRedirects) {
          step = result.checkPage;
          const page = await c.request(
            `GET ${posted.location} HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookies}\r\n\r\n`,
          );
          count(result.checkPage, String(page.status), measured);
          if (page.status !== 200) {
            result.failed += 1;
            noteError(`GET check answered ${page.status}: ${problemText(page.body)}`);
            continue;
          }
        }
        step = result.check;
        const consent = `_csrf=${encodeURIComponent(csrfToken)}&consent=yes`;
        const sent = await c.request(
          `POST ${options.formPath}/check HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookies}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${consent.length}\r\n\r\n`,
          consent,
        );
        if (options.followRedirects && sent.status === 303 && sent.location?.endsWith('/sent')) {
          step = result.sentPage;
          const page = await c.request(`GET ${sent.location} HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookies}\r\n\r\n`);
          count(result.sentPage, String(page.status), toEpoch + performance.now() >= measureFrom);
          // The case is stored whatever this page says, so the submission still counts as accepted.
          if (page.status !== 200 || !/[A-Z]{3}-[A-Z0-9]{4}-[A-Z0-9]{4}/.test(page.body.toString('utf8'))) {
            result.failed += 1;
            noteError(`GET sent answered ${page.status} without a reference: ${problemText(page.body)}`);
          }
        }
        const t2 = performance.now();
        const done = toEpoch + t2;
        measured = done >= measureFrom && done < measureTo;
        count(result.check, String(sent.status), measured);
        if (sent.status === 303 && sent.location?.endsWith('/sent')) {
          result.accepted += 1;
          if (measured) {
            result.acceptedMeasured += 1;
            result.contactMs.push(t1 - t0);
            result.checkMs.push(t2 - t1);
            result.submissionMs.push(t2 - t0);
          }
        } else {
          result.failed += 1;
          noteError(`POST check answered ${sent.status}: ${problemText(sent.body)}`);
        }
      } catch (err) {
        result.failed += 1;
        count(step, 'socket', measured);
        noteError(`request: ${(err as Error).message}`);
      }
    }
    connection?.close();
  };

  await Promise.all(Array.from({ length: options.connections }, () => resident()));
  const cpu = process.cpuUsage(cpuAtStart);
  result.cpuMicros = cpu.user + cpu.system;
  return result;
}

const options = JSON.parse(process.argv[2] ?? '{}') as FormLoadOptions;
run(options).then(
  (result) => process.send?.(result, () => process.exit(0)),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
