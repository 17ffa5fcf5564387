/**
 * A disk that fills up while apply writes outputs: a real tmpfs of 1 MiB in a private
 * mount namespace (`unshare -rm`), filled until 40 KiB are left. apply must exit 1 with
 * "disk full while writing <file>", leave the repository as it was (no temp files), and
 * converge once there is space again. Skipped where user namespaces are unavailable.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { ensureBuilt, projectRoot } from "../e2e/helpers.js";
import { useTempDirs } from "../helpers/tmp.js";
import { allFiles, leftovers, makeFleet, open, treeDigest } from "./fleet.js";

function canMountTmpfs(): boolean {
  return spawnSync("unshare", ["-rm", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /tmp"], { stdio: "ignore" }).status === 0;
}

/** In the namespace: mount, copy the repo in, fill the disk, apply, copy the result out, free space, apply again. */
const SCRIPT = `
set -u
mnt="$1"; repo="$2"; out="$3"; node="$4"; bin="$5"
mount -t tmpfs -o size=1m tmpfs "$mnt" || exit 90
cp -a "$repo" "$mnt/repo"
free=$(df -B1 --output=avail "$mnt" | tail -1)
head -c $((free - 40960)) /dev/zero > "$mnt/filler"
cd "$mnt/repo"
NO_COLOR=1 REKEY_IDENTITY= "$node" "$bin" apply --yes > "$out/full.stdout" 2> "$out/full.stderr"; echo $? > "$out/full.code"
cp -a "$mnt/repo" "$out/after-full"
rm "$mnt/filler"
NO_COLOR=1 REKEY_IDENTITY= "$node" "$bin" apply --yes > "$out/again.stdout" 2> "$out/again.stderr"; echo $? > "$out/again.code"
cp -a "$mnt/repo" "$out/after-again"
`;

describe.skipIf(!canMountTmpfs())("a full disk while apply writes outputs (tmpfs of 1 MiB)", () => {
  beforeAll(() => ensureBuilt());
  const tempDir = useTempDirs();

  it("exits 1 naming the file, changes nothing, and converges once there is space", async () => {
    const fleet = await makeFleet(await tempDir(), { hosts: 8, sources: 8, generated: 0 });
    const before = treeDigest(fleet.root);
    const mnt = await tempDir("rekey-mnt-");
    const out = await tempDir("rekey-diskfull-");
    const run = spawnSync("unshare", ["-rm", "sh", "-c", SCRIPT, "sh", mnt, fleet.root, out, process.execPath, path.join(projectRoot, "bin/rekey.js")], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const read = (f: string) => spawnSync("cat", [path.join(out, f)], { encoding: "utf8" }).stdout;
    const stderr = read("full.stderr");
    console.log(`disk full: exit ${read("full.code").trim()} | ${stderr.split("\n")[0]}`);
    expect(read("full.code").trim(), stderr).toBe("1");
    expect(stderr.split("\n")[0]).toMatch(/^error: disk full while writing secrets\/rekeyed\/host\d+\/\S+/);
    expect(stderr).not.toMatch(/^\s+at /m);
    expect(leftovers(path.join(out, "after-full"))).toEqual([]);
    expect(treeDigest(path.join(out, "after-full")), "the repository changed").toBe(before);
    expect(read("again.code").trim(), read("again.stderr")).toBe("0");
    const again = path.join(out, "after-again");
    expect(leftovers(again)).toEqual([]);
    for (const host of fleet.hosts) {
      for (const secret of host.receives) expect(await open(path.join(again, "secrets/rekeyed", host.name, `${secret}.age`), host.identities)).toBe(fleet.plaintexts.get(secret));
    }
    expect(allFiles(path.join(again, "secrets/rekeyed")).filter((f) => f.endsWith(".age"))).toHaveLength(fleet.hosts.length * 8);
  });
});
