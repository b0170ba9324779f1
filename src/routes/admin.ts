import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import classificationStatus from './admin-classification.js';
import adminProjects from './admin-projects.js';
import adminTeams from './admin-teams.js';
import adminUsers from './admin-users.js';
import adminWork from './admin-work.js';
import { adminTokenAuth } from '../plugins/auth.js';

/**
 * The back office: teams, users, projects and API keys, and the work in the background, behind
 * Authorization: Bearer $ADMIN_TOKEN.
 */
const admin: FastifyPluginAsyncTypebox<{ adminToken?: string }> = async (app, opts) => {
  app.addHook('onRequest', adminTokenAuth(app, opts.adminToken));

  await app.register(classificationStatus);
  await app.register(adminTeams);
  await app.register(adminProjects);
  await app.register(adminUsers);
  await app.register(adminWork);
};

export default admin;
