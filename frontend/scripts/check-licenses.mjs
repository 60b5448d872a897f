// Licences of the dashboard's production dependencies (what ships in
// frontend/dist), read from package-lock.json: the lockfile is the record of
// exactly which versions ship. `npm audit` is not available here (the npm
// registry answers 405 to it), so this licence check and the pinned lockfile
// are the dashboard's supply-chain checks. Where node_modules is installed,
// each package's own package.json must agree with the lockfile.
//
//   node scripts/check-licenses.mjs [DIR]   (DIR: default frontend/; exits 1 on a violation)
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

// Permissive only, as for the Rust crates (deny.toml).
const ALLOWED = new Set([
  '0BSD',
  'Apache-2.0',
  'BlueOak-1.0.0',
  'BSD-2-Clause',
  'BSD-3-Clause',
  'ISC',
  'MIT',
  'Zlib',
]);

/** True when an SPDX expression is satisfied by allowed licences alone. */
export function allowed(expression) {
  const tokens = expression.replace(/[()]/g, ' $& ').trim().split(/\s+/);
  let at = 0;
  // expr := term (OR term)* ; term := atom (AND atom)* ; atom := ID | ( expr )
  const expr = () => {
    let ok = term();
    while (tokens[at] === 'OR') {
      at += 1;
      ok = term() || ok;
    }
    return ok;
  };
  const term = () => {
    let ok = atom();
    while (tokens[at] === 'AND') {
      at += 1;
      ok = atom() && ok;
    }
    return ok;
  };
  const atom = () => {
    const token = tokens[at++];
    if (token === '(') {
      const ok = expr();
      if (tokens[at++] !== ')') throw new Error(`unbalanced: ${expression}`);
      return ok;
    }
    if (token === undefined || token === ')') throw new Error(`bad expression: ${expression}`);
    return ALLOWED.has(token);
  };
  const ok = expr();
  if (at !== tokens.length) throw new Error(`bad expression: ${expression}`);
  return ok;
}

function main(root) {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8'));
  if (lock.lockfileVersion < 2) throw new Error('package-lock.json v2+ expected');
  const problems = [];
  let count = 0;
  for (const [path, entry] of Object.entries(lock.packages)) {
    // '' is the dashboard itself; dev-only packages do not ship.
    if (path === '' || entry.dev) continue;
    count += 1;
    const name = `${path.replace(/^.*node_modules\//, '')}@${entry.version}`;
    const license = entry.license;
    if (typeof license !== 'string' || license === '') {
      problems.push(`${name}: no licence in package-lock.json`);
      continue;
    }
    let ok;
    try {
      ok = allowed(license);
    } catch (error) {
      problems.push(`${name}: ${error.message}`);
      continue;
    }
    if (!ok) problems.push(`${name}: ${license} is not in the allowed list`);
    const manifest = join(root, path, 'package.json');
    if (existsSync(manifest)) {
      const installed = JSON.parse(readFileSync(manifest, 'utf8'));
      if (installed.version === entry.version && installed.license !== license) {
        problems.push(`${name}: package.json says ${JSON.stringify(installed.license)}, the lockfile ${license}`);
      }
    }
  }
  if (problems.length > 0) {
    console.error(`licences of production dependencies:\n  ${problems.join('\n  ')}`);
    process.exit(1);
  }
  console.log(`licences: ${count} production packages, all allowed (${[...ALLOWED].join(', ')})`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  main(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..'));
}
