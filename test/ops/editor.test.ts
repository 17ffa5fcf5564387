/** Editor command lines: shell-like splitting, and vim's no-leak flags. */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { editorCommand, splitCommandLine, VIM_SAFE_FLAGS } from "../../src/ops/editor.js";

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  throw new Error("expected a throw");
}

describe("splitCommandLine", () => {
  it.each([
    ["code --wait", ["code", "--wait"]],
    ["  vim  ", ["vim"]],
    [`"/Applications/Sublime Text.app/bin/subl" -w`, ["/Applications/Sublime Text.app/bin/subl", "-w"]],
    [`emacsclient -a '' -t`, ["emacsclient", "-a", "", "-t"]],
    [`my\\ editor --flag="a b" 'it''s'`, ["my editor", "--flag=a b", "its"]],
    [`sh -c "echo \\"\\$1\\" \\\\n"`, ["sh", "-c", `echo "$1" \\n`]],
    ["", []],
  ])("splits %j", (line, words) => {
    expect(splitCommandLine(line)).toEqual(words);
  });

  it("rejects an unterminated quote with EDITOR_FAILED", () => {
    expect(thrown(() => splitCommandLine(`code "--wait`))).toMatchObject({ code: "EDITOR_FAILED" });
    expect(() => splitCommandLine(`code '--wait`)).toThrow(/unterminated quote/);
  });

  it("round-trips any words quoted the way a shell would", () => {
    const quote = (w: string) => `'${w.replace(/'/g, `'\\''`)}'`;
    fc.assert(fc.property(fc.array(fc.string(), { minLength: 1, maxLength: 5 }), (words) => {
      expect(splitCommandLine(words.map(quote).join(" "))).toEqual(words);
    }));
  });
});

describe("editorCommand", () => {
  it("prefers VISUAL over EDITOR and keeps the editor's own arguments", () => {
    expect(editorCommand({ VISUAL: "code --wait", EDITOR: "nano" }, false)).toEqual(["code", "--wait"]);
    expect(editorCommand({ VISUAL: "  ", EDITOR: "nano -R" }, false)).toEqual(["nano", "-R"]);
  });

  it("puts the no-leak flags right after vim or nvim, before the user's arguments", () => {
    expect(editorCommand({ EDITOR: "/usr/bin/nvim -c wq" }, false)).toEqual(["/usr/bin/nvim", ...VIM_SAFE_FLAGS, "-c", "wq"]);
    expect(editorCommand({ EDITOR: "vim" }, false)).toEqual(["vim", ...VIM_SAFE_FLAGS]);
    expect(VIM_SAFE_FLAGS.slice(0, 3)).toEqual(["-n", "-i", "NONE"]);
    expect(VIM_SAFE_FLAGS.join(" ")).toMatch(/nobackup nowritebackup noundofile/);
    expect(editorCommand({ EDITOR: "vimdiff-ish" }, false)).toEqual(["vimdiff-ish"]);
  });

  it("falls back to vi only on a terminal", () => {
    expect(editorCommand({}, true)).toEqual(["vi"]);
    expect(thrown(() => editorCommand({}, false))).toMatchObject({ code: "EDITOR_FAILED", hint: expect.stringContaining("--input") as unknown });
  });
});
