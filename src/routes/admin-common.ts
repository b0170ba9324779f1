import { Type, type TSchema } from '@sinclair/typebox';
import { Uuid } from '../schemas/common.js';
import { conflict, notFound } from '../errors.js';

export const base = { tags: ['admin'], security: [{ adminToken: [] }] };
export const list = <T extends TSchema>(item: T) => Type.Object({ results: Type.Array(item) });
export const TeamParams = Type.Object({ team_id: Uuid() });
export const ProjectParams = Type.Object({ project_id: Uuid() });
export const UserParams = Type.Object({ user_id: Uuid() });
export const KeyParams = Type.Object({ key_id: Uuid() });
export const Deleted = (description: string) => Type.Null({ description });

/** Throws the 404 of an unknown (or deleted) `what`: `(await getTeam(...)) ?? absent('team')`. */
export function absent(what: string): never {
  throw notFound(what);
}

/** A team delete refused because of its projects (the API's and the CLI's words). */
export const teamHasProjects = (n: number) =>
  conflict(
    `the team has ${n} project${n === 1 ? '' : 's'}: delete ${n === 1 ? 'it' : 'them'} first, or delete with cascade=true`,
  );
