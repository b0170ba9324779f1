export * from './teams.js';
export * from './users.js';
export * from './projects.js';
export * from './categories.js';
export * from './api-keys.js';
export * from './threads.js';
export * from './question-answers.js';
