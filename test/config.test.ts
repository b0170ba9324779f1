import t from 'tap';
import { configWarnings, loadConfig } from '../src/config.js';

t.test('defaults', (t) => {
  const c = loadConfig({});
  t.equal(c.PORT, 8002);
  t.equal(c.LLM_LATENCY_MS, 1000);
  t.equal(c.DATABASE_URL, undefined);
  t.equal(c.ADMIN_TOKEN, undefined);
  t.end();
});

t.test('values are converted from text', (t) => {
  const c = loadConfig({ PORT: '9000', LLM_LATENCY_MS: '0', DATABASE_URL: 'postgres://u:p@h:5432/d', ADMIN_TOKEN: '' });
  t.equal(c.PORT, 9000);
  t.equal(c.LLM_LATENCY_MS, 0);
  t.equal(c.ADMIN_TOKEN, undefined, 'empty means unset');
  t.end();
});

t.test('a bad value is refused with a message naming it', (t) => {
  t.throws(() => loadConfig({ PORT: 'eighty' }), { name: 'ConfigError' });
  const message = (() => {
    try {
      loadConfig({
        PORT: '70000',
        LLM_LATENCY_MS: '-1',
        DATABASE_URL: 'mysql://x',
        LOG_LEVEL: 'loud',
        ADMIN_TOKEN: 'short',
      });
    } catch (err) {
      return (err as Error).message;
    }
  })();
  t.match(message, /PORT="70000"/);
  t.match(message, /LLM_LATENCY_MS="-1"/);
  t.match(message, /DATABASE_URL=<hidden>: /, 'a URL may hold a password: not echoed');
  t.notMatch(message, /mysql/);
  t.match(message, /LOG_LEVEL="loud": expected one of fatal, error, warn, info, debug, trace, silent/);
  t.match(message, /ADMIN_TOKEN=<hidden>: /);
  t.end();
});

t.test(
  'model provider settings: validated, the key never echoed, OPENAI_* without the provider named as ignored',
  (t) => {
    const c = loadConfig({});
    t.equal(c.MODEL_PROVIDER, 'stand-in');
    t.equal(c.MODEL_TIMEOUT_MS, 60_000);
    t.throws(() => loadConfig({ MODEL_PROVIDER: 'anthropic' }), {
      message: /MODEL_PROVIDER="anthropic": expected one of stand-in, openai/,
    });
    t.throws(() => loadConfig({ OPENAI_BASE_URL: 'localhost:11434' }), {
      message: /OPENAI_BASE_URL="localhost:11434"/,
    });
    t.throws(() => loadConfig({ MODEL_TIMEOUT_MS: '0' }), { message: /MODEL_TIMEOUT_MS="0"/ });
    const env = { OPENAI_API_KEY: 'sk-secret-value', OPENAI_BASE_URL: 'http://localhost:11434/v1' };
    t.same(configWarnings(loadConfig(env), env), [
      'OPENAI_API_KEY, OPENAI_BASE_URL ignored: MODEL_PROVIDER is stand-in',
    ]);
    t.same(configWarnings(loadConfig({ ...env, MODEL_PROVIDER: 'openai' }), { ...env, MODEL_PROVIDER: 'openai' }), []);
    t.same(configWarnings(loadConfig({}), {}), []);
    t.end();
  },
);
