// Compile pure-Python wheels to bytecode for the vendored Pyodide, in Node.js.
//
//   node tools/pyodide_compile.mjs PYODIDE_DIR IN_DIR OUT_DIR NAME.whl [NAME.whl ...]
//
// Importing SymPy from source in the browser compiles hundreds of modules in WebAssembly: about
// 20 s of the checker page's start, against 2-4 s from bytecode (measured in Node on the same
// Pyodide). Bytecode is tied to the Python version, so it is made by the same Pyodide that will
// run it (tools/fetch_pyodide.py calls this once per pinned wheel). Each .py becomes a .pyc in
// its place, as Pyodide's own packages ship; folders named tests or benchmarks are left out
// (the page never imports them; they are 40% of SymPy's bytecode); every other entry, and every
// entry's date, stays as it was. The .pyc are hash-based and unchecked: there is no source to
// check them against.
import path from "node:path";
import { pathToFileURL } from "node:url";

const [pyodideDir, inDir, outDir, ...wheels] = process.argv.slice(2);
if (!pyodideDir || !inDir || !outDir || wheels.length === 0) {
  console.error("usage: node pyodide_compile.mjs PYODIDE_DIR IN_DIR OUT_DIR NAME.whl ...");
  process.exit(2);
}
const { loadPyodide } = await import(pathToFileURL(path.join(pyodideDir, "pyodide.mjs")).href);
const pyodide = await loadPyodide({ indexURL: `${path.resolve(pyodideDir)}/` });
for (const [mount, dir] of [["/in", inDir], ["/out", outDir]]) {
  pyodide.FS.mkdirTree(mount);
  pyodide.FS.mount(pyodide.FS.filesystems.NODEFS, { root: path.resolve(dir) }, mount);
}
pyodide.globals.set("wheels", pyodide.toPy(wheels));
pyodide.runPython(`
import importlib.util
import warnings
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

warnings.simplefilter("ignore", SyntaxWarning)  # old escapes in SymPy's tests, not ours

for name in wheels:
    with zipfile.ZipFile(f"/in/{name}") as src, zipfile.ZipFile(f"/out/{name}", "w") as out:
        for info in src.infolist():
            if {"tests", "benchmarks"} & set(info.filename.split("/")[:-1]):
                continue  # test suites: never imported here, and 40% of SymPy's bytecode
            data = src.read(info)
            if info.filename.endswith(".py") and ".dist-info/" not in info.filename:
                code = compile(data, info.filename, "exec", dont_inherit=True)
                data = bytes(_code_to_hash_pyc(code, importlib.util.source_hash(data), False))
                info = zipfile.ZipInfo(info.filename + "c", info.date_time)
            info.compress_type = zipfile.ZIP_DEFLATED
            out.writestr(info, data)
`);
