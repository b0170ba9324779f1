import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

// The folder holding package.json: the same from src/ under tsx and from dist/src/ once compiled.
let root = path.dirname(fileURLToPath(import.meta.url));
while (!existsSync(path.join(root, 'package.json')) && path.dirname(root) !== root) root = path.dirname(root);

/** A file shipped beside the code (crontab, drizzle/), by its path from the project's root. */
export const projectFile = (...parts: string[]) => path.join(root, ...parts);
