import { describe, expect, it } from "vitest";
import { Reason, type Plan } from "../../src/core/plan.js";
import { planRekey } from "../../src/core/planner.js";
import { aHost, aState, sourceDigest } from "./builders.js";

/** A plan as "action host secret: reason" lines, in plan order. */
function lines(plan: Plan): string[] {
  return plan.actions.map((a) => `${a.action} ${a.host ?? "-"} ${a.secret}: ${a.reason}`);
}

const twoHosts = () =>
  aState()
    .withHost(aHost("web").withSecret("db").withSecret("tls"))
    .withHost(aHost("api").withSecret("db"))
    .withSource("db")
    .withSource("tls");

describe("planRekey: rekeying", () => {
  it("creates every missing output, one per (host, secret), hosts and secrets in order", () => {
    const plan = planRekey(twoHosts().build());
    expect(lines(plan)).toEqual([
      "create api db: output missing",
      "create web db: output missing",
      "create web tls: output missing",
    ]);
    expect(plan.summary).toEqual({ generate: 0, create: 3, update: 0, remove: 0 });
  });

  it("is empty when every output is up to date", () => {
    const plan = planRekey(twoHosts().withAllOutputs().build());
    expect(plan.actions).toEqual([]);
    expect(plan.summary).toEqual({ generate: 0, create: 0, update: 0, remove: 0 });
  });

  it("updates a changed source only for the hosts that have it", () => {
    const state = twoHosts().withAllOutputs().withSource("tls", sourceDigest("tls", 2)).build();
    expect(lines(planRekey(state))).toEqual([`update web tls: ${Reason.sourceChanged}`]);
    const db = twoHosts().withAllOutputs().withSource("db", sourceDigest("db", 2)).build();
    expect(lines(planRekey(db))).toEqual([`update api db: ${Reason.sourceChanged}`, `update web db: ${Reason.sourceChanged}`]);
  });

  it("updates only the host whose key changed", () => {
    const state = aState()
      .withHost(aHost("web").withSecret("db").withSecret("tls"))
      .withHost(aHost("api").withSecret("db"))
      .withSource("db")
      .withSource("tls")
      .withOutput("web", "db", { recipient: "key:old-web" })
      .withOutput("web", "tls", { recipient: "key:old-web" })
      .withOutput("api", "db")
      .build();
    expect(lines(planRekey(state))).toEqual([`update web db: ${Reason.hostKeyChanged}`, `update web tls: ${Reason.hostKeyChanged}`]);
  });

  it("reports an output whose digest differs from its record as changed outside rekey", () => {
    const state = twoHosts().withAllOutputs().withOutput("api", "db", { file: "tampered" }).build();
    // withOutput re-records the expected digest; the file on disk differs from it.
    const plan = planRekey(state);
    expect(lines(plan)).toEqual(["update api db: output changed outside rekey (or by an interrupted apply)"]);
    expect(plan.actions[0]!.reason).toBe(Reason.tampered);
  });

  it("joins several reasons for one output", () => {
    const state = twoHosts().withAllOutputs().withOutput("api", "db", { file: "tampered", source: "old", recipient: "key:old" }).build();
    expect(lines(planRekey(state))).toEqual([`update api db: ${Reason.tampered}; ${Reason.sourceChanged}; ${Reason.hostKeyChanged}`]);
  });

  it("updates an output that has no provenance record", () => {
    const state = twoHosts().withAllOutputs().withOutput("api", "db", { recorded: false }).build();
    // The builder keeps the earlier record; drop it by rebuilding the host's record.
    const outputs = new Map(state.outputs);
    outputs.set("api", { files: new Map([["db", "x"]]), record: undefined });
    expect(lines(planRekey({ ...state, outputs }))).toEqual([`update api db: ${Reason.unrecorded}`]);
  });

  it("recreates a recorded output whose file was deleted", () => {
    const state = twoHosts().withAllOutputs().withOutput("web", "tls", { file: null }).build();
    const files = new Map(state.outputs.get("web")!.files);
    files.delete("tls");
    const outputs = new Map(state.outputs).set("web", { ...state.outputs.get("web")!, files });
    expect(lines(planRekey({ ...state, outputs }))).toEqual([`create web tls: ${Reason.outputMissing}`]);
  });
});

describe("planRekey: removals", () => {
  it("removes every output of a host that is no longer declared", () => {
    const state = twoHosts().withAllOutputs().withOutput("old", "db").withOutput("old", "tls").build();
    expect(lines(planRekey(state))).toEqual([`remove old db: ${Reason.hostRemoved}`, `remove old tls: ${Reason.hostRemoved}`]);
  });

  it("removes an output whose secret was removed from the manifest", () => {
    const state = twoHosts().withAllOutputs().withOutput("api", "tls").build();
    expect(lines(planRekey(state))).toEqual([`remove api tls: ${Reason.secretRemoved}`]);
  });

  it("removes a record entry whose file is already gone, and a stray file with no record", () => {
    const state = twoHosts().withAllOutputs().withOutput("api", "gone", { file: null }).withOutput("api", "stray", { recorded: false }).build();
    expect(lines(planRekey(state))).toEqual([`remove api gone: ${Reason.secretRemoved}`, `remove api stray: ${Reason.secretRemoved}`]);
  });

  it("plans nothing for an empty output folder", () => {
    expect(planRekey(twoHosts().withAllOutputs().withEmptyOutputFolder("old").build()).actions).toEqual([]);
  });

  it("puts removals after rekeys, whatever the host names", () => {
    const state = aState().withHost(aHost("zz").withSecret("db")).withSource("db").withOutput("aa", "db").build();
    expect(lines(planRekey(state))).toEqual([`create zz db: ${Reason.outputMissing}`, `remove aa db: ${Reason.hostRemoved}`]);
  });
});

