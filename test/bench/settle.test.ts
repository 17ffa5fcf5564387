import { describe, expect, it } from "vitest";
import { isSettled } from "../../bench/settle.js";

describe("the bench's wait for the filesystem", () => {
  it("is settled when file creation is fast, or has stopped getting faster below 50 µs", () => {
    expect(isSettled([])).toBe(false);
    expect(isSettled([15])).toBe(true);
    expect(isSettled([30])).toBe(false); // one probe: maybe still settling
    expect(isSettled([180, 30])).toBe(false); // getting faster
    expect(isSettled([30, 28])).toBe(true);
    expect(isSettled([40, 30, 45])).toBe(true);
    expect(isSettled([60, 55])).toBe(false); // too slow
    expect(isSettled([90, 45, 19])).toBe(true);
  });
});
