// Writes .br and .gz variants next to every text asset in dist/, so the Go
// server can send them as they are (it never compresses static files at
// request time). Prints the gzip size of the JS that index.html loads.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const dist = new URL('../dist/', import.meta.url).pathname;
const text = /\.(js|mjs|css|html|svg|json|txt|map|webmanifest)$/;

function* files(dir) {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) yield* files(path);
    else yield path;
  }
}

const gzipSizes = new Map();
for (const path of files(dist)) {
  if (!text.test(path)) continue;
  const body = readFileSync(path);
  const gz = gzipSync(body, { level: 9 });
  const br = brotliCompressSync(body, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
    },
  });
  writeFileSync(path + '.gz', gz);
  writeFileSync(path + '.br', br);
  gzipSizes.set(relative(dist, path), gz.length);
}

// The committed placeholder that lets `go:embed all:dist` compile when the
// client is not built; Vite's emptyOutDir removed it.
writeFileSync(join(dist, '.keep'), '');

// The JS a page loads first: its entry script and the chunks it preloads.
const pageJS = (page) => {
  const html = readFileSync(join(dist, page), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\/(assets\/[^"]+\.js)"/g)].map((m) => m[1]);
  return { files, bytes: files.reduce((sum, f) => sum + (gzipSizes.get(f) ?? 0), 0) };
};
const app = pageJS('index.html');
const docs = pageJS('docs.html');
console.log(
  `compressed ${gzipSizes.size} files; initial JS ${app.files.length} file(s), ${(app.bytes / 1024).toFixed(1)} KiB gzip; ` +
    `API reference page (docs.html, not budgeted) ${(docs.bytes / 1024).toFixed(1)} KiB gzip`,
);
const budget = 150 * 1024;
if (app.bytes > budget) {
  console.error(`initial JS is over the ${budget / 1024} KiB gzip budget`);
  process.exit(1);
}
