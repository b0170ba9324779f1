// The admin command's arguments: its usage text, and each option checked against the same TypeBox schema
// the HTTP API uses, so that the shell and /admin/v1 refuse the same input.
import { parseArgs } from 'node:util';
import type { TSchema } from '@sinclair/typebox';
import type { DigestInterval } from '../db/schema/index.js';
import { parseDay, utcDay } from '../reports/schedule.js';
import * as S from '../schemas/admin.js';
import { Uuid } from '../schemas/common.js';
import { check } from '../schemas/validation.js';

export type Opts = Record<string, string | boolean | undefined>;

export const USAGE = `usage: npm run admin -- <command> [options]
  teams create --name <name>
  teams get --id <team_id>
  teams rename --id <team_id> --name <name>
  teams delete --id <team_id> [--cascade]             (--cascade: its projects too; without it, refused while it has any)
  teams list [--q <text>]                             (--q: name contains, regardless of case)
  users create --team <team_id> --email <email> [--first-name <s>] [--last-name <s>] [--digest WEEKLY|BIWEEKLY|MONTHLY]
  users get --id <user_id>
  users update --id <user_id> [--email <email>] [--first-name <s>] [--last-name <s>] [--digest WEEKLY|BIWEEKLY|MONTHLY|none]
  users delete --id <user_id>
  users list [--team <team_id>] [--q <text>]          (--q: email or name contains)
  projects create --team <team_id> --name <project_name> --product <product_name>
  projects get --id <project_id>
  projects rename --id <project_id> [--name <project_name>] [--product <product_name>]
  projects delete --id <project_id>                   (keys refused at once; its data removed by the worker, in batches)
  projects list [--team <team_id>] [--q <text>]       (--q: project or product name contains)
  keys create --project <project_id> --name <name>      (prints the secret once)
  keys list --project <project_id>
  keys rename --id <key_id> --name <name>
  keys revoke --id <key_id>
  reports send [--date YYYY-MM-DD]                      (sends the usage reports due that day; default today, UTC)`;

/** Input the usage text answers: exit code 2, and the usage printed. */
export class UsageError extends Error {}

const STRING_OPTIONS = ['name', 'team', 'email', 'first-name', 'last-name', 'digest', 'id', 'product', 'project'];

/** The command's words (`teams create`) and its options; a UsageError for an option it does not know. */
export function parseAdminArgs(argv: string[]): { command: string; options: Opts } {
  try {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        ...Object.fromEntries([...STRING_OPTIONS, 'date', 'q'].map((n) => [n, { type: 'string' as const }])),
        cascade: { type: 'boolean' },
      },
    });
    return { command: positionals.join(' '), options: values };
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** The option, checked against the same TypeBox schema the HTTP API uses. */
export function opt(o: Opts, name: string, schema: TSchema = S.Name): string {
  const value = o[name];
  if (value === undefined || typeof value !== 'string') throw new UsageError(`missing --${name}`);
  const result = check(schema, value);
  if (!result.ok) throw new UsageError(`invalid --${name}: expected ${result.problem.rule}`);
  return value;
}
const Id = Uuid();
export const id = (o: Opts, name: string) => opt(o, name, Id);
export const optional = (o: Opts, name: string) => (o[name] === undefined ? undefined : opt(o, name));
export const email = (o: Opts) => opt(o, 'email', S.NewUser.properties.email);
export const search = (o: Opts) => (o.q === undefined ? undefined : opt(o, 'q', S.TeamFilters.properties.q));
export const optionalId = (o: Opts, name: string) => (o[name] === undefined ? undefined : id(o, name));
export const flag = (o: Opts, name: string) => o[name] === true;
export const digest = (o: Opts) => {
  if (o.digest === undefined) return undefined;
  if (o.digest === 'none') return null;
  return opt(o, 'digest', S.DigestInterval) as DigestInterval;
};

/** --date, a day (YYYY-MM-DD); today, UTC, without it. */
export const day = (o: Opts) => {
  if (typeof o.date !== 'string') return utcDay(new Date());
  try {
    parseDay(o.date);
  } catch {
    throw new UsageError(`invalid --date: ${o.date} (expected YYYY-MM-DD)`);
  }
  return o.date;
};
