import { Type, type TSchema } from '@sinclair/typebox';
import { ConfigSchema, type Config } from './config-schema.js';
import { check } from './schemas/validation.js';

// Every entry point calls loadConfig() once.
export { ConfigSchema, type Config };

// Values that may hold a password or a token are never echoed in an error message.
const SECRETS = new Set(['DATABASE_URL', 'SMTP_URL', 'ADMIN_TOKEN', 'OPENAI_API_KEY']);

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates the environment once; throws ConfigError naming every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const config: Record<string, unknown> = {};
  const problems: string[] = [];
  // One variable at a time, so that every bad one is named, with the service's one validator.
  for (const [name, schema] of Object.entries(ConfigSchema.properties) as [string, TSchema][]) {
    const value = env[name];
    const result = check(
      Type.Object({ [name]: schema }),
      value === undefined || value === '' ? {} : { [name]: value },
      { fromText: true },
    );
    if (result.ok) {
      config[name] = (result.value as Record<string, unknown>)[name];
      continue;
    }
    const shown = SECRETS.has(name) ? '<hidden>' : JSON.stringify(value);
    problems.push(`  ${name}=${shown}: expected ${result.problem.rule}`);
  }
  if (problems.length > 0) throw new ConfigError(`Invalid configuration:\n${problems.join('\n')}`);
  return config as Config;
}

/** Settings that are valid but do nothing (OPENAI_* without MODEL_PROVIDER=openai). */
export function configWarnings(config: Config, env: Record<string, string | undefined> = process.env): string[] {
  const unused = Object.keys(env).filter(
    (name) => name.startsWith('OPENAI_') && name in ConfigSchema.properties && env[name],
  );
  return config.MODEL_PROVIDER === 'openai' || unused.length === 0
    ? []
    : [`${unused.join(', ')} ignored: MODEL_PROVIDER is ${config.MODEL_PROVIDER}`];
}

/**
 * loadConfig() for entry points: a bad environment prints what is wrong and exits, no stack trace; settings
 * that do nothing are named on stderr.
 */
export function loadConfigOrExit(): Config {
  try {
    const config = loadConfig();
    for (const warning of configWarnings(config)) console.error(`warning: ${warning}`);
    return config;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    process.exit(1);
  }
}
