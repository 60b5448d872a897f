// Regenerates the API types into a temporary file and fails when they differ
// from the checked-in src/lib/api/schema.d.ts (run `npm run gen:api` to update).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const checkedIn = join(root, 'src/lib/api/schema.d.ts');
const dir = mkdtempSync(join(tmpdir(), 'check-api-'));
const fresh = join(dir, 'schema.d.ts');
try {
  execFileSync(
    process.execPath,
    [join(root, 'node_modules/openapi-typescript/bin/cli.js'), join(root, 'openapi.json'), '-o', fresh],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const want = readFileSync(fresh, 'utf8');
  let have = '';
  try {
    have = readFileSync(checkedIn, 'utf8');
  } catch {
    console.error('check:api: src/lib/api/schema.d.ts is missing; run `npm run gen:api`.');
    process.exit(1);
  }
  if (want !== have) {
    console.error('check:api: src/lib/api/schema.d.ts is out of date with openapi.json; run `npm run gen:api` and commit.');
    process.exit(1);
  }
  console.log('check:api: schema.d.ts matches openapi.json');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
