import type { FastifyInstance } from 'fastify';
import { StaticClassifier, type CategoryChoice, type Classifier } from '../src/models/classifier.js';
import type { Db } from '../src/db/client.js';
import { createApiKey } from '../src/db/queries/api-keys.js';
import { createProject } from '../src/db/queries/projects.js';
import { createTeam } from '../src/db/queries/teams.js';

let n = 0;

/** A team with one project and a live API key for it. */
export async function projectWithKey(db: Db, name = `team ${++n}`) {
  const team = await createTeam(db, { name });
  const project = await createProject(db, { teamId: team.id, projectName: `${name} bot`, productName: 'Acme CLI' });
  const { key, id: keyId } = await createApiKey(db, { projectId: project.id, name: 'test' });
  return { team, project, projectId: project.id, key, keyId };
}

/** The usage the stand-in LLM reports: what tests pass when they write a question-answer themselves. */
export const standInUsage = { model: 'stand-in', promptTokens: 0, completionTokens: 0, latencyMs: 0 };

/** Requests against one project with its key: `api.chat('question')`, `api.get('/threads/')`. */
export function projectClient(app: FastifyInstance, projectId: string, key: string) {
  const base = `/query/v1/projects/${projectId}`;
  const headers = { 'x-api-key': key };
  return {
    get: (path: string) => app.inject({ method: 'GET', url: base + path, headers }),
    post: (path: string, payload: unknown) =>
      app.inject({ method: 'POST', url: base + path, headers, payload: payload as object }),
    patch: (path: string, payload: unknown) =>
      app.inject({ method: 'PATCH', url: base + path, headers, payload: payload as object }),
    delete: (path: string) => app.inject({ method: 'DELETE', url: base + path, headers }),
    async chat(question: string, threadId?: string) {
      const res = await app.inject({
        method: 'POST',
        url: `${base}/chat`,
        headers,
        payload: threadId ? { question, thread_id: threadId } : { question },
      });
      if (res.statusCode !== 200) throw new Error(`chat failed: ${res.statusCode} ${res.body}`);
      return res.json<{ question: string; answer: string; question_answer_id: string; thread_id: string }>();
    },
  };
}

/** A stand-in classifier that records what it is asked and can be held in flight. */
export class ControlledClassifier implements Classifier {
  questions: string[] = [];
  private gate: Promise<void> | null = null;
  private open = () => {};
  private onEnter: (() => void) | null = null;
  constructor(private readonly answer?: (categories: CategoryChoice[]) => CategoryChoice) {}

  hold() {
    this.gate = new Promise((r) => (this.open = r));
    return new Promise<void>((r) => (this.onEnter = r));
  }
  release() {
    this.open();
  }
  async classify(question: string, categories: CategoryChoice[]) {
    this.questions.push(question);
    this.onEnter?.();
    if (this.gate) await this.gate;
    return this.answer ? this.answer(categories) : new StaticClassifier(0).classify(question, categories);
  }
}