describe("planRekey: intermediary secrets", () => {
  it("never delivers an intermediary secret, and removes an output of one", () => {
    const state = aState()
      .withHost(aHost("web").withSecret("admin", { generator: "passphrase", intermediary: true }).withSecret("htpasswd", { generator: "htpasswd", dependencies: ["admin"] }))
      .withGenerated("admin", "passphrase")
      .withGenerated("htpasswd", "htpasswd", { admin: sourceDigest("admin") })
      .withOutput("web", "htpasswd")
      .withOutput("web", "admin")
      .build();
    expect(lines(planRekey(state))).toEqual([`remove web admin: ${Reason.secretRemoved}`]);
  });

  it("generates a missing intermediary secret but creates no output for it", () => {
    const state = aState().withHost(aHost("web").withSecret("admin", { generator: "passphrase", intermediary: true })).build();
    expect(lines(planRekey(state))).toEqual(["generate - admin: source missing, generator passphrase"]);
  });

  it("delivers a secret to a host that does not mark it intermediary", () => {
    const state = aState()
      .withHost(aHost("a").withSecret("k", { generator: "alnum", intermediary: true }))
      .withHost(aHost("b").withSecret("k", { generator: "alnum" }))
      .withGenerated("k", "alnum")
      .build();
    expect(lines(planRekey(state))).toEqual([`create b k: ${Reason.outputMissing}`]);
  });
});

describe("planRekey: generation", () => {
  it("generates a missing source once, and creates it for each host that receives it", () => {
    const state = aState().withHost(aHost("web").withSecret("wg", { generator: "wireguard" })).withHost(aHost("vpn").withSecret("wg", { generator: "wireguard" })).build();
    const plan = planRekey(state);
    expect(lines(plan)).toEqual([
      "generate - wg: source missing, generator wireguard",
      `create vpn wg: ${Reason.willGenerate}`,
      `create web wg: ${Reason.willGenerate}`,
    ]);
    expect(plan.summary).toEqual({ generate: 1, create: 2, update: 0, remove: 0 });
  });

  it("never regenerates a source the user provided (no generated record)", () => {
    const state = aState().withHost(aHost("web").withSecret("htpasswd", { generator: "htpasswd", dependencies: ["admin"] }).withSecret("admin")).withSource("admin").withSource("htpasswd").withAllOutputs().build();
    expect(planRekey(state).actions).toEqual([]);
  });

  it("regenerates when a dependency's digest differs from the record, and updates its outputs", () => {
    const state = aState()
      .withHost(aHost("web").withSecret("admin").withSecret("htpasswd", { generator: "htpasswd", dependencies: ["admin"] }))
      .withSource("admin", sourceDigest("admin", 2))
      .withGenerated("htpasswd", "htpasswd", { admin: sourceDigest("admin", 1) })
      .withAllOutputs()
      .withOutput("web", "admin", { source: sourceDigest("admin", 1) })
      .build();
    expect(lines(planRekey(state))).toEqual([
      "regenerate - htpasswd: dependency admin changed",
      `update web admin: ${Reason.sourceChanged}`,
      `update web htpasswd: ${Reason.willRegenerate}`,
    ]);
  });

  it("chains regeneration: a dependency that will change regenerates its dependents, in dependency order", () => {
    const state = aState()
      .withHost(
        aHost("web")
          .withSecret("c", { generator: "g", dependencies: ["b"] })
          .withSecret("b", { generator: "g", dependencies: ["a"] })
          .withSecret("a", { generator: "g" }),
      )
      .withGenerated("b", "g", { a: sourceDigest("a") })
      .withGenerated("c", "g", { b: sourceDigest("b") })
      .withOutput("web", "b")
      .withOutput("web", "c")
      .build();
    // a is missing: it is generated, so b and then c are regenerated.
    const plan = planRekey(state);
    expect(lines(plan)).toEqual([
      "generate - a: source missing, generator g",
      "regenerate - b: dependency a will change",
      "regenerate - c: dependency b will change",
      `create web a: ${Reason.willGenerate}`,
      `update web b: ${Reason.willRegenerate}`,
      `update web c: ${Reason.willRegenerate}`,
    ]);
    expect(plan.summary).toEqual({ generate: 3, create: 1, update: 2, remove: 0 });
  });

  it("regenerates a generated secret whose recorded dependency list lacks a newly declared dependency", () => {
    const state = aState()
      .withHost(aHost("web").withSecret("x").withSecret("y", { generator: "g", dependencies: ["x"] }))
      .withSource("x")
      .withGenerated("y", "g", {})
      .withAllOutputs()
      .build();
    expect(lines(planRekey(state))).toEqual(["regenerate - y: dependency x changed", `update web y: ${Reason.willRegenerate}`]);
  });
});

