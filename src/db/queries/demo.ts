import type { Db } from '../client.js';
import { createApiKey } from './api-keys.js';
import { createProject } from './projects.js';
import { putDocument, type PutDocument } from './documents.js';
import { createSource } from './sources.js';
import { countTeams, createTeam } from './teams.js';

/**
 * On an empty database, a team, a project and a key to try the API with, and a files source holding
 * `documents` (queued for indexing); null when data exists.
 */
export async function createDemoProject(db: Db, p: { documents: PutDocument[]; lanes: number }) {
  const demo = await db.transaction(async (tx) => {
    if ((await countTeams(tx)) > 0) return null;
    const team = await createTeam(tx, { name: 'Demo team' });
    const project = await createProject(tx, {
      teamId: team.id,
      projectName: 'Demo docs bot',
      productName: 'Docs chat',
    });
    const key = await createApiKey(tx, { projectId: project.id, name: 'demo' });
    return { teamId: team.id, projectId: project.id, key: key.key };
  });
  if (!demo) return null;
  const source = await createSource(db, {
    projectId: demo.projectId,
    type: 'files',
    name: "This service's documentation",
    url: null,
    include: [],
    exclude: [],
    maxPages: 5000,
    refresh: 'never',
  });
  for (const document of p.documents)
    await putDocument(db, { projectId: demo.projectId, sourceId: source.id, lanes: p.lanes, document });
  return demo;
}
