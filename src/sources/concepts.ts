// Latent semantic indexing of a project's pages: a question and a page that share no word can still be near
// when their words keep the same company across the project's documentation ("scratch file" and tempfile's
// page). The page × word matrix (log counts times idf, each page's row of unit length) is reduced to its
// CONCEPTS strongest dimensions by a truncated SVD (randomized, Halko, Martinsson and Tropp 2011: a few sparse
// products with a thin random matrix, then QR and an eigendecomposition of small dense matrices, ml-matrix's).
// A page is its row of U·S, of unit length; a word is its column of Vᵀ times its idf, so that a question's
// vector is the sum of its words' and is compared with the pages' by cosine.
import { EigenvalueDecomposition, Matrix, QrDecomposition } from 'ml-matrix';

/** The dimensions kept. */
export const CONCEPTS = 50;
const OVERSAMPLE = 10;
const POWER_ITERATIONS = 2;
/** The words taken into the matrix at most, the most widespread first (each in two pages at least). */
const MAX_WORDS = 20_000;

/** How often a word occurs in a page. */
export type PageWord = { page: string; lexeme: string; count: number };
export type Concepts = {
  pages: { id: string; vector: number[] }[];
  words: { lexeme: string; vector: number[] }[];
};

/** A seeded generator of uniform numbers in [0, 1) (mulberry32). */
export function seededRandom(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Seeded standard normal numbers (Box-Muller): the same pages, the same concepts. */
function normals(seed: number) {
  const uniform = seededRandom(seed);
  return () => Math.sqrt(-2 * Math.log(1 - uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** The pages' rows as sparse vectors (parallel arrays), weighted and of unit length, and the words kept. */
function weightedMatrix(counts: PageWord[]) {
  const pageIds = [...new Set(counts.map((c) => c.page))];
  const pageIndex = new Map(pageIds.map((id, i) => [id, i]));
  const df = new Map<string, number>();
  for (const c of counts) df.set(c.lexeme, (df.get(c.lexeme) ?? 0) + 1);
  const lexemes = [...df]
    .filter(([, n]) => n >= 2 && n < pageIds.length)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, MAX_WORDS)
    .map(([lexeme]) => lexeme);
  const wordIndex = new Map(lexemes.map((l, j) => [l, j]));
  const idf = lexemes.map((l) => Math.log(pageIds.length / df.get(l)!));
  const rows = pageIds.map(() => ({ cols: [] as number[], vals: [] as number[] }));
  for (const c of counts) {
    const j = wordIndex.get(c.lexeme);
    if (j === undefined) continue;
    const row = rows[pageIndex.get(c.page)!];
    row.cols.push(j);
    row.vals.push((1 + Math.log(c.count)) * idf[j]);
  }
  for (const row of rows) {
    const norm = Math.hypot(...row.vals) || 1;
    row.vals = row.vals.map((v) => v / norm);
  }
  return { pageIds, lexemes, idf, rows };
}

type Rows = ReturnType<typeof weightedMatrix>['rows'];
/** A dense matrix, row-major. */
type Dense = { rows: number; cols: number; data: Float64Array };
const dense = (rows: number, cols: number): Dense => ({ rows, cols, data: new Float64Array(rows * cols) });

/** X·M for a dense V×l matrix M: P×l. */
function times(x: Rows, m: Dense): Dense {
  const out = dense(x.length, m.cols);
  x.forEach(({ cols, vals }, i) => {
    cols.forEach((j, n) => {
      for (let r = 0; r < m.cols; r++) out.data[i * m.cols + r] += vals[n] * m.data[j * m.cols + r];
    });
  });
  return out;
}

/** Xᵀ·Q for a dense P×l matrix Q: V×l. */
function timesTransposed(x: Rows, words: number, q: Dense): Dense {
  const out = dense(words, q.cols);
  x.forEach(({ cols, vals }, i) => {
    cols.forEach((j, n) => {
      for (let r = 0; r < q.cols; r++) out.data[j * q.cols + r] += vals[n] * q.data[i * q.cols + r];
    });
  });
  return out;
}

/** Aᵀ·A for a dense n×l matrix A: l×l. */
function gram(a: Dense): Matrix {
  const out = new Matrix(a.cols, a.cols);
  for (let r = 0; r < a.cols; r++)
    for (let c = r; c < a.cols; c++) {
      let sum = 0;
      for (let i = 0; i < a.rows; i++) sum += a.data[i * a.cols + r] * a.data[i * a.cols + c];
      out.set(r, c, sum);
      out.set(c, r, sum);
    }
  return out;
}

const fromMatrix = (m: Matrix): Dense => ({ rows: m.rows, cols: m.columns, data: Float64Array.from(m.to1DArray()) });

/** An orthonormal basis of a (small) matrix's columns. */
const orthonormal = (m: Dense): Dense =>
  fromMatrix(new QrDecomposition(Matrix.from1DArray(m.rows, m.cols, m.data)).orthogonalMatrix);

/** Row i of A·M. */
function rowTimes(a: Dense, i: number, m: Dense): number[] {
  return Array.from({ length: m.cols }, (_, c) => {
    let sum = 0;
    for (let r = 0; r < a.cols; r++) sum += a.data[i * a.cols + r] * m.data[r * m.cols + c];
    return sum;
  });
}

const unit = (v: number[]) => {
  const norm = Math.hypot(...v) || 1;
  return v.map((x) => x / norm);
};

/** The pages' and the words' vectors, or null for a project of fewer than three pages or words. */
export function computeConcepts(counts: PageWord[], dimensions = CONCEPTS): Concepts | null {
  const { pageIds, lexemes, idf, rows } = weightedMatrix(counts);
  const width = Math.min(dimensions + OVERSAMPLE, pageIds.length, lexemes.length);
  if (width < 3) return null;
  const random = normals(20261207);
  const omega = dense(lexemes.length, width);
  omega.data.forEach((_, i) => (omega.data[i] = random()));
  // The range of X, sharpened by power iterations (X·Xᵀ·Q), orthonormalised each time: only P×l matrices
  // go through QR (a project has far fewer pages than words).
  let q = orthonormal(times(rows, omega));
  for (let i = 0; i < POWER_ITERATIONS; i++) q = orthonormal(times(rows, timesTransposed(rows, lexemes.length, q)));
  // B = Qᵀ·X, kept as its transpose W (V×l); B·Bᵀ = Wᵀ·W = Ub·S²·Ubᵀ.
  const w = timesTransposed(rows, lexemes.length, q);
  const eigen = new EigenvalueDecomposition(gram(w), { assumeSymmetric: true });
  const order = eigen.realEigenvalues
    .map((value, index) => ({ value, index }))
    .sort((a, b) => b.value - a.value)
    .slice(0, Math.min(dimensions, width))
    .filter((e) => e.value > 1e-12);
  const s = order.map((e) => Math.sqrt(e.value));
  const ub = fromMatrix(eigen.eigenvectorMatrix.subMatrixColumn(order.map((e) => e.index)));
  // U·S = Q·Ub·S; Vᵀ's column j = S⁻¹·Ubᵀ·(row j of W).
  return {
    pages: pageIds.map((id, i) => ({ id, vector: unit(rowTimes(q, i, ub).map((x, r) => x * s[r])) })),
    words: lexemes.map((lexeme, j) => ({ lexeme, vector: rowTimes(w, j, ub).map((x, r) => (x / s[r]) * idf[j]) })),
  };
}
