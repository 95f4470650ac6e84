// Nunjucks 3.2 spends a large part of a GOV.UK page's render (about a third of the contact form's)
// on work that gives the same answer every time: every component call includes "./template.njk"
// (a path resolved afresh), runs the top level of each template it imports to get its macros, sets
// variables through a path-splitting setter, and trims with a regular expression. These changes
// keep those answers; what a page renders is the same to the byte (every page test and browser
// journey checks pages as before). They change nunjucks' own objects, so they are made once per
// process, and are checked against the nunjucks version they were written for (docs/decisions.md, "Nunjucks keeps what does not change").
import { createRequire } from 'node:module';
import nunjucks from 'nunjucks';

const require = createRequire(import.meta.url);
const WRITTEN_FOR = '3.2.4';

type ExportedCallback = (err: Error | null, exported: Record<string, unknown> | null) => void;
interface TemplateInternals {
  getExported(ctx: unknown, parentFrame?: unknown, cb?: ExportedCallback): void;
}
interface FrameInternals {
  variables: Record<string, unknown>;
  set(name: string, value: unknown, resolveUp?: boolean): void;
  resolve(name: string, forWrite?: boolean): FrameInternals | undefined;
}
interface LoaderInternals {
  resolve(from: string, to: string): string;
}

let done = false;

export function speedUpNunjucks(): void {
  if (done) return;
  done = true;
  const version = (require('nunjucks/package.json') as { version: string }).version;
  if (version !== WRITTEN_FOR) {
    throw new Error(`src/platform/views/nunjucks-speed.ts was written for nunjucks ${WRITTEN_FOR}, not ${version}`);
  }
  keepImportedMacros();
  keepResolvedPaths();
  setWithoutSplitting();
}

/**
 * An import without context (`{% from "…" import … %}`) gets an empty context and a fresh frame, so
 * what it exports depends on the template alone: it is kept per compiled template, which nunjucks
 * caches (a template reloaded in watch mode is a new object). Imports `with context` run as before.
 */
function keepImportedMacros(): void {
  const prototype = (nunjucks.Template as unknown as { prototype: TemplateInternals }).prototype;
  const exportedByTemplate = new WeakMap<object, Record<string, unknown>>();
  const getExported = prototype.getExported;
  prototype.getExported = function (this: object, ctx: unknown, parentFrame?: unknown, cb?: ExportedCallback) {
    if (typeof ctx !== 'function') return getExported.call(this, ctx, parentFrame, cb);
    const callback = ctx as ExportedCallback;
    const kept = exportedByTemplate.get(this);
    if (kept) return callback(null, kept);
    getExported.call(this, (err: Error | null, exported: Record<string, unknown> | null) => {
      if (!err && exported) exportedByTemplate.set(this, exported);
      callback(err, exported);
    });
  };
}

/** A relative template name ("./template.njk") resolved against the template that names it. */
function keepResolvedPaths(): void {
  const prototype = (nunjucks.Loader as unknown as { prototype: LoaderInternals }).prototype;
  const resolve = prototype.resolve;
  const resolved = new Map<string, string>();
  prototype.resolve = function (this: LoaderInternals, from: string, to: string) {
    const key = `${from}\0${to}`;
    let found = resolved.get(key);
    if (found === undefined) {
      found = resolve.call(this, from, to);
      // Template names come from the templates themselves, so this stays small; the cap is a guard.
      if (resolved.size < 10_000) resolved.set(key, found);
    }
    return found;
  };
}

/**
 * `Frame.set` splits every name on "." to allow dotted names. Most names have no dot, and the dotted
 * ones are a for loop's (`loop.index`, seven for each item), with one dot and set on the frame itself.
 */
function setWithoutSplitting(): void {
  const prototype = (nunjucks.runtime as unknown as { Frame: { prototype: FrameInternals } }).Frame.prototype;
  const set = prototype.set;
  prototype.set = function (this: FrameInternals, name: string, value: unknown, resolveUp?: boolean) {
    const dot = name.indexOf('.');
    if (dot === -1) {
      const frame = resolveUp ? this.resolve(name, true) : undefined;
      (frame ?? this).variables[name] = value;
    } else if (!resolveUp && name.indexOf('.', dot + 1) === -1) {
      const head = name.slice(0, dot);
      if (!this.variables[head]) this.variables[head] = {};
      (this.variables[head] as Record<string, unknown>)[name.slice(dot + 1)] = value;
    } else {
      set.call(this, name, value, resolveUp);
    }
  };
}

/** Nunjucks' `trim` filter, with String.prototype.trim (the same whitespace) for its regular expression. */
export function trim(value: unknown): unknown {
  const text = value as string;
  const runtime = nunjucks.runtime as unknown as { copySafeness(dest: unknown, target: string): unknown };
  return runtime.copySafeness(value, text.trim());
}
