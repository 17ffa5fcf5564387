/**
 * The few escape codes the string renderers use, and text fitting. No dependencies, so that
 * `rekey plan` stays fast.
 */

/** SGR codes used by the renderers. */
export const SGR = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, magenta: 35, cyan: 36 } as const;

/** Wraps `text` in one SGR code and a reset. */
export function paint(code: number, text: string): string {
  return `\u001b[${code}m${text}\u001b[0m`;
}

// eslint-disable-next-line no-control-regex -- matching escape codes is the point
const ANSI = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

/** Removes ANSI escape sequences (CSI and OSC). */
export function stripAnsi(text: string): string {
  return text.replace(ANSI, "");
}

/** True when `text` holds an escape character. */
export function hasEscapes(text: string): boolean {
  return text.includes("\u001b");
}

/** Shortens plain `text` to at most `width` characters, ending in `…` when cut. */
export function fitText(text: string, width: number): string {
  if (text.length <= width) return text;
  if (width <= 0) return "";
  return `${text.slice(0, width - 1)}…`;
}

// eslint-disable-next-line no-control-regex -- control characters are what we replace
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** Replaces control characters (ESC, CSI, newlines, ...) so a name or path cannot drive the terminal. */
export function cleanText(text: string): string {
  return text.replace(CONTROL, "\uFFFD");
}
