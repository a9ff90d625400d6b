import { execa } from "execa";

/**
 * Packages that exist on no index, made by the test itself: a pure-Python wheel, a pure-Python
 * sdist, or an sdist whose C extension cannot compile. Python's zipfile/tarfile write them, so no
 * build tool runs. An sdist's `marker` goes into its setup.py: a new marker is a new file to build.
 */
const WRITER = String.raw`
import base64, hashlib, io, json, os, sys, tarfile, zipfile
kind, folder, name, version, marker, requires = sys.argv[1:7]
module = name.replace("-", "_")
if kind == "wheel":
    dist = f"{module}-{version}.dist-info"
    files = {
        f"{module}/__init__.py": f"VERSION = {version!r}\n",
        f"{dist}/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
        + "".join(f"Requires-Dist: {r}\n" for r in requires.split(",") if r),
        f"{dist}/WHEEL": "Wheel-Version: 1.0\nGenerator: repro-matrix-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    def record_line(path, data):
        digest = base64.urlsafe_b64encode(hashlib.sha256(data.encode()).digest()).rstrip(b"=").decode()
        return f"{path},sha256={digest},{len(data.encode())}"
    record = "\n".join(record_line(p, d) for p, d in files.items()) + f"\n{dist}/RECORD,,\n"
    out = os.path.join(folder, f"{module}-{version}-py3-none-any.whl")
    with zipfile.ZipFile(out, "w") as z:
        for p, d in files.items():
            z.writestr(p, d)
        z.writestr(f"{dist}/RECORD", record)
else:
    root = f"{module}-{version}"
    files = {"PKG-INFO": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"}
    if kind == "broken-sdist":
        body = f"ext_modules=[Extension('{module}_c', ['broken.c'])]"
        files["broken.c"] = "#include <Python.h>\nthis is not C;\n"
    else:
        body = f"py_modules=[{module!r}]"
        files[f"{module}.py"] = f"VERSION = {version!r}\n"
    files["setup.py"] = (
        f"# {marker}\n"
        "from setuptools import setup, Extension\n"
        f"setup(name={name!r}, version={version!r}, {body})\n"
    )
    out = os.path.join(folder, f"{root}.tar.gz")
    with tarfile.open(out, "w:gz") as t:
        for p, d in files.items():
            data = d.encode()
            info = tarfile.TarInfo(f"{root}/{p}")
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
print(out)
`;

async function write(
  kind: "wheel" | "sdist" | "broken-sdist",
  folder: string,
  name: string,
  version: string,
  marker = "",
  requires: string[] = [],
): Promise<string> {
  const r = await execa("python3", ["-c", WRITER, kind, folder, name, version, marker, requires.join(",")]);
  return r.stdout.trim();
}

/** A py3-none-any wheel of `name` whose module holds VERSION, needing `requires`; returns its path. */
export const makeWheel = (folder: string, name: string, version: string, requires: string[] = []) =>
  write("wheel", folder, name, version, "", requires);

/** An sdist with a C extension that fails to compile (a real gcc error); returns its path. */
export const makeBrokenSdist = (folder: string, name: string, version: string, marker?: string) =>
  write("broken-sdist", folder, name, version, marker);

/** A pure-Python sdist that builds (a module `name` holding VERSION); returns its path. */
export const makeSdist = (folder: string, name: string, version: string, marker?: string) => write("sdist", folder, name, version, marker);
