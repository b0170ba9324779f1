// Errors in log lines take one of two shapes (the rule at the top of src/observability/logger.ts): `{ err }`
// with its stack when unexpected, `{ reason }` in words without a stack when expected.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { errorFields } from '../src/observability/logger.js';

t.test(
  'errorFields: a database that went away is a reason (the driver words, no stack); a bug keeps its error',
  (t) => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const wrapped = new Error('Failed query: select * from threads where first_question = $1', { cause: refused });
    t.same(errorFields(wrapped), { reason: 'connect ECONNREFUSED 127.0.0.1:5432' });
    const bug = new TypeError("Cannot read properties of undefined (reading 'id')");
    t.same(errorFields(bug), { err: bug });
    t.end();
  },
);

t.test('no log line in src/ or tasks/ carries an error under another key than err or reason', (t) => {
  const files = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith('.ts') ? [path.join(dir, e.name)] : [],
    );
  // A logger call whose fields name an error otherwise: { error: ... }, { err: { message } }, { detail }, { problem }.
  const OTHER_SHAPE = /[lL]og\.(?:fatal|error|warn|info|debug)\([^;]*?\{[^}]*\b(?:error|detail|problem):|\berr: \{/;
  const offending = [...files('src'), ...files('tasks')].filter((f) => OTHER_SHAPE.test(readFileSync(f, 'utf8')));
  t.same(offending, [], 'every error is logged as { err } or { reason }');
  t.end();
});
