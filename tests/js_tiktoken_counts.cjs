// Counts each file's o200k_base tokens with npm's js-tiktoken (a second implementation of the
// encoding, in JavaScript, independent of tiktoken's Rust core). Reads a JSON list of texts on stdin,
// writes a JSON list of their counts; every special token's text is counted as ordinary text.
const fs = require("node:fs");
const path = require("node:path");

const tools = path.resolve(__dirname, "..", "tools", "node");
const { Tiktoken } = require(require.resolve("js-tiktoken/lite", { paths: [tools] }));
const ranks = require(require.resolve("js-tiktoken/ranks/o200k_base", { paths: [tools] }));

const encoding = new Tiktoken(ranks);
const texts = JSON.parse(fs.readFileSync(0, "utf8"));
const counts = texts.map((text) => encoding.encode(text, [], []).length);
process.stdout.write(JSON.stringify(counts));
