import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { ConfigSchema } from '../src/config.js';
import { CONFIG_DOC, START, configTable, withConfigTable } from '../scripts/config-table.js';

const root = path.dirname(path.dirname(CONFIG_DOC));
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const configDoc = readFileSync(CONFIG_DOC, 'utf8');
const documents = ['README.md', 'BENCHMARKS.md', 'docs/operations.md', 'docs/architecture.md', 'docs/configuration.md'];

t.test('the configuration table is the one the config schema gives (npm run docs:config)', (t) => {
  t.equal(withConfigTable(configDoc), configDoc, 'run `npm run docs:config` after changing src/config-schema.ts');
  for (const name of Object.keys(ConfigSchema.properties)) t.match(configTable(), `| \`${name}\` |`, name);
  // The check itself: a table that lost a row is rewritten, so the comparison above would fail.
  const stale = configDoc.replace(/^\| `PORT` \|.*\n/m, '');
  t.not(stale, configDoc, 'the table has a PORT row');
  t.equal(withConfigTable(stale), configDoc, 'a stale table is rewritten');
  t.throws(() => withConfigTable(configDoc.replace(START, '')), /markers/, 'the table needs its markers');
  t.end();
});

t.test('the README stays short enough to read', (t) => {
  t.ok(readme.split('\n').length <= 300, `README.md has ${readme.split('\n').length} lines (at most 300)`);
  t.end();
});

t.test('every file the documents name exists', (t) => {
  for (const document of documents) {
    const text = readFileSync(path.join(root, document), 'utf8');
    // Paths in code spans (`src/db/pg-errors.ts`) and relative links ([operations](docs/operations.md)).
    const named = [
      ...[...text.matchAll(/`((?:src|tasks|test|bench|scripts|docs|drizzle)\/[\w./-]+)`/g)].map((m) => m[1]),
      ...[...text.matchAll(/\]\(((?!https?:|#)[^)#\s]+)/g)].map((m) => path.join(path.dirname(document), m[1])),
    ];
    t.ok(named.length > 0, `${document} names files`);
    for (const file of new Set(named)) t.ok(existsSync(path.join(root, file)), `${document}: ${file} exists`);
  }
  t.end();
});
