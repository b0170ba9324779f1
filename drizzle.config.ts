import { defineConfig } from 'drizzle-kit';
import { loadConfig } from './src/config.js';

const config = loadConfig();

export default defineConfig({
  dialect: 'postgresql',
  schema: './src/db/schema/index.ts',
  out: './drizzle',
  casing: 'snake_case',
  // Only `drizzle-kit generate` runs here, and it needs no connection; migrations apply at startup.
  dbCredentials: { url: config.DATABASE_URL ?? 'postgres://localhost/unused' },
});
