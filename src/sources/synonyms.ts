// Words people use for what documentation calls otherwise ("folder" for "directory", "quit" for "exit"):
// general computing vocabulary, not any one site's. A question's words that appear here bring their
// counterparts into the search, weighed below the words the question used.
const PAIRS: [string, string][] = [
  ['folder', 'directory'],
  ['folders', 'directories'],
  ['delete', 'remove'],
  ['deleting', 'removing'],
  ['quit', 'exit'],
  ['kill', 'terminate'],
  ['stop', 'terminate'],
  ['execute', 'run'],
  ['launch', 'run'],
  ['error', 'exception'],
  ['errors', 'exceptions'],
  ['array', 'list'],
  ['dictionary', 'dict'],
  ['string', 'str'],
  ['args', 'arguments'],
  ['argument', 'parameter'],
  ['arguments', 'parameters'],
  ['env', 'environment'],
  ['config', 'configuration'],
  ['settings', 'configuration'],
  ['method', 'function'],
  ['package', 'module'],
  ['library', 'module'],
  ['checksum', 'hash digest'],
  ['compress', 'zip gzip'],
  ['compressed', 'gzip zip'],
  ['save', 'write'],
  ['load', 'read'],
  ['debug', 'debugger'],
  ['log', 'logging'],
  ['logs', 'logging'],
  ['regex', 'regular expression'],
  ['download', 'fetch url'],
  ['web', 'http'],
  ['website', 'http'],
  ['webpage', 'http html'],
  ['concurrently', 'concurrent parallel'],
  ['parallel', 'concurrent'],
  ['simultaneously', 'concurrent'],
  ['slow', 'performance'],
  ['fast', 'performance'],
  ['speed', 'performance'],
];

// Both ways, except where the second word is a phrase or a more general term than the first.
const ONE_WAY = new Set(['package', 'library', 'stop', 'launch', 'slow', 'fast', 'speed', 'save', 'load']);
const SYNONYMS = new Map<string, string>();
for (const [a, b] of PAIRS) {
  SYNONYMS.set(a, b);
  if (!ONE_WAY.has(a) && !b.includes(' ') && !SYNONYMS.has(b)) SYNONYMS.set(b, a);
}

/** The counterparts of the question's words, as text to search beside it ('' when none). */
export function synonymsOf(question: string): string {
  const words = question.toLowerCase().match(/[a-z]+/g) ?? [];
  return [...new Set(words.flatMap((w) => SYNONYMS.get(w) ?? []))].join(' ');
}
