// The checker's Python: Pyodide in a Web Worker, so the page stays responsive while it loads
// (several seconds) and while SymPy verifies.
//
// Messages in:  {type: "init", indexURL, wheels}   once, first
//               {type: "check", id, request}       the form's fields (gradproof.latex.checking
//                                                  .check_request)
// Messages out: {type: "progress", text, seconds}  while starting
//               {type: "ready", seconds}
//               {type: "result", id, result, seconds}
//               {type: "failed", id, message}      Python could not start, or crashed
import { loadPyodide } from "../pyodide/pyodide.mjs";

const started = performance.now();
const elapsed = (since = started) => (performance.now() - since) / 1000;
const progress = (text) => postMessage({ type: "progress", text, seconds: elapsed() });

let checkJson = null;
let booting = null;

async function boot({ indexURL, wheels }) {
  progress("Starting Python (Pyodide)");
  // The defaults print to the console; the page shows progress itself.
  const quiet = () => {};
  const pyodide = await loadPyodide({ indexURL, stdout: quiet, stderr: quiet });
  progress("Loading SymPy, mpmath, Lark and gradproof");
  // Local wheel URLs: Pyodide installs them as they are, with no index and no CDN.
  await pyodide.loadPackage(wheels, { messageCallback: quiet, errorCallback: quiet });
  progress("Importing the reader and the verifier");
  pyodide.runPython(`
import json
from gradproof.latex.checking import check_request

def _check_json(text):
    return json.dumps(check_request(json.loads(text)))

# Build the grammar's tables and import the engine now, while the reader is still typing.
check_request({"latex": "q_i &= q_i"})
`);
  checkJson = pyodide.globals.get("_check_json");
  postMessage({ type: "ready", seconds: elapsed() });
}

function lastLine(text) {
  const lines = String(text).trim().split("\n");
  return lines[lines.length - 1];
}

function check({ id, request }) {
  if (checkJson === null) {
    postMessage({ type: "failed", id, message: "Python did not start" });
    return;
  }
  const since = performance.now();
  try {
    const result = JSON.parse(checkJson(JSON.stringify(request)));
    postMessage({ type: "result", id, result, seconds: elapsed(since) });
  } catch (err) {
    postMessage({ type: "failed", id, message: lastLine(err) });
  }
}

onmessage = async ({ data }) => {
  if (data.type === "init") {
    booting = boot(data).catch((err) => {
      postMessage({ type: "failed", id: null, message: `Python could not start: ${lastLine(err)}` });
    });
  } else if (data.type === "check") {
    await booting;
    check(data);
  }
};
