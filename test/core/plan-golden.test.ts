/**
 * Golden tests: the plain-text plan of each fixture repository under test/fixtures/repos,
 * compared with its checked-in expected-plan.txt. `UPDATE_GOLDEN=1 npx vitest run
 * test/core/plan-golden.test.ts` rewrites them; review the diff before committing.
 */
import { readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { planToJson, renderPlanText } from "../../src/core/plan-format.js";
import { planRekey } from "../../src/core/planner.js";
import { openRepo } from "../../src/store/config.js";
import { loadState } from "../../src/store/state.js";

const reposDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../fixtures/repos");
const repos = readdirSync(reposDir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

describe("golden plans of the fixture repositories", () => {
  it("has the three fixtures", () => {
    expect(repos).toEqual(["converged", "drifted", "fresh"]);
  });

  for (const name of repos) {
    it(`renders the plan of ${name} as expected-plan.txt`, async () => {
      const loaded = await loadState(openRepo(path.join(reposDir, name)));
      const plan = planRekey(loaded.state);
      const text = renderPlanText(plan);
      const expectedFile = path.join(reposDir, name, "expected-plan.txt");
      if (process.env.UPDATE_GOLDEN === "1") writeFileSync(expectedFile, text);
      expect(text).toBe(readFileSync(expectedFile, "utf8"));
      expect(planToJson(plan).summary).toEqual(plan.summary);
    });
  }

  it("renders the drifted plan narrowed to one host", async () => {
    const loaded = await loadState(openRepo(path.join(reposDir, "drifted")));
    expect(renderPlanText(planRekey(loaded.state, { hosts: ["vpn1"] }))).toBe(
      [
        "  ~ update      vpn1  db-password  source changed; host key changed",
        "  ~ update      vpn1  wg-key       host key changed",
        "",
        "Plan: 0 to generate, 0 to create, 2 to update, 0 to remove.",
        "",
      ].join("\n"),
    );
  });
});
