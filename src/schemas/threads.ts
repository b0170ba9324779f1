import { Type } from '@sinclair/typebox';
import { Nullable, Timestamp, Uuid } from './common.js';

export const QuestionAnswer = Type.Object({
  id: Uuid(),
  question: Type.String(),
  answer: Type.String(),
  created_at: Timestamp(),
});

export const Thread = Type.Object({
  id: Uuid(),
  project: Uuid('id of the project'),
  created_at: Timestamp(),
  first_question: Type.String(),
  total_questions: Type.Integer({ minimum: 1 }),
  category: Nullable(Type.Object({ id: Uuid(), name: Type.String(), description: Type.String() })),
  category_source: Nullable(
    Type.Union([Type.Literal('classifier'), Type.Literal('user')], { description: 'who set the label' }),
  ),
  categorized_at: Nullable(Timestamp()),
});

export const ThreadDetail = Type.Composite([Thread, Type.Object({ question_answers: Type.Array(QuestionAnswer) })]);

export const ThreadPage = Type.Object({
  results: Type.Array(Thread),
  next: Type.Union([Type.String(), Type.Null()], { description: 'cursor of the next page; null on the last page' }),
});
