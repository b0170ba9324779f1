import { readFileSync } from 'node:fs';
import { parseCrontab, type ParsedCronItem, type TaskList } from 'graphile-worker';
import { projectFile } from '../runtime/paths.js';

// Parsed once, when the worker loads: a malformed line stops it at start, not at the minute it falls due.
const items = parseCrontab(readFileSync(projectFile('crontab'), 'utf8'));

/**
 * The crontab's items whose task is in this list: each lane's pool schedules only its own tasks (a pool
 * cannot run a job of a task it does not have, and an item nobody schedules would never fire).
 */
export const cronItemsFor = (taskList: TaskList): ParsedCronItem[] => items.filter((item) => item.task in taskList);