describe("planRekey: filters", () => {
  const fleet = () =>
    aState()
      .withHost(aHost("web1").withSecret("db").withSecret("tls/a").withSecret("tls/b").withSecret("wg", { generator: "wireguard" }))
      .withHost(aHost("web2").withSecret("db").withSecret("tls/a"))
      .withSource("db")
      .withSource("tls/a")
      .withSource("tls/b")
      .withOutput("gone", "db");

  it("--host keeps that host's actions and the generation it needs", () => {
    expect(lines(planRekey(fleet().build(), { hosts: ["web2"] }))).toEqual([`create web2 db: ${Reason.outputMissing}`, `create web2 tls/a: ${Reason.outputMissing}`]);
    expect(lines(planRekey(fleet().build(), { hosts: ["web1"] }))[0]).toBe("generate - wg: source missing, generator wireguard");
    expect(lines(planRekey(fleet().build(), { hosts: ["gone"] }))).toEqual([`remove gone db: ${Reason.hostRemoved}`]);
  });

  it("--secret takes names and globs; '*' stays inside one path segment", () => {
    const plan = planRekey(fleet().build(), { secrets: ["tls/*"] });
    expect(lines(plan)).toEqual([`create web1 tls/a: ${Reason.outputMissing}`, `create web1 tls/b: ${Reason.outputMissing}`, `create web2 tls/a: ${Reason.outputMissing}`]);
    expect(plan.summary.create).toBe(3);
    expect(planRekey(fleet().build(), { secrets: ["*"] }).actions.map((a) => a.secret)).not.toContain("tls/a");
    expect(planRekey(fleet().build(), { secrets: ["**"] }).actions).toHaveLength(planRekey(fleet().build()).actions.length);
    expect(lines(planRekey(fleet().build(), { secrets: ["d?"] })).map((l) => l.split(":")[0])).toEqual(["create web1 db", "create web2 db", "remove gone db"]);
  });

  it("--host and --secret combine", () => {
    expect(lines(planRekey(fleet().build(), { hosts: ["web1", "web2"], secrets: ["tls/b", "db"] }))).toEqual([
      `create web1 db: ${Reason.outputMissing}`,
      `create web1 tls/b: ${Reason.outputMissing}`,
      `create web2 db: ${Reason.outputMissing}`,
    ]);
  });

  it("keeps the generation of a dependency that a kept generated secret needs", () => {
    const state = aState()
      .withHost(aHost("web").withSecret("htpasswd", { generator: "htpasswd", dependencies: ["admin"] }))
      .withHost(aHost("ops").withSecret("admin", { generator: "passphrase" }))
      .build();
    expect(lines(planRekey(state, { hosts: ["web"] })).slice(0, 2)).toEqual(["generate - admin: source missing, generator passphrase", "generate - htpasswd: source missing, generator htpasswd"]);
    expect(lines(planRekey(state, { secrets: ["htpasswd"] })).slice(0, 2)).toEqual(["generate - admin: source missing, generator passphrase", "generate - htpasswd: source missing, generator htpasswd"]);
  });

  it("a filter that matches nothing gives an empty plan", () => {
    const plan = planRekey(fleet().build(), { hosts: ["nobody"] });
    expect(plan.actions).toEqual([]);
    expect(plan.summary).toEqual({ generate: 0, create: 0, update: 0, remove: 0 });
  });
});

describe("planRekey: determinism", () => {
  it("gives the same plan for hosts and secrets declared in any order", () => {
    const a = aState().withHost(aHost("b").withSecret("y").withSecret("x")).withHost(aHost("a").withSecret("x")).withSource("x").withSource("y").withOutput("z", "x").withOutput("c", "x").build();
    const b = aState().withOutput("c", "x").withOutput("z", "x").withSource("y").withSource("x").withHost(aHost("a").withSecret("x")).withHost(aHost("b").withSecret("x").withSecret("y")).build();
    const reversed = { ...a, hosts: [...a.hosts].reverse() };
    expect(planRekey(b)).toEqual(planRekey(a));
    expect(planRekey(reversed)).toEqual(planRekey(a));
    expect(lines(planRekey(a))).toEqual([
      `create a x: ${Reason.outputMissing}`,
      `create b x: ${Reason.outputMissing}`,
      `create b y: ${Reason.outputMissing}`,
      `remove c x: ${Reason.hostRemoved}`,
      `remove z x: ${Reason.hostRemoved}`,
    ]);
  });

  it("does not mutate its input", () => {
    const state = twoHosts().withOutput("old", "db").build();
    const before = JSON.stringify(state, (_k, v: unknown) => (v instanceof Map ? [...v] : v));
    planRekey(state, { secrets: ["db"] });
    expect(JSON.stringify(state, (_k, v: unknown) => (v instanceof Map ? [...v] : v))).toBe(before);
  });
});
