export interface Chunk {
  source: string;
  text: string;
}

/** Finds the document chunks most relevant to a question. The production one queries a vector database. */
export interface Retriever {
  retrieve(projectId: string, question: string): Promise<Chunk[]>;
}

const SNIPPETS: Chunk[] = [
  ['install.md', 'Install the CLI with `npm install -g acme-cli`. Node.js 20 or newer is required.'],
  [
    'requirements.md',
    'System requirements: 2 CPU cores, 4 GB of RAM and 10 GB of free disk space. Linux, macOS and Windows are supported.',
  ],
  [
    'config.md',
    'Configuration is read from `acme.config.json` in the project root; environment variables override file values.',
  ],
  [
    'auth.md',
    'API requests authenticate with a bearer token created in Settings > API tokens. Tokens can be revoked at any time.',
  ],
  [
    'rate-limits.md',
    'The API allows 600 requests per minute per token. A 429 response carries a Retry-After header in seconds.',
  ],
  [
    'memory.md',
    'If the process runs out of memory, raise the heap limit with `NODE_OPTIONS=--max-old-space-size=4096` or lower `batchSize`.',
  ],
  ['logging.md', 'Set `LOG_LEVEL=debug` to see every request. Logs are JSON lines written to standard output.'],
  ['docker.md', 'The official image is `acme/server`. Mount your data folder at `/data` and expose port 8080.'],
  [
    'upgrade.md',
    'Upgrading: stop the service, back up the data folder, install the new version and run `acme migrate`.',
  ],
  ['backup.md', 'Backups: `acme backup --out backup.tar` writes a consistent snapshot while the server keeps running.'],
  [
    'webhooks.md',
    'Webhooks are signed with HMAC-SHA256; verify the `X-Acme-Signature` header against the raw request body.',
  ],
  [
    'sso.md',
    'Single sign-on supports SAML 2.0 and OpenID Connect. Configure the identity provider under Settings > Security.',
  ],
  [
    'pagination.md',
    'List endpoints use cursor pagination: pass the `next` cursor from one page to get the following one.',
  ],
  [
    'errors.md',
    'Error responses are JSON with `statusCode`, `error` and `message`. 5xx errors are safe to retry with backoff.',
  ],
  [
    'proxy.md',
    'Behind a corporate proxy, set `HTTPS_PROXY`; custom certificate authorities go in `NODE_EXTRA_CA_CERTS`.',
  ],
  ['performance.md', 'For large workspaces enable the cache with `cache.enabled: true` and give it at least 1 GB.'],
  [
    'plugins.md',
    'Plugins are npm packages named `acme-plugin-*`; list them under `plugins` in the configuration file.',
  ],
  [
    'troubleshooting.md',
    'When a build hangs, run with `--verbose` and check that no other process holds the lock file `.acme/lock`.',
  ],
  ['export.md', 'Export data as CSV or JSON from the Reports page or with `acme export --format csv`.'],
  [
    'billing.md',
    'Invoices are issued monthly. Seats can be added at any time and are prorated to the end of the cycle.',
  ],
].map(([source, text]) => ({ source, text }));

const words = (s: string) => new Set(s.toLowerCase().match(/[a-z0-9]{3,}/g) ?? []);
const SNIPPET_WORDS = SNIPPETS.map((c) => words(`${c.source} ${c.text}`));

/** Stand-in: ranks a fixed list of snippets by words shared with the question and returns the top 5. */
export class StaticRetriever implements Retriever {
  retrieve(_projectId: string, question: string): Promise<Chunk[]> {
    const q = words(question);
    const ranked = SNIPPETS.map((chunk, i) => {
      let score = 0;
      for (const w of q) if (SNIPPET_WORDS[i].has(w)) score++;
      return { chunk, score, i };
    })
      .sort((a, b) => b.score - a.score || a.i - b.i)
      .slice(0, 5)
      .map((r) => r.chunk);
    return Promise.resolve(ranked);
  }
}
