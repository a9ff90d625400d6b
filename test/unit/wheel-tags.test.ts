import { describe, expect, it } from "vitest";
import { parseWheelFilename, type TargetPlatform, wheelScore } from "../../harness/releases/wheel-tags.js";

const UVLOOP_CP39 = "uvloop-0.23.0-cp39-cp39-manylinux2014_x86_64.manylinux_2_17_x86_64.manylinux_2_28_x86_64.whl";
const CP39: TargetPlatform = { python: "3.9", glibc: "2.31", arch: "x86_64" };

describe("parseWheelFilename", () => {
  it("expands a compressed tag set into one tag per platform", () => {
    expect(parseWheelFilename(UVLOOP_CP39)).toEqual({
      name: "uvloop",
      version: "0.23.0",
      tags: [
        { python: "cp39", abi: "cp39", platform: "manylinux2014_x86_64" },
        { python: "cp39", abi: "cp39", platform: "manylinux_2_17_x86_64" },
        { python: "cp39", abi: "cp39", platform: "manylinux_2_28_x86_64" },
      ],
    });
  });

  it("takes the cross product of dotted python tags too, and keeps a build tag", () => {
    expect(parseWheelFilename("six-1.16.0-1-py2.py3-none-any.whl")).toEqual({
      name: "six",
      version: "1.16.0",
      build: "1",
      tags: [
        { python: "py2", abi: "none", platform: "any" },
        { python: "py3", abi: "none", platform: "any" },
      ],
    });
  });

  it("rejects names that are not wheels", () => {
    expect(parseWheelFilename("uvloop-0.23.0.tar.gz")).toBeUndefined();
    expect(parseWheelFilename("uvloop-0.23.0-cp39-cp39.whl")).toBeUndefined();
    // A build tag must start with a digit, so this is a hyphenated name, which wheels never have.
    expect(parseWheelFilename("x-1.0-beta-py3-none-any.whl")).toBeUndefined();
  });
});

