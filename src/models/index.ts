import type { Config } from '../config.js';
import { LimitedClassifier, StaticClassifier, type Classifier } from './classifier.js';
import { StaticLlm, type LlmClient } from './llm.js';
import { OpenAiClassifier } from './openai-classifier.js';
import { OpenAiLlm } from './openai-llm.js';
import { provider as openAi } from './provider.js';

const provider = (config: Config) =>
  openAi({ baseURL: config.OPENAI_BASE_URL, apiKey: config.OPENAI_API_KEY ?? '', timeoutMs: config.MODEL_TIMEOUT_MS });

/** The language model of the answers, as MODEL_PROVIDER says. */
export function answerModel(config: Config): LlmClient {
  return config.MODEL_PROVIDER === 'openai'
    ? new OpenAiLlm(provider(config), config.LLM_MODEL)
    : new StaticLlm(config.LLM_LATENCY_MS);
}

/** The classifier of a worker process, as MODEL_PROVIDER says, with at most CLASSIFIER_CONCURRENCY calls in flight. */
export function classifierModel(config: Config): Classifier {
  const inner =
    config.MODEL_PROVIDER === 'openai'
      ? new OpenAiClassifier(provider(config), config.CLASSIFIER_MODEL)
      : new StaticClassifier(config.CLASSIFIER_LATENCY_MS);
  return new LimitedClassifier(inner, config.CLASSIFIER_CONCURRENCY);
}
