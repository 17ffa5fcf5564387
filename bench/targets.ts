/**
 * The lines under the table: each issue-6 target, the value measured in this run, PASS or MISS.
 */
import { formatMiB, formatMs, median, rowValue, verdict, type ScenarioResult } from "./report.js";
import { W1_WIDE } from "./workload.js";

const RSS_TARGET_MIB = 250;

/**
 * The ratio round by round, when the full apply and the baseline took turns (as many runs of
 * each, in order): how far the machine's drift moves it within this run.
 */
function roundSpread(full: ScenarioResult, baseline: ScenarioResult): string {
  const scale = (rowValue(baseline) ?? 0) / median(baseline.runsMs);
  if (full.runsMs.length !== baseline.runsMs.length || full.runsMs.length < 2 || !Number.isFinite(scale)) return "";
  const ratios = full.runsMs.map((ms, i) => (baseline.runsMs[i]! * scale) / ms).sort((a, b) => a - b);
  return `; round by round ${ratios[0]!.toFixed(1)}× to ${ratios.at(-1)!.toFixed(1)}×`;
}

/** One line per target; a target whose inputs were not measured says n/a. */
export function renderTargets(rows: ReadonlyMap<string, ScenarioResult>, w1Outputs: number, w1Hosts: number): string {
  const full = rowValue(rows.get("full"));
  const baseline = rowValue(rows.get("baseline"));
  const floor = rowValue(rows.get("floor"));
  const plan = rowValue(rows.get("plan"));
  const demoCheck = rows.get("demo-check");
  const shared = rows.get("shared");
  const lines: string[] = [];
  const na = (what: string, why = "not measured") => lines.push(`${what}: n/a (${why})`);

  if (full !== undefined && baseline !== undefined) {
    const x = baseline / full;
    lines.push(`full apply vs age-CLI baseline (one at a time): ${x.toFixed(1)}× faster (target ≥ 30×) ${verdict(x >= 30)}${roundSpread(rows.get("full")!, rows.get("baseline")!)}`);
  } else na("full apply vs age-CLI baseline");
  const parallel = rowValue(rows.get("baseline-parallel"));
  if (full !== undefined && parallel !== undefined) lines.push(`full apply vs age-CLI baseline at one process per core: ${(parallel / full).toFixed(1)}× faster (for information)`);
  if (full !== undefined && floor !== undefined) {
    const x = full / floor;
    lines.push(`full apply vs single-core X25519 floor: ${x.toFixed(2)}× (target ≤ 2×) ${verdict(x <= 2)}`);
  } else na("full apply vs single-core X25519 floor");
  const own = rowValue(rows.get("floor-own"));
  if (full !== undefined && own !== undefined) lines.push(`full apply vs single-core floor of the multiplications rekey performs: ${(full / own).toFixed(2)}× (for information)`);
  if (plan !== undefined) lines.push(`no-op plan: ${formatMs(plan)} (target < 1 s) ${verdict(plan < 1000)}`);
  else na("no-op plan");
  const demo = rowValue(demoCheck);
  if (demo !== undefined) lines.push(`no-op check on the demo: ${formatMs(demo)} (target < 300 ms) ${verdict(demo < 300)}`);
  else na("no-op check on the demo", demoCheck?.status === "n/a" ? "no check command" : undefined);
  const inc = rowValue(shared);
  if (inc !== undefined && shared?.done !== undefined) {
    const { decrypted, written } = shared.done;
    const ok = decrypted === 1 && written === w1Hosts && inc < 1000;
    lines.push(`incremental (one shared source): ${formatMs(inc)}, decrypted ${decrypted}, written ${written} (target: 1 decryption, ${w1Hosts} encryptions, < 1 s) ${verdict(ok)}`);
  } else na("incremental (one shared source)");
  const rss = rows.get("full")?.rssKiB;
  if (rss !== undefined) lines.push(`peak RSS full apply: ${formatMiB(rss)} (target < ${RSS_TARGET_MIB} MiB) ${verdict(rss / 1024 < RSS_TARGET_MIB)}`);
  else na("peak RSS full apply");

  const w2 = rows.get("w2");
  const w2ms = rowValue(w2);
  if (w2ms !== undefined && full !== undefined) {
    const per2 = (w2ms * 1000) / (w2?.done?.written ?? 200_000);
    const per1 = (full * 1000) / w1Outputs;
    const x = per2 / per1;
    const rss1 = rows.get("full")?.rssKiB;
    const rss2 = w2?.rssKiB !== undefined ? `, peak RSS ${formatMiB(w2.rssKiB)}${rss1 !== undefined ? ` (W1: ${formatMiB(rss1)})` : ""}` : "";
    lines.push(`W2 time per output: ${per2.toFixed(1)} µs vs W1 ${per1.toFixed(1)} µs = ${x.toFixed(2)}× (target ≤ 1.5×) ${verdict(x <= 1.5)}${rss2}`);
  } else if (w2 !== undefined) na("W2 time per output", w2.status === "FAILED" ? "W2 failed" : "W1 full apply not measured");
  const sizes = [rows.get("full"), rows.get("w2-half"), w2].filter((r) => r?.rssKiB !== undefined && r.done !== undefined);
  if (sizes.length === 3) {
    const [a, b, c] = sizes.map((r) => ({ outputs: r!.done!.written, mib: r!.rssKiB! / 1024 }));
    const per100k = ((c!.mib - b!.mib) / (c!.outputs - b!.outputs)) * 100_000;
    lines.push(
      `peak RSS by fleet size: ${[a, b, c].map((x) => `${x!.outputs.toLocaleString("en-US")} outputs ${x!.mib.toFixed(1)} MiB`).join(", ")}; ` +
        `the last 100,000 outputs added ${per100k.toFixed(1)} MiB (for information: the issue asks that memory not grow with the fleet)`,
    );
  }
  const wide = rows.get("w1-wide")?.rssKiB;
  const narrow = rows.get("full")?.rssKiB;
  if (wide !== undefined && narrow !== undefined) {
    lines.push(`peak RSS by hosts, ${w1Outputs.toLocaleString("en-US")} outputs each: over ${w1Hosts} hosts ${formatMiB(narrow)}, over ${W1_WIDE.hosts.toLocaleString("en-US")} hosts ${formatMiB(wide)} (for information)`);
  }
  return lines.join("\n");
}
