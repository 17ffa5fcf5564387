import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { asksForHelp, findCommandName } from "../../src/cli/argv.js";

describe("the command named on a command line (what bin.ts starts apply's workers from)", () => {
  it("is the first argument that is not an option, skipping -C/--directory and its folder", () => {
    expect(findCommandName(["apply", "--yes"])).toBe("apply");
    expect(findCommandName(["--json", "apply"])).toBe("apply");
    expect(findCommandName(["-C", "apply", "plan"])).toBe("plan"); // "apply" is the folder here
    expect(findCommandName(["--directory", "x", "apply"])).toBe("apply");
    expect(findCommandName(["--", "apply"])).toBe("apply");
    expect(findCommandName(["--yes", "-y"])).toBeUndefined();
    expect(findCommandName([])).toBeUndefined();
  });

  it("never takes an option or the folder of -C for the command, whatever comes around it", () => {
    const option = fc.constantFrom("--json", "--no-color", "-y", "--yes", "--host=a");
    fc.assert(
      fc.property(fc.array(option), fc.string({ minLength: 1 }), fc.constantFrom("apply", "plan", "check"), (options, folder, name) => {
        expect(findCommandName([...options, "-C", folder, ...options, name, "--yes"])).toBe(name);
      }),
    );
  });

  it("asks for help with --help or -h anywhere", () => {
    expect(asksForHelp(["apply", "--help"])).toBe(true);
    expect(asksForHelp(["-h", "apply"])).toBe(true);
    expect(asksForHelp(["apply", "--yes"])).toBe(false);
  });
});
