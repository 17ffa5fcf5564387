import { describe, expect, it } from "vitest";
import { summarize, type Action, type Plan } from "../../src/core/plan.js";
import { stripAnsi } from "../../src/ui/ansi.js";
import { renderPlanText } from "../../src/core/plan-format.js";
import { renderPlanTty } from "../../src/ui/plan-view.js";

const planOf = (actions: Action[]): Plan => ({ actions, summary: summarize(actions) });
const act = (action: Action["action"], host: string | null, secret: string, reason: string): Action => ({ action, host, secret, reason });

const plan = planOf([
  act("generate", null, "wg-key", "source missing, generator wireguard"),
  act("regenerate", null, "wg-pub", "dependency wg-key will change"),
  act("create", "web1", "db-password", "output missing"),
  act("create", "web2", "db-password", "output missing"),
  act("update", "database", "db-password", "host key changed"),
  act("remove", "old1", "api-token", "host no longer declared"),
  act("create", "web3", "db-password", "output changed outside rekey (or by an interrupted apply); this reason is long enough to be cut"),
]);

describe("renderPlanTty", () => {
  const colored = renderPlanTty(plan, 80);
  const lines = stripAnsi(colored).trimEnd().split("\n");

  it("colours the output", () => {
    expect(colored).toContain("\u001b[32m+\u001b[0m");
    expect(colored).toContain("\u001b[31m-\u001b[0m");
  });

  it("groups actions by kind in apply order, each titled with its count", () => {
    const titles = lines.filter((l) => /^[A-Z]/.test(l));
    expect(titles).toEqual(["Generate (1)", "Regenerate (1)", "Create (3)", "Update (1)", "Remove (1)", "Plan: 2 to generate, 3 to create, 1 to update, 1 to remove."]);
    const createGroup = lines.slice(lines.indexOf("Create (3)") + 1, lines.indexOf("Update (1)") - 1);
    expect(createGroup.map((l) => l.slice(0, 4))).toEqual(["  + ", "  + ", "  + "]);
    expect(createGroup.map((l) => l.split(/\s+/)[2])).toEqual(["web1", "web2", "web3"]);
  });

  it("aligns host, secret and reason columns", () => {
    const rows = lines.filter((l) => /^ {2}[*+~-] /.test(l));
    expect(rows).toHaveLength(7);
    const secretAt = new Set(rows.map((l) => l.search(/wg-key|wg-pub|db-password|api-token/)));
    expect(secretAt).toEqual(new Set([4 + "database".length + 2]));
    const reasonAt = new Set(rows.map((l) => l.search(/source|dependency|output|host|this/)));
    expect(reasonAt.size).toBe(1);
    expect(lines).toContain("  ~ database  db-password  host key changed");
  });

  it("truncates reasons at the terminal width", () => {
    for (const l of lines) expect(l.length).toBeLessThanOrEqual(80);
    const long = lines.find((l) => l.includes("web3"));
    expect(long).toBeDefined();
    expect(long).toHaveLength(80);
    expect(long?.endsWith("…")).toBe(true);
    const narrow = stripAnsi(renderPlanTty(plan, 40)).split("\n");
    for (const l of narrow) expect(l.length).toBeLessThanOrEqual(Math.max(40, "Plan: 2 to generate, 3 to create, 1 to update, 1 to remove.".length));
    expect(narrow.find((l) => l.includes("web3"))).toBe("  + web3      db-password  output chang…");
    expect(narrow).toContain("  + web1      db-password  output missi…");
  });

  it("narrows very long names so that reasons keep room", () => {
    const long = planOf([act("create", "h".repeat(60), "s".repeat(60), "output missing")]);
    const row = stripAnsi(renderPlanTty(long, 80)).split("\n")[1] ?? "";
    expect(row.length).toBeLessThanOrEqual(80);
    expect(row.endsWith("output missing")).toBe(true);
  });

  it("says when there is nothing to do", () => {
    expect(stripAnsi(renderPlanTty(planOf([]), 80))).toBe("No changes: every output is up to date.\nPlan: 0 to generate, 0 to create, 0 to update, 0 to remove.\n");
  });
});

describe("a fleet-sized plan", () => {
  // 200,000 actions, W2's full apply: widths taken with Math.max(...widths) overflowed the call
  // stack here ("Maximum call stack size exceeded"), so `rekey plan` and `rekey apply` crashed.
  const actions: Action[] = [];
  for (let h = 0; h < 2000; h++) for (let s = 0; s < 100; s++) actions.push(act("create", `host-${String(h).padStart(4, "0")}`, `s${String(s).padStart(3, "0")}`, "output missing"));
  actions.push(act("create", "a-longer-host-name", "a-longer-secret-name", "output missing"));
  const big = planOf(actions);

  it("renders as plain text, one aligned line per action", () => {
    const lines = renderPlanText(big).trimEnd().split("\n");
    expect(lines).toHaveLength(200_001 + 2);
    expect(lines[0]).toBe(`  + create      ${"host-0000".padEnd(18)}  ${"s000".padEnd(20)}  output missing`);
    expect(lines[200_000]).toBe("  + create      a-longer-host-name  a-longer-secret-name  output missing");
    expect(lines.at(-1)).toBe("Plan: 0 to generate, 200001 to create, 0 to update, 0 to remove.");
  });

  it("renders for a terminal", () => {
    const lines = stripAnsi(renderPlanTty(big, 100)).trimEnd().split("\n");
    expect(lines[0]).toBe("Create (200001)");
    expect(lines[1]).toBe(`  + ${"host-0000".padEnd(18)}  ${"s000".padEnd(20)}  output missing`);
  });
});
