import type { Db } from '../client.js';
import { createApiKey } from './api-keys.js';
import { createProject } from './projects.js';
import { countTeams, createTeam } from './teams.js';

/** On an empty database, a team, a project and a key to try the API with; null when data exists. */
export async function createDemoProject(db: Db) {
  return db.transaction(async (tx) => {
    if ((await countTeams(tx)) > 0) return null;
    const team = await createTeam(tx, { name: 'Demo team' });
    const project = await createProject(tx, { teamId: team.id, projectName: 'Demo docs bot', productName: 'Acme CLI' });
    const key = await createApiKey(tx, { projectId: project.id, name: 'demo' });
    return { teamId: team.id, projectId: project.id, key: key.key };
  });
}
