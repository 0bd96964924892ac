/**
 * The sandbox pages' files and the two ways values reach their HTML. Templates are `.html`
 * files beside the code with `{{name}}` slots; a slot's value is escaped unless it is `Html`,
 * markup built with the `html` tag (whose own interpolations are escaped the same way). So
 * nothing from data reaches a page unescaped, and every file is one an editor and a linter read.
 */
import { readFileSync } from "node:fs";

/** Markup that is already safe to place in a page. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/gu,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!,
  );
}

function escaped(value: unknown): string {
  if (value instanceof Html) return value.text;
  if (Array.isArray(value)) return value.map(escaped).join("");
  return escapeHtml(String(value));
}

/** A fragment of markup: interpolated values are escaped, `Html` values and arrays of them placed as they are. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  return new Html(strings.reduce((out, part, i) => out + escaped(values[i - 1]) + part));
}

/** A file beside the caller (`import.meta.url`), read once. */
export function readAsset(base: string, name: string): string {
  return readFileSync(new URL(name, base), "utf8");
}

/** Fills a template's `{{name}}` slots; a slot without a value, or a value without a slot, is a bug. */
export function render(template: string, values: Record<string, unknown>): string {
  const used = new Set<string>();
  const out = template.replace(/\{\{(\w+)\}\}/gu, (_slot, name: string) => {
    if (!(name in values)) throw new Error(`The template has a slot {{${name}}} nobody fills`);
    used.add(name);
    return escaped(values[name]);
  });
  const unused = Object.keys(values).filter((name) => !used.has(name));
  if (unused.length) throw new Error(`The template has no slot for ${unused.join(", ")}`);
  return out;
}

/** JSON for an inline script: `<` escaped so no value can close the script element. */
export function inlineJson(value: unknown): Html {
  return new Html(JSON.stringify(value).replace(/</gu, "\\u003c"));
}
