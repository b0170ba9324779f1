import { createHash, timingSafeEqual } from 'node:crypto';
import { type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import classificationStatus from './admin-classification.js';
import adminProjects from './admin-projects.js';
import adminTeams from './admin-teams.js';
import adminUsers from './admin-users.js';
import { AppError, ErrorCode, unauthorized } from '../errors.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest();

/** The back office: teams, users, projects and API keys, behind Authorization: Bearer $ADMIN_TOKEN. */
const admin: FastifyPluginAsyncTypebox<{ adminToken?: string }> = async (app, opts) => {
  const expected = opts.adminToken ? sha256(opts.adminToken) : null;

  app.addHook('onRequest', async (request) => {
    if (!expected)
      throw new AppError(403, ErrorCode.ADMIN_DISABLED, 'the admin API is disabled: set ADMIN_TOKEN to enable it');
    await app.authFailures.check(request);
    const match = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
    // Hashing both sides gives equal lengths, so the comparison is constant-time.
    if (!match || !timingSafeEqual(sha256(match[1]), expected)) {
      await app.authFailures.failed(request);
      throw unauthorized('missing or invalid admin token');
    }
  });

  await app.register(classificationStatus);
  await app.register(adminTeams);
  await app.register(adminProjects);
  await app.register(adminUsers);
};

export default admin;
