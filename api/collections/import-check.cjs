// Imports the generated collections with the libraries the tools use
// themselves: insomnia-importers (the code Insomnia runs on Import) for
// both files, and Postman's collection SDK for the v2.1 file. Run by
// deploy/check.sh with NODE_PATH pointing at those packages:
//
//   node api/collections/import-check.cjs api/collections
'use strict';
const fs = require('fs');
const path = require('path');
const { convert } = require('insomnia-importers');
const { Collection } = require('postman-collection');

const dir = process.argv[2] || __dirname;
const read = (name) => fs.readFileSync(path.join(dir, name), 'utf8');
const fail = (msg) => { console.error(msg); process.exit(1); };

(async () => {
  const counts = {};
  for (const [name, importer] of [['coffer.insomnia.json', 'insomnia-4'], ['coffer.postman_collection.json', 'postman']]) {
    const res = await convert(read(name));
    if (res.type.id !== importer) fail(`${name}: read by Insomnia's ${res.type.id} importer, want ${importer}`);
    const requests = res.data.resources.filter((r) => r._type === 'request');
    for (const r of requests) {
      if (!/^\{\{ ?_?\.?baseUrl ?\}\}\/(api\/|health|metrics)/.test(r.url)) fail(`${name}: ${r.name}: url ${r.url}`);
      if (!r.method) fail(`${name}: ${r.name}: no method`);
    }
    counts[name] = requests.length;
    console.log(`${name}: Insomnia's ${importer} importer read ${requests.length} requests`);
  }
  const pm = new Collection(JSON.parse(read('coffer.postman_collection.json')));
  let items = 0;
  pm.forEachItem((item) => {
    items++;
    if (!item.request.url.getPath().startsWith('/')) fail(`postman: ${item.name}: path ${item.request.url.getPath()}`);
  });
  if (!pm.auth || pm.auth.type !== 'bearer') fail('postman: the collection does not authenticate with a bearer token');
  console.log(`coffer.postman_collection.json: Postman's collection SDK loaded ${items} requests`);
  if (new Set([...Object.values(counts), items]).size !== 1) fail(`request counts differ: ${JSON.stringify(counts)}, SDK ${items}`);
})().catch((e) => fail(e.stack || String(e)));