describe("wheelScore", () => {
  it("accepts the compressed manylinux wheel on glibc 2.31 and 2.17, not on 2.12", () => {
    expect(wheelScore(UVLOOP_CP39, CP39)).toBeTypeOf("number");
    expect(wheelScore(UVLOOP_CP39, { ...CP39, glibc: "2.17" })).toBeTypeOf("number");
    expect(wheelScore(UVLOOP_CP39, { ...CP39, glibc: "2.12" })).toBeUndefined();
  });

  it("refuses another interpreter's or another arch's binary", () => {
    expect(wheelScore(UVLOOP_CP39.replaceAll("cp39", "cp310"), CP39)).toBeUndefined();
    expect(wheelScore(UVLOOP_CP39.replaceAll("cp39", "cp38"), CP39)).toBeUndefined();
    expect(wheelScore(UVLOOP_CP39, { ...CP39, arch: "aarch64" })).toBeUndefined();
    expect(
      wheelScore("x-1.0-cp39-cp39-manylinux2014_aarch64.whl", {
        ...CP39,
        arch: "aarch64",
      }),
    ).toBeTypeOf("number");
  });

  it("never accepts musllinux, plain linux, or a newer glibc", () => {
    expect(wheelScore("x-1.0-cp39-cp39-musllinux_1_2_x86_64.whl", CP39)).toBeUndefined();
    expect(wheelScore("x-1.0-cp39-cp39-linux_x86_64.whl", CP39)).toBeUndefined();
    expect(wheelScore("x-1.0-cp39-cp39-manylinux_2_34_x86_64.whl", CP39)).toBeUndefined();
    expect(wheelScore("x-1.0-cp39-cp39-manylinux_2_31_x86_64.whl", CP39)).toBeTypeOf("number");
  });

  it("takes Python 3.7's own wheels, whose ABI tag carries pymalloc's m, and 3.8's, which does not", () => {
    const cp37 = { ...CP39, python: "3.7.16" };
    // uvloop 0.12.2's wheel for Python 3.7: without it the sdist is compiled, and fails.
    expect(wheelScore("uvloop-0.12.2-cp37-cp37m-manylinux1_x86_64.whl", cp37)).toBeTypeOf("number");
    expect(wheelScore("uvloop-0.12.2-cp37-cp37-manylinux1_x86_64.whl", cp37)).toBeUndefined();
    expect(wheelScore("uvloop-0.14.0-cp38-cp38-manylinux2010_x86_64.whl", { ...CP39, python: "3.8.18" })).toBeTypeOf("number");
    expect(wheelScore("uvloop-0.14.0-cp38-cp38m-manylinux2010_x86_64.whl", { ...CP39, python: "3.8.18" })).toBeUndefined();
  });

  it("accepts an older interpreter's abi3 wheel, but not a newer one's", () => {
    expect(wheelScore("x-1.0-cp37-abi3-manylinux2014_x86_64.whl", CP39)).toBeTypeOf("number");
    expect(wheelScore("x-1.0-cp310-abi3-manylinux2014_x86_64.whl", CP39)).toBeUndefined();
  });

  it("accepts pure-Python py3 and py3X (X <= minor), not py310 or py2", () => {
    expect(wheelScore("x-1.0-py3-none-any.whl", CP39)).toBeTypeOf("number");
    expect(wheelScore("x-1.0-py2.py3-none-any.whl", CP39)).toBeTypeOf("number");
    expect(wheelScore("x-1.0-py38-none-any.whl", CP39)).toBeTypeOf("number");
    expect(wheelScore("x-1.0-py310-none-any.whl", CP39)).toBeUndefined();
    expect(wheelScore("x-1.0-py2-none-any.whl", CP39)).toBeUndefined();
  });

  it("refuses tag pairs pip never offers", () => {
    expect(wheelScore("x-1.0-cp39-abi3-any.whl", CP39)).toBeUndefined();
    expect(wheelScore("x-1.0-cp39-cp39m-manylinux1_x86_64.whl", CP39)).toBeUndefined();
    expect(wheelScore("x-1.0-py3-abi3-any.whl", CP39)).toBeUndefined();
  });

  it("orders cpXY binary > abi3 binary > pure Python, and newer manylinux first", () => {
    const ranked = [
      "x-1.0-cp39-cp39-manylinux_2_28_x86_64.whl",
      "x-1.0-cp39-cp39-manylinux2014_x86_64.whl",
      "x-1.0-cp39-cp39-manylinux1_x86_64.whl",
      "x-1.0-cp39-abi3-manylinux2014_x86_64.whl",
      "x-1.0-cp38-abi3-manylinux2014_x86_64.whl",
      "x-1.0-cp37-abi3-manylinux2014_x86_64.whl",
      "x-1.0-py3-none-manylinux2014_x86_64.whl",
      "x-1.0-cp39-none-any.whl",
      "x-1.0-py39-none-any.whl",
      "x-1.0-py3-none-any.whl",
      "x-1.0-py38-none-any.whl",
    ];
    const scores = ranked.map((f) => wheelScore(f, CP39));
    expect(scores.every((s) => typeof s === "number")).toBe(true);
    const sorted = [...ranked].sort((a, b) => (wheelScore(b, CP39) ?? 0) - (wheelScore(a, CP39) ?? 0));
    expect(sorted).toEqual(ranked);
  });

  it("scores a compressed wheel by its best tag, and ignores the patch version", () => {
    expect(wheelScore(UVLOOP_CP39, CP39)).toBe(wheelScore("x-1.0-cp39-cp39-manylinux_2_28_x86_64.whl", CP39));
    expect(wheelScore(UVLOOP_CP39, { ...CP39, python: "3.9.2" })).toBe(wheelScore(UVLOOP_CP39, CP39));
  });

  it("handles two-digit minors", () => {
    const t = { ...CP39, python: "3.12.1" };
    expect(wheelScore(UVLOOP_CP39.replaceAll("cp39", "cp312"), t)).toBeTypeOf("number");
    expect(wheelScore(UVLOOP_CP39.replaceAll("cp39", "cp312t"), t)).toBeUndefined();
    expect(wheelScore("x-1.0-cp39-abi3-manylinux2014_x86_64.whl", t)).toBeTypeOf("number");
  });
});
