// `wardroom analyse PATH… [--sms FILE] [--register FILE] [--trust-authserv ID]`: analyses .eml files
// (folders searched recursively) and texts from a JSON-lines file, prints one JSON object a line
// with the verdict, score, reasons and campaign. No network, no database.
import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { readInboundMail } from '../../platform/mail-in/mime-reader.ts';
import { groupCampaigns } from './campaign-grouping.ts';
import { analyseMessage, type Analysis, type MessageFeatures, type SuspiciousMessage } from './message-analysis.ts';
import {
  buildOfficialRegister,
  indexRegister,
  parseOfficialRegister,
  type RegisterIndex,
  RegisterError,
  type OfficialRegister,
  type RegisterOrganisationSource,
} from './official-register.ts';

export const ANALYSE_USAGE = `  analyse [--sms FILE.jsonl] [--register FILE.json] [--trust-authserv ID] PATH [...]
                                suggest a verdict for each .eml file (folders searched) and each text
                                ({"id","sender","body"} a line); prints one JSON object a line
`;

export interface AnalyseIo {
  write: (line: string) => void;
  error: (line: string) => void;
  /** The organisations the default register is built from (the demo councils). */
  organisations: readonly RegisterOrganisationSource[];
}

export interface AnalysedMessage extends Analysis {
  id: string;
  campaign: string;
}

export async function runAnalyseCommand(args: string[], io: AnalyseIo): Promise<number> {
  let values: { sms?: string; register?: string; 'trust-authserv'?: string[] };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args,
      options: {
        sms: { type: 'string' },
        register: { type: 'string' },
        'trust-authserv': { type: 'string', multiple: true },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (error) {
    io.error(`${(error as Error).message}\n\nUsage:\n${ANALYSE_USAGE}`);
    return 2;
  }
  if (positionals.length === 0 && !values.sms) {
    io.error(`Name at least one .eml file or folder, or --sms FILE.\n\nUsage:\n${ANALYSE_USAGE}`);
    return 2;
  }
  let register: OfficialRegister;
  try {
    register = values.register
      ? parseOfficialRegister(await readFile(values.register, 'utf8'))
      : buildOfficialRegister(io.organisations);
  } catch (error) {
    io.error(
      error instanceof RegisterError ? error.message : `Could not read the register: ${(error as Error).message}`,
    );
    return 2;
  }
  register.trustedAuthServIds.push(...(values['trust-authserv'] ?? []).map((id) => id.toLowerCase()));

  const messages: Array<() => Promise<SuspiciousMessage | UnreadableMessage>> = [];
  for (const arg of positionals) {
    let files: string[];
    try {
      files = (await stat(arg)).isDirectory() ? (await emlFiles(arg)).sort() : [arg];
    } catch {
      io.error(`No such file or folder: ${arg}`);
      return 2;
    }
    for (const file of files) {
      const id = (await stat(arg)).isDirectory() ? path.relative(arg, file).split(path.sep).join('/') : arg;
      messages.push(async () => {
        try {
          return await readEmail(id, await readFile(file));
        } catch (error) {
          return { id, problem: (error as Error).message };
        }
      });
    }
  }
  if (values.sms) {
    let lines: string[];
    try {
      lines = (await readFile(values.sms, 'utf8')).split(/\r?\n/);
    } catch {
      io.error(`Could not read ${values.sms}`);
      return 2;
    }
    lines.forEach((line, n) => {
      if (line.trim() === '') return;
      messages.push(async () => {
        try {
          const data = JSON.parse(line) as { id?: unknown; sender?: unknown; body?: unknown };
          return {
            kind: 'sms',
            id: typeof data.id === 'string' || typeof data.id === 'number' ? String(data.id) : `line-${n + 1}`,
            sender: typeof data.sender === 'string' ? data.sender : '',
            body: typeof data.body === 'string' ? data.body : '',
          };
        } catch {
          return { id: `line-${n + 1}`, problem: 'The line is not valid JSON' };
        }
      });
    });
  }

  const results = await analyseAll(messages, register);
  for (const result of results) io.write(JSON.stringify(result));
  return 0;
}

async function analyseAll(
  loaders: Array<() => Promise<SuspiciousMessage | UnreadableMessage>>,
  register: OfficialRegister,
): Promise<AnalysedMessage[]> {
  const index = indexRegister(register);
  const analyses: Array<Analysis & { id: string }> = [];
  const features: MessageFeatures[] = [];
  const BATCH = 32;
  for (let start = 0; start < loaders.length; start += BATCH) {
    const loaded = await Promise.all(loaders.slice(start, start + BATCH).map((load) => load()));
    for (const message of loaded) {
      const { features: f, ...analysis } = analyseLoaded(message, index);
      analyses.push(analysis);
      features.push(f);
    }
  }
  const campaigns = groupCampaigns(features, { officialDomains: index.lookalikeTargets });
  return analyses.map((a, i) => ({
    id: a.id,
    verdict: a.verdict,
    score: a.score,
    reasons: a.reasons,
    campaign: campaigns[i]!,
  }));
}

export interface UnreadableMessage {
  id: string;
  problem: string;
}

/** One .eml file's bytes as the analyser takes them: parsed, or the reason it could not be. */
export async function readEmail(id: string, raw: Buffer): Promise<SuspiciousMessage | UnreadableMessage> {
  try {
    return { kind: 'email', id, mail: readInboundMail(raw) };
  } catch (error) {
    return { id, problem: (error as Error).message };
  }
}

/** A message's analysis; one that could not be read is "cannot tell", with the reason. */
export function analyseLoaded(
  message: SuspiciousMessage | UnreadableMessage,
  index: RegisterIndex,
): Analysis & { id: string; features: MessageFeatures } {
  if ('problem' in message)
    return {
      id: message.id,
      verdict: 'cannot-tell',
      score: 0,
      reasons: [{ code: 'unreadable', text: 'The message could not be read', evidence: message.problem, weight: 0 }],
      features: { text: '', sender: undefined, senderIsOfficial: false, links: [], attachmentHashes: [] },
    };
  return { id: message.id, ...analyseMessage(message, index) };
}

async function emlFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await emlFiles(full)));
    else if (entry.isFile() && /\.eml$/i.test(entry.name)) out.push(full);
  }
  return out;
}
