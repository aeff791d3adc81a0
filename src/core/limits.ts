/** Resource limits applied to untrusted input. Every parser and evaluator takes these. */
export interface Limits {
  /** Largest single input file, in bytes. */
  readonly maxFileBytes: number;
  /** Most YAML documents in one file. */
  readonly maxDocuments: number;
  /** Deepest nesting of maps/lists in one document. */
  readonly maxDepth: number;
  /** Most YAML alias expansions per document (billion-laughs guard). */
  readonly maxAliasCount: number;
  /** Longest CEL expression, in characters. */
  readonly maxExpressionLength: number;
  /** Most AST nodes in one CEL expression. */
  readonly maxExpressionNodes: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxFileBytes: 64 * 1024 * 1024,
  maxDocuments: 10_000,
  maxDepth: 128,
  maxAliasCount: 1_000,
  maxExpressionLength: 16 * 1024,
  maxExpressionNodes: 10_000,
};
