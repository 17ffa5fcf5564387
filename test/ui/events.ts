/** Events of a small apply run, for the reporter tests. */
import type { ApplyEvent } from "../../src/apply/events.js";

export const sampleEvents: readonly ApplyEvent[] = [
  { type: "start", summary: { generate: 1, create: 2, update: 1, remove: 1 }, total: 5 },
  { type: "notice", message: "skipped identity file keys/old.txt: not an age identity" },
  { type: "generate", secret: "wg-key", generator: "wireguard", action: "generate" },
  { type: "decrypt", secret: "db-password" },
  { type: "write", action: "create", host: "web1", secret: "db-password", done: 1, total: 3 },
  { type: "write", action: "create", host: "web2", secret: "db-password", done: 2, total: 3 },
  { type: "write", action: "update", host: "web1", secret: "wg-key", done: 3, total: 3 },
  { type: "remove", host: "old1", secret: "db-password" },
  { type: "done", summary: { generate: 1, create: 2, update: 1, remove: 1 }, elapsed_ms: 1234, decrypted: 2, written: 3, removed: 1 },
];

/** `count` write events (create db-password on web1..webN) of a run writing `total` outputs. */
export function writeEvents(count: number, total: number): ApplyEvent[] {
  return Array.from({ length: count }, (_, i) => ({ type: "write", action: "create", host: `web${i + 1}`, secret: "db-password", done: i + 1, total }) as const);
}
