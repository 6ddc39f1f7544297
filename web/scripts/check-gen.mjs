// Fails when src/lib/api.gen.ts is not what `npm run gen` would write from
// ../api/openapi.yaml, so a contract change cannot land without the client.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const dir = mkdtempSync(join(tmpdir(), 'coffer-gen-'));
const fresh = join(dir, 'api.gen.ts');
try {
  execFileSync('npx', ['openapi-typescript', '../api/openapi.yaml', '-o', fresh], { stdio: 'ignore' });
  if (readFileSync(fresh, 'utf8') !== readFileSync('src/lib/api.gen.ts', 'utf8')) {
    console.error('src/lib/api.gen.ts is stale: run `npm run gen` and commit the result.');
    process.exit(1);
  }
  console.log('src/lib/api.gen.ts is up to date.');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
