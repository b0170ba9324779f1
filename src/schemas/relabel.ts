import { Type, type Static } from '@sinclair/typebox';
import type { RelabelRun } from '../db/queries/relabel.js';
import type { RelabelPreview as Preview } from '../labelling/preview.js';
import { Nullable, Timestamp, Uuid } from './common.js';

const Label = Type.Object({ id: Uuid(), name: Type.String() });

export const RelabelPreview = Type.Object({
  sampled: Type.Integer({
    minimum: 0,
    description: 'threads classified: the sample size, or every classifier-labelled thread if fewer',
  }),
  would_change: Type.Integer({ minimum: 0 }),
  changes: Type.Array(
    Type.Object({ thread_id: Uuid(), first_question: Type.String(), from: Nullable(Label), to: Label }),
    { description: 'the sampled threads whose label would change' },
  ),
  estimate: Type.Object(
    {
      threads: Type.Integer({ minimum: 0, description: 'threads a full run would reclassify' }),
      provider_calls: Type.Integer({ minimum: 0, description: 'classifier calls it would make, batching counted' }),
      seconds: Type.Integer({ minimum: 0, description: 'its expected duration at the configured concurrency' }),
    },
    { description: 'a full run' },
  ),
});

export const RelabelRunSchema = Type.Object({
  id: Uuid(),
  status: Type.Union([Type.Literal('running'), Type.Literal('done'), Type.Literal('cancelled')]),
  total: Type.Integer({ minimum: 0, description: 'classifier-labelled threads when the run started' }),
  done: Type.Integer({
    minimum: 0,
    description: 'threads dealt with (relabelled, or labelled by a user meanwhile); never goes back',
  }),
  started_at: Timestamp(),
  finished_at: Nullable(Timestamp()),
});

const iso = (at: string) => new Date(at).toISOString();
export const toRun = (r: RelabelRun): Static<typeof RelabelRunSchema> => ({
  id: r.id,
  status: r.status,
  total: r.total,
  done: r.done,
  started_at: iso(r.startedAt),
  finished_at: r.finishedAt && iso(r.finishedAt),
});

export const toPreview = (p: Preview): Static<typeof RelabelPreview> => ({
  sampled: p.sampled,
  would_change: p.changes.length,
  changes: p.changes.map((c) => ({ thread_id: c.threadId, first_question: c.firstQuestion, from: c.from, to: c.to })),
  estimate: { threads: p.estimate.threads, provider_calls: p.estimate.providerCalls, seconds: p.estimate.seconds },
});
